import { InboxCursorCodec } from '../../src/domain/inbox-cursor';
import { ValidationError } from '../../src/errors';

describe('InboxCursorCodec', () => {
  const codec = new InboxCursorCodec('a-secret-of-enough-length');
  const sk = 'EVENT#2026-11-27T01:00:00.000Z#0b5e6f1c-4a1b-4c2d-9e3f-123456789abc';

  it('round-trips a position for the tenant it was issued to', () => {
    expect(codec.decode('acme', codec.encode('acme', sk))).toBe(sk);
  });

  it('fails when the cursor belongs to another tenant', () => {
    expect(() => codec.decode('globex', codec.encode('acme', sk))).toThrow(ValidationError);
  });

  it('fails when the cursor was signed with another secret', () => {
    const other = new InboxCursorCodec('another-secret-of-enough-length');
    expect(() => codec.decode('acme', other.encode('acme', sk))).toThrow('Invalid cursor');
  });

  it.each(['', 'abc', 'a.b.c', '..', 'eyJ2IjoxfQ.'])('fails on malformed cursor %p', (cursor) => {
    expect(() => codec.decode('acme', cursor)).toThrow(ValidationError);
  });

  it('refuses a short secret', () => {
    expect(() => new InboxCursorCodec('short')).toThrow('at least 16 characters');
    expect(() => new InboxCursorCodec({ current: 'a-secret-of-enough-length', previous: 'short' })).toThrow(
      'at least 16 characters',
    );
  });

  describe('while the key is rotated', () => {
    const oldKey = 'the-old-key-of-enough-length';
    const newKey = 'the-new-key-of-enough-length';
    const before = new InboxCursorCodec(oldKey);
    const rotated = new InboxCursorCodec({ current: newKey, previous: oldKey });

    it('accepts a cursor signed with the previous key', () => {
      expect(rotated.decode('acme', before.encode('acme', sk))).toBe(sk);
    });

    it('signs new cursors with the current key', () => {
      const cursor = rotated.encode('acme', sk);

      expect(new InboxCursorCodec(newKey).decode('acme', cursor)).toBe(sk);
      expect(() => before.decode('acme', cursor)).toThrow('Invalid cursor');
    });

    it('fails when the cursor was signed with a key that is neither current nor previous', () => {
      const retired = new InboxCursorCodec('a-retired-key-of-enough-length');
      expect(() => rotated.decode('acme', retired.encode('acme', sk))).toThrow('Invalid cursor');
    });

    it("still fails when a previous key's cursor belongs to another tenant", () => {
      expect(() => rotated.decode('globex', before.encode('acme', sk))).toThrow(ValidationError);
    });

    it('no longer accepts the previous key once it is retired', () => {
      const retiredOld = new InboxCursorCodec({ current: newKey });
      expect(() => retiredOld.decode('acme', before.encode('acme', sk))).toThrow('Invalid cursor');
    });
  });
});
