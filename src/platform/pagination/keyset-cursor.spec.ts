import { decodeKeysetCursor, encodeKeysetCursor } from 'src/platform/pagination/keyset-cursor.js';

const ID = '3f2b8c1e-5d4a-4e6f-9a7b-0c1d2e3f4a5b';
const forge = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('keyset cursor', () => {
  it('decodes what it encodes', () => {
    const position = { at: new Date('2026-03-01T12:34:56.789Z'), id: ID };
    expect(decodeKeysetCursor(encodeKeysetCursor(position))).toEqual(position);
  });

  it.each([
    ['a non-uuid id', forge(['2020-01-01T00:00:00.000Z', 'not-a-uuid'])],
    ['year 0000', forge(['0000-01-01T00:00:00.000Z', ID])],
    ['year -271821', forge(['-271821-04-20T00:00:00.000Z', ID])],
    ['year +275760', forge(['+275760-09-13T00:00:00.000Z', ID])],
    ['a rolled-over date', forge(['2021-02-31T00:00:00.000Z', ID])],
    ['a date in another format', forge(['2020-01-01', ID])],
    ['a number for the date', forge([0, ID])],
    ['an object', forge({ at: '2020-01-01T00:00:00.000Z', id: ID })],
    ['a third element', forge(['2020-01-01T00:00:00.000Z', ID, 1])],
    ['broken JSON', Buffer.from('["2020-').toString('base64url')],
    ['text that is not base64url', '!!not base64!!'],
    ['a NUL', `abc\u0000`],
    ['an empty string', ''],
  ])('refuses %s', (_what, cursor) => {
    expect(decodeKeysetCursor(cursor)).toBeNull();
  });
});
