// An opaque cursor for listings ordered by (timestamp desc, id desc): the
// position of the last item of a page. Null when the text is not one.
export interface KeysetPosition {
  at: Date;
  id: string;
}

export function encodeKeysetCursor(position: KeysetPosition): string {
  return Buffer.from(JSON.stringify([position.at.toISOString(), position.id])).toString('base64url');
}

export function decodeKeysetCursor(cursor: string): KeysetPosition | null {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [unknown, unknown];
    const date = new Date(String(at));
    if (Number.isNaN(date.getTime()) || typeof id !== 'string') return null;
    return { at: date, id };
  } catch {
    return null;
  }
}
