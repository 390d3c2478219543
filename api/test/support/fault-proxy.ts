import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type FaultMode = 'pass' | 'throttle' | 'server-error' | 'drop' | 'garbage';

/**
 * An HTTP proxy in front of the embedded engine that can answer like DynamoDB does under
 * throttling or failure, or delay calls. Everything else is forwarded to the real engine.
 */
export interface FaultProxy {
  endpoint: string;
  mode: FaultMode;
  delayMs: number;
  /** DynamoDB operations (X-Amz-Target suffixes) the fault applies to; all when empty. */
  operations: string[];
  close(): Promise<void>;
}

/** Starts a fault proxy on an ephemeral loopback port. */
export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target);
  const proxy: FaultProxy = { endpoint: '', mode: 'pass', delayMs: 0, operations: [], close: () => Promise.resolve() };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const operation =
      String(req.headers['x-amz-target'] ?? '')
        .split('.')
        .at(-1) ?? '';
    const applies = proxy.operations.length === 0 || proxy.operations.includes(operation);
    const mode = applies ? proxy.mode : 'pass';
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      setTimeout(
        () => {
          if (mode === 'drop') {
            res.socket?.destroy();
            return;
          }
          if (mode === 'garbage') {
          // A 200 whose body is not what DynamoDB sends: the SDK cannot parse it.
          res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
          res.end('<html>not json</html>');
          return;
        }
        if (mode === 'throttle' || mode === 'server-error') {
            const throttled = mode === 'throttle';
            res.writeHead(throttled ? 400 : 500, { 'content-type': 'application/x-amz-json-1.0' });
            res.end(
              JSON.stringify({
                __type: throttled
                  ? 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException'
                  : 'com.amazon.coral.service#InternalServerError',
                message: throttled
                  ? 'The level of configured provisioned throughput for the table was exceeded.'
                  : 'Internal server error',
              }),
            );
            return;
          }
          const forward = request(
            { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
            (upstreamRes) => {
              res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
              upstreamRes.pipe(res);
            },
          );
          forward.on('error', () => res.socket?.destroy());
          forward.end(Buffer.concat(chunks));
        },
        applies ? proxy.delayMs : 0,
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return proxy;
}
