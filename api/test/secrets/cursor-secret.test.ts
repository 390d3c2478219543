import { parseCursorSecret } from '../../src/secrets/cursor-secret';

describe('parseCursorSecret', () => {
  it('reads a bare key (the value the stack generates) as the current key', () => {
    expect(parseCursorSecret('a-secret-of-enough-length')).toEqual({ current: 'a-secret-of-enough-length' });
  });

  it.each([
    ['{"current":"the-new-key-of-enough-length"}', { current: 'the-new-key-of-enough-length' }],
    [
      '{"current":"the-new-key-of-enough-length","previous":"the-old-key-of-enough-length"}',
      { current: 'the-new-key-of-enough-length', previous: 'the-old-key-of-enough-length' },
    ],
  ])('reads the current and previous keys of %s', (text, keys) => {
    expect(parseCursorSecret(text)).toEqual(keys);
  });

  it.each([
    ['{"current": ', 'starts with { but is not JSON'],
    ['{"previous":"the-old-key-of-enough-length"}', 'no string "current" key'],
    ['{"current":"the-new-key-of-enough-length","previous":7}', '"previous" key is not a string'],
    ['{"current":"the-new-key-of-enough-length","next":"x"}', 'unknown fields (next)'],
  ])('refuses %s, saying why', (text, message) => {
    expect(() => parseCursorSecret(text)).toThrow(message);
  });
});
