import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Ajv from 'ajv';
import { staleValidatorFiles } from '../../src/cli/validators-generate';
import { createEventSchema, eventIdSchema, inboxQuerySchema } from '../../src/http/request-schemas';
import { requestValidatorFiles } from '../../src/http/request-validators-source';

// The API runs validators compiled ahead of time from these schemas, so the schemas are checked here: against
// JSON Schema's meta-schema, and the committed compiled code against what they compile to now.
describe.each([
  ['POST /v1/events body', createEventSchema],
  ['GET /v1/inbox query', inboxQuerySchema],
  ['event id', eventIdSchema],
])('the %s schema', (_name, schema) => {
  it('is a valid JSON Schema by the meta-schema ajv checks against', () => {
    const ajv = new Ajv({ allErrors: true });

    const valid = ajv.validateSchema(schema);

    expect(ajv.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });
});

it('the meta-schema check catches a schema with a mistyped keyword value', () => {
  const ajv = new Ajv();

  expect(ajv.validateSchema({ type: 'object', minProperties: 'one' })).toBe(false);
});

describe('the compiled validators in api/src/http/generated/', () => {
  it('are what the schemas compile to now (npm run validators:generate)', () => {
    expect(staleValidatorFiles()).toEqual([]);
  });

  it('would be reported stale after a schema change', () => {
    const dir = mkdtempSync(join(tmpdir(), 'validators-'));
    try {
      for (const file of requestValidatorFiles()) {
        mkdirSync(dirname(join(dir, file.path)), { recursive: true });
        writeFileSync(join(dir, file.path), file.content.replace('"maxLength":100', '"maxLength":101'));
      }

      expect(staleValidatorFiles(dir)).toEqual([
        'api/src/http/generated/body-validators.js',
        'api/src/http/generated/query-validators.js',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
