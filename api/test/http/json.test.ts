import { parseJsonExact, stringifyJsonExact } from '../../src/http/json';

describe('exact JSON', () => {
  it.each([
    '{"big":123456789012345678901234567890}',
    '{"precise":0.12345678901234567890123}',
    '{"huge":1e400}',
    '{"safe":[1,2.5,-3,0.1],"written":[1.0,1e3,1e21,-0]}',
    '{"text":"😀 \\u0000 \\"q\\""}',
  ])('round-trips %s exactly', (text) => {
    expect(stringifyJsonExact(parseJsonExact(text))).toBe(text);
  });

  it('keeps JavaScript-safe numbers as numbers', () => {
    expect(parseJsonExact('{"n":42.5}')).toEqual({ n: 42.5 });
  });

  it('throws on malformed input', () => {
    expect(() => parseJsonExact('{"a":')).toThrow();
  });
});
