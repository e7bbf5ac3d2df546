import { z } from 'zod';

import { echo } from 'src/platform/input/input-guard.js';
import { InputError } from 'src/platform/input/input.errors.js';

// Sequences, limits, budgets and durations are stored and compared as
// PostgreSQL int4: anything larger is refused before it reaches a query.
export const INT4_MAX = 2_147_483_647;

export const WholeNumberSchema = z.number().int().min(-INT4_MAX - 1).max(INT4_MAX, `must be at most ${INT4_MAX}`);

// A whole number in a URI query string or REST query (digits only).
export const QueryWholeNumberSchema = z
  .string()
  .regex(/^\d{1,10}$/, 'must be a whole number (digits only)')
  .transform(Number)
  .pipe(z.number().max(INT4_MAX, `must be at most ${INT4_MAX}`));

// The query parameter as a whole number; undefined when it is absent.
export function queryWholeNumber(query: URLSearchParams, name: string): number | undefined {
  const raw = query.get(name);
  if (raw === null) return undefined;
  const parsed = QueryWholeNumberSchema.safeParse(raw);
  if (!parsed.success) throw new InputError(`${name}=${echo(raw)} ${parsed.error.issues[0]?.message ?? 'is not valid'}, from 0 to ${INT4_MAX}.`);
  return parsed.data;
}
