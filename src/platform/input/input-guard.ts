// Rules every value from outside (tool arguments, URIs, query strings,
// completion values, REST paths) must meet before anything parses, stores or
// walks it: PostgreSQL cannot store NUL, UTF-8 cannot encode a lone surrogate
// (it would be replaced silently), and deep nesting overflows recursive code.

// Arguments nest at most this deep (metadata {"a": {"b": 1}} is three levels
// of an update_context call). Far above real use, far below any stack limit.
export const MAX_ARGUMENT_DEPTH = 32;

// Longest piece of caller input an error message repeats.
export const ECHO_LIMIT = 200;

export interface InputProblem {
  // Where the problem is, e.g. "metadata.files.0" ("" for the value itself).
  path: string;
  problem: string;
}

// What is wrong with a piece of text, or undefined when nothing is.
export function textProblem(text: string): string | undefined {
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit === 0) return 'contains a NUL character (U+0000), which Baton cannot store; remove it';
    if (unit < 0xd800 || unit > 0xdfff) continue;
    const next = text.charCodeAt(i + 1);
    if (unit <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      i++;
      continue;
    }
    return `contains a lone UTF-16 surrogate (\\u${unit.toString(16)} at position ${i}), which is not valid Unicode text; send well-formed UTF-8`;
  }
  return undefined;
}

// The first problem in a JSON value: text (strings and object keys) that
// textProblem refuses, or nesting beyond maxDepth. Walks without recursion,
// so a value nested 100,000 levels cannot overflow the stack here either.
export function jsonProblem(value: unknown, maxDepth = MAX_ARGUMENT_DEPTH): InputProblem | undefined {
  const stack: { value: unknown; path: string[]; depth: number }[] = [{ value, path: [], depth: 0 }];
  while (stack.length > 0) {
    const { value: current, path, depth } = stack.pop() as { value: unknown; path: string[]; depth: number };
    if (typeof current === 'string') {
      const problem = textProblem(current);
      if (problem) return { path: renderPath(path), problem };
      continue;
    }
    if (typeof current !== 'object' || current === null) continue;
    if (depth >= maxDepth) return { path: renderPath(path), problem: `is nested more than ${maxDepth} levels deep; flatten it` };
    const entries: [string, unknown][] = Array.isArray(current) ? current.map((item, index) => [String(index), item]) : Object.entries(current);
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, item] = entries[i] as [string, unknown];
      const problem = textProblem(key);
      if (problem) return { path: renderPath(path), problem: `has a key that ${problem}` };
      stack.push({ value: item, path: [...path, key], depth: depth + 1 });
    }
  }
  return undefined;
}

// Caller input as an error message may repeat it: at most ECHO_LIMIT characters.
export function echo(value: unknown): string {
  const text = String(value);
  return text.length <= ECHO_LIMIT ? text : `${text.slice(0, ECHO_LIMIT)}... (${text.length} characters)`;
}

// Longest error message Baton sends; a longer one (an echo that slipped
// through) is cut rather than sent whole.
export const MESSAGE_LIMIT = 1000;

export function boundMessage(message: string): string {
  const suffix = '... (message cut)';
  return message.length <= MESSAGE_LIMIT ? message : `${message.slice(0, MESSAGE_LIMIT - suffix.length)}${suffix}`;
}

// Error details as sent: strings (alone or in lists) shortened like echoes.
export function boundDetails(details: Record<string, unknown>): Record<string, unknown> {
  const bound = (value: unknown): unknown => (typeof value === 'string' ? echo(value) : Array.isArray(value) ? value.slice(0, 20).map(bound) : value);
  return Object.fromEntries(Object.entries(details).map(([key, value]) => [key, bound(value)]));
}

function renderPath(path: string[]): string {
  const shown = path.length > 8 ? [...path.slice(0, 4), '...', ...path.slice(-2)] : path;
  return shown.map(echo).join('.');
}
