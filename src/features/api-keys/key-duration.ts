import { ApiKeyError } from 'src/features/api-keys/api-keys.errors.js';

const UNIT_SECONDS: Record<string, number> = { m: 60, h: 60 * 60, d: 24 * 60 * 60, w: 7 * 24 * 60 * 60 };
const DURATION = /^([1-9][0-9]{0,5})([mhdw])$/;

// `30d`, `12h`, `45m`, `2w` as seconds; anything else is refused with the forms accepted.
export function parseKeyDuration(value: string): number {
  const match = DURATION.exec(value.trim());
  if (!match) throw ApiKeyError.badDuration(value);
  return Number(match[1]) * (UNIT_SECONDS[match[2] as string] as number);
}
