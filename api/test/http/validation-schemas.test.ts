import Ajv from 'ajv';
import { createEventSchema, eventIdSchema, inboxQuerySchema } from '../../src/http/validation';

// The API compiles its schemas without checking them against JSON Schema's meta-schema (that check costs
// every Lambda cold start ~80 ms), so it is done here once.
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
