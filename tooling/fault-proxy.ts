import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type FaultMode =
  | 'pass'
  | 'throttle'
  | 'server-error'
  | 'limit-exceeded'
  | 'drop'
  | 'garbage'
  | 'apply-then-drop'
  | 'apply-then-drop-every'
  /** BatchWriteItem: the engine writes each table's first request only; the rest come back as UnprocessedItems. */
  | 'write-one-of-batch';

interface DynamoDbError {
  status: number;
  type: string;
  message: string;
}

/** The error answers of the fault modes, as DynamoDB sends them. */
const DYNAMODB_ERRORS: Partial<Record<FaultMode, DynamoDbError>> = {
  throttle: {
    status: 400,
    type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
    message: 'The level of configured provisioned throughput for the table was exceeded.',
  },
  'server-error': {
    status: 500,
    type: 'com.amazon.coral.service#InternalServerError',
    message: 'Internal server error',
  },
  // What DynamoDB answers an UpdateTable while another index change is under way or at the GSI quota.
  'limit-exceeded': {
    status: 400,
    type: 'com.amazonaws.dynamodb.v20120810#LimitExceededException',
    message: 'Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table',
  },
};

interface Hold {
  operation: string;
  bodyIncludes: string;
  ms: number;
}

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
  /** Delays the next call of `operation` whose body contains `bodyIncludes` by `ms` (once). */
  holdNext(operation: string, bodyIncludes: string, ms: number): void;
  /** Back to forwarding everything at once: no fault, no delay, no held calls. */
  reset(): void;
  /** Resolves when the proxy next receives a call of `operation`. */
  received(operation: string): Promise<void>;
  close(): Promise<void>;
}

/** Starts a fault proxy on an ephemeral loopback port. */
export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target);
  const holds: Hold[] = [];
  const waiters: { operation: string; resolve: () => void }[] = [];
  const proxy: FaultProxy = {
    endpoint: '',
    mode: 'pass',
    delayMs: 0,
    operations: [],
    holdNext: (operation, bodyIncludes, ms) => void holds.push({ operation, bodyIncludes, ms }),
    reset: () => {
      proxy.mode = 'pass';
      proxy.operations = [];
      proxy.delayMs = 0;
      holds.length = 0;
    },
    received: (operation) => new Promise<void>((resolve) => waiters.push({ operation, resolve })),
    close: () => Promise.resolve(),
  };

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
      for (const waiter of waiters.filter((w) => w.operation === operation)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
      const body = Buffer.concat(chunks);
      const holdIndex = holds.findIndex((h) => h.operation === operation && body.includes(h.bodyIncludes));
      const held = holdIndex >= 0 ? (holds.splice(holdIndex, 1)[0]?.ms ?? 0) : 0;
      setTimeout(() => respond(mode, body, req, res), (applies ? proxy.delayMs : 0) + held);
    });
  });

  function respond(mode: FaultMode, body: Buffer, req: IncomingMessage, res: ServerResponse): void {
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
    const answer = DYNAMODB_ERRORS[mode];
    if (answer) {
      res.writeHead(answer.status, { 'content-type': 'application/x-amz-json-1.0' });
      res.end(JSON.stringify({ __type: answer.type, message: answer.message }));
      return;
    }
    if (mode === 'write-one-of-batch' && req.headers['x-amz-target']?.toString().endsWith('.BatchWriteItem')) {
      writeOneOfBatch(body, req, res);
      return;
    }
    const forward = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (upstreamRes) => {
        if (mode === 'apply-then-drop' || mode === 'apply-then-drop-every') {
          // The engine applied the call; the client never hears so (a lost response), once or every time.
          if (mode === 'apply-then-drop') proxy.mode = 'pass';
          upstreamRes.resume();
          res.socket?.destroy();
          return;
        }
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
        upstreamRes.pipe(res);
      },
    );
    forward.on('error', () => res.socket?.destroy());
    forward.end(body);
  }
  /** Forwards each table's first write request; answers the others as unprocessed, as a throttled partition does. */
  function writeOneOfBatch(body: Buffer, req: IncomingMessage, res: ServerResponse): void {
    const { RequestItems } = JSON.parse(body.toString('utf8')) as { RequestItems: Record<string, unknown[]> };
    const first = Object.fromEntries(Object.entries(RequestItems).map(([table, items]) => [table, items.slice(0, 1)]));
    const unprocessed = Object.fromEntries(
      Object.entries(RequestItems)
        .map(([table, items]) => [table, items.slice(1)] as const)
        .filter(([, items]) => items.length > 0),
    );
    const forwarded = Buffer.from(JSON.stringify({ RequestItems: first }));
    const headers = { ...req.headers, 'content-length': String(forwarded.length) };
    const forward = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers },
      (upstreamRes) => {
        const chunks: Buffer[] = [];
        upstreamRes.on('data', (chunk: Buffer) => chunks.push(chunk));
        upstreamRes.on('end', () => {
          const answer = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
          const text = JSON.stringify({ ...answer, UnprocessedItems: unprocessed });
          res.writeHead(upstreamRes.statusCode ?? 502, { 'content-type': 'application/x-amz-json-1.0' });
          res.end(text);
        });
      },
    );
    forward.on('error', () => res.socket?.destroy());
    forward.end(forwarded);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return proxy;
}
