/** The CloudFormation diff folded under the SLO report. */
import { Writable } from 'node:stream';
import { stripVTControlCharacters } from 'node:util';
import { formatDifferences, fullDiff } from '@aws-cdk/cloudformation-diff';
import { isRecord, type TemplateSet } from './cfn-template';

/** The CloudFormation diff of every stack, as `cdk diff` prints it, without terminal colours. */
export function describeCloudFormationDiff(base: TemplateSet, head: TemplateSet): string {
  const sections: string[] = [];
  for (const stack of [...new Set([...Object.keys(base), ...Object.keys(head)])].sort()) {
    const before = isRecord(base[stack]) ? base[stack] : {};
    const after = isRecord(head[stack]) ? head[stack] : {};
    const diff = fullDiff(before, after);
    if (diff.isEmpty) continue;
    let text = '';
    const stream = new Writable({
      write(chunk: Buffer | string, _encoding, done) {
        text += chunk.toString();
        done();
      },
    });
    formatDifferences(stream, diff);
    sections.push(`Stack ${stack}\n${stripVTControlCharacters(text).trimEnd()}`);
  }
  return sections.length === 0 ? 'No CloudFormation changes.' : sections.join('\n\n');
}
