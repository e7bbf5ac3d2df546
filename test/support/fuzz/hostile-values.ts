import type { SeededRandom } from 'test/support/fuzz/seeded-random.js';

const UUID = '3f2b8c1e-5d4a-4e6f-9a7b-0c1d2e3f4a5b';
const base64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

// Cursors Baton never issued: invalid dates, years outside 1-9999, ids that
// are not uuids, broken JSON and base64.
export const FORGED_CURSORS = [
  base64url(['2020-01-01T00:00:00.000Z', 'not-a-uuid']),
  base64url(['0000-01-01T00:00:00.000Z', UUID]),
  base64url(['-271821-04-20T00:00:00.000Z', UUID]),
  base64url(['+275760-09-13T00:00:00.000Z', UUID]),
  base64url(['2020-02-31T00:00:00.000Z', UUID]),
  base64url([0, 0]),
  base64url({ index: 99, inner: 'x' }),
  Buffer.from('["2020-').toString('base64url'),
  '!!not base64!!',
  '',
];

// Text a caller should not be able to store or crash Baton with.
function hostileString(random: SeededRandom, valid: string): string {
  const at = random.int(valid.length + 1);
  const insert = (piece: string) => `${valid.slice(0, at)}${piece}${valid.slice(at)}`;
  switch (random.int(16)) {
    case 0:
      return insert('\u0000');
    case 1:
      return insert('\ud800');
    case 2:
      return insert('\udfff');
    case 3:
      return insert('\udc00\ud800');
    case 4:
      return '';
    case 5:
      return 'x'.repeat(random.chance(0.1) ? 300_000 : 5_000);
    case 6:
      return '../../../../etc/passwd';
    case 7:
      return insert('%ZZ%00%ED%A0%80');
    case 8:
      return '__proto__';
    case 9:
      return "'; DROP TABLE sessions; --";
    case 10:
      return insert('\u202e\ufeff\u200b');
    case 11:
      return insert('\ud83d\ude00');
    case 12:
      return random.pick(FORGED_CURSORS);
    case 13:
      return ' \n\t ';
    case 14:
      return insert('${jndi:ldap://x}');
    default:
      return `${valid}${valid}`;
  }
}

function hostileNumber(random: SeededRandom): number {
  return random.pick([2 ** 31, -(2 ** 31) - 1, 2 ** 53, Number.MAX_SAFE_INTEGER + 2, 1e308, -1, 0, 1.5, -0.5, 2_147_483_647, 99_999_999_999]);
}

// A value nested `depth` levels, in objects and arrays.
export function nested(depth: number): unknown {
  let value: unknown = 'bottom';
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? { d: value } : [value];
  return value;
}

// A replacement for `valid`: of its own type but hostile, or of another type.
export function hostileValue(random: SeededRandom, valid: unknown): unknown {
  if (random.chance(0.2)) return random.pick<unknown>([null, true, [], {}, 'text', 7, [1, 'a', null], JSON.parse('{"__proto__": {"polluted": true}}'), nested(20 + random.int(200))]);
  if (typeof valid === 'string') return hostileString(random, valid);
  if (typeof valid === 'number') return hostileNumber(random);
  if (Array.isArray(valid)) return random.chance(0.5) ? [...valid, hostileValue(random, valid[0] ?? 'x')] : Array.from({ length: 2_000 }, () => valid[0] ?? 1);
  if (typeof valid === 'object' && valid !== null) {
    const key = hostileString(random, 'key');
    return { ...valid, [key]: random.chance(0.5) ? nested(30 + random.int(40)) : hostileValue(random, 'value') };
  }
  return random.pick<unknown>(['true', 1, null]);
}

// `value` with one leaf or branch (picked at random, the root included)
// replaced by a hostile value, or with an unknown key added.
export function mutate(random: SeededRandom, value: unknown): unknown {
  const paths: (string | number)[][] = [[]];
  const walk = (node: unknown, path: (string | number)[]): void => {
    if (typeof node !== 'object' || node === null) return;
    for (const [key, child] of Array.isArray(node) ? node.map((c, i) => [i, c] as const) : Object.entries(node)) {
      paths.push([...path, key]);
      walk(child, [...path, key]);
    }
  };
  walk(value, []);
  const path = random.pick(paths.length > 1 && random.chance(0.9) ? paths.slice(1) : paths);
  if (path.length === 0) return random.chance(0.5) ? hostileValue(random, value) : { ...(value as object), [hostileString(random, 'extra')]: 1 };
  const copy = structuredClone(value) as Record<string | number, unknown>;
  let holder = copy;
  for (const key of path.slice(0, -1)) holder = holder[key] as Record<string | number, unknown>;
  const last = path.at(-1) as string | number;
  holder[last] = hostileValue(random, holder[last]);
  return copy;
}

export { hostileString };
