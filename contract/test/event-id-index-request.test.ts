import { createIndexRequest } from '../event-id-index-request';
import { DERIVED_INDEX_NAMES, derivedIndex } from '../table-schemas';

describe('createIndexRequest', () => {
  it.each(DERIVED_INDEX_NAMES)('defines every key attribute of %s once, those the table defines included', (name) => {
    const request = createIndexRequest('events', name);

    const keys = (derivedIndex(name).definition.KeySchema ?? []).map((key) => key.AttributeName).sort();
    const defined = (request.AttributeDefinitions ?? []).map((definition) => definition.AttributeName).sort();
    expect(defined).toEqual(keys);
    expect(request.GlobalSecondaryIndexUpdates).toEqual([{ Create: derivedIndex(name).definition }]);
  });

  it('fails for an index the schema does not derive, naming the ones it does', () => {
    expect(() => createIndexRequest('events', 'inbox-index')).toThrow(/known are event-id-index, inbox-source-index/);
  });
});
