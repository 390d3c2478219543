import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { markEventIdIndexVerified } from '../../../api/src/store/event-id-index-control';
import { EVENT_ID_INDEX } from '../../../api/src/store/table-schemas';
import { requireName } from './validate-input';

export interface MarkVerifiedInput {
  doc: DynamoDBDocumentClient;
  tableName: string;
  /** Who verified it, e.g. the Step Functions execution ARN; stored on the control record. */
  verifiedBy: string;
  now?: Date;
}

export interface MarkVerifiedResult {
  tableName: string;
  indexName: string;
  verifiedAt: string;
  verifiedBy: string;
}

/** Writes the control record that lets the API trust a miss in `event-id-index` (picked up without a restart). */
export async function markVerified(input: MarkVerifiedInput): Promise<MarkVerifiedResult> {
  const tableName = requireName('tableName', input.tableName);
  const verifiedBy = requireName('verifiedBy', input.verifiedBy);
  const now = input.now ?? new Date();
  await markEventIdIndexVerified(input.doc, tableName, verifiedBy, now);
  return { tableName, indexName: EVENT_ID_INDEX, verifiedAt: now.toISOString(), verifiedBy };
}
