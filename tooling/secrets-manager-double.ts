import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for the Secrets Manager API on loopback (no local Secrets Manager engine exists): it answers
 * `GetSecretValue` over the service's JSON protocol, so the real SDK client in a Lambda bundle can be
 * pointed at it with `AWS_ENDPOINT_URL_SECRETS_MANAGER`. Secrets can be set, removed or made unreadable
 * while it runs.
 */
export interface SecretsManagerDouble {
  /** `http://127.0.0.1:<port>`. */
  endpoint: string;
  /** Stores a secret's string value under its ARN. */
  put(arn: string, value: string): void;
  /** Removes a secret: reads answer `ResourceNotFoundException`. */
  remove(arn: string): void;
  /** Every read answers `AccessDeniedException` until `deny(false)`. */
  deny(denied: boolean): void;
  /** `GetSecretValue` calls received so far. */
  reads(): number;
  close(): Promise<void>;
}

/** Starts the double on an ephemeral loopback port. */
export async function startSecretsManagerDouble(): Promise<SecretsManagerDouble> {
  const secrets = new Map<string, string>();
  let denied = false;
  let reads = 0;
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      const answer = (status: number, payload: Record<string, unknown>, errorType?: string): void => {
        res.writeHead(status, {
          'content-type': 'application/x-amz-json-1.1',
          'x-amzn-requestid': `double-${reads}`,
          ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
        });
        res.end(JSON.stringify(errorType ? { __type: errorType, message: payload.message } : payload));
      };
      if (req.headers['x-amz-target'] !== 'secretsmanager.GetSecretValue') {
        answer(
          400,
          { message: `unsupported operation ${String(req.headers['x-amz-target'])}` },
          'InvalidRequestException',
        );
        return;
      }
      reads += 1;
      const { SecretId } = JSON.parse(body || '{}') as { SecretId?: string };
      if (denied) {
        answer(
          400,
          { message: `not authorized to perform secretsmanager:GetSecretValue on ${SecretId}` },
          'AccessDeniedException',
        );
        return;
      }
      const value = SecretId === undefined ? undefined : secrets.get(SecretId);
      if (value === undefined) {
        answer(400, { message: "Secrets Manager can't find the specified secret." }, 'ResourceNotFoundException');
        return;
      }
      answer(200, { ARN: SecretId, Name: SecretId, SecretString: value, VersionId: 'v1', CreatedDate: 1_795_000_000 });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    put: (arn, value) => void secrets.set(arn, value),
    remove: (arn) => void secrets.delete(arn),
    deny: (value) => void (denied = value),
    reads: () => reads,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
