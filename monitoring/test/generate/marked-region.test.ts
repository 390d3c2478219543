import { GenerateError } from '../../generate/errors';
import { replaceMarkedRegion } from '../../generate/marked-region';

describe('replaceMarkedRegion', () => {
  it('replaces only the text between the markers', () => {
    const doc = 'intro\n<!-- slo-table:start -->\nold\n<!-- slo-table:end -->\noutro\n';

    expect(replaceMarkedRegion(doc, 'new table\n', 'docs/SLO.md')).toBe(
      'intro\n<!-- slo-table:start -->\n\nnew table\n\n<!-- slo-table:end -->\noutro\n',
    );
  });

  it.each([
    ['no markers', 'intro\n'],
    ['the end marker before the start marker', '<!-- slo-table:end -->\n<!-- slo-table:start -->\n'],
  ])('fails naming the file when the document has %s', (_case, doc) => {
    expect(() => replaceMarkedRegion(doc, 'table', 'docs/SLO.md')).toThrow(GenerateError);
    expect(() => replaceMarkedRegion(doc, 'table', 'docs/SLO.md')).toThrow(/^docs\/SLO\.md: expected/);
  });
});
