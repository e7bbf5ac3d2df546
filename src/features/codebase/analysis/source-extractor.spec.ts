import { SourceExtractor } from 'src/features/codebase/analysis/source-extractor.js';

const extractor = new SourceExtractor();

function complexities(text: string, fileName = 'sample.ts'): Record<string, number> {
  const facts = extractor.extract(fileName, text);
  const methods = facts.classes.flatMap((c) => c.methods.map((m) => [`${c.name}.${m.name}`, m.complexity] as const));
  return Object.fromEntries([...facts.functions.map((f) => [f.name, f.complexity] as const), ...methods]);
}

describe('SourceExtractor complexity', () => {
  it('counts every kind of branch point, closures included', () => {
    const text = `
      export function all(items: number[], flag?: boolean): number {
        let total = 0;
        if (flag) total++;
        for (let i = 0; i < 1; i++) total += i;
        for (const item of items) total += item > 0 ? item : -item;
        for (const key in items) total += Number(key);
        while (total > 100) total--;
        do { total++; } while (total < 0);
        switch (total) { case 1: break; case 2: break; default: break; }
        try { total = flag && total ? total : 0; } catch { total = 0; }
        total ||= 1;
        total ??= 2;
        items.forEach((item) => { if (item) total++; });
        return total || items.length;
      }`;
    // 1 + if, for, for-of, ?:, for-in, while, do, 2 cases, catch, &&, ?:, ||=, ??=, closure's if, ||
    expect(complexities(text).all).toBe(17);
  });

  it('does not count type positions, JSDoc, or the methods of a nested class', () => {
    const text = `
      /** @returns {string} if a ? b : c && d */
      export function typed<T>(value: T extends string ? 'a' : 'b', other?: { a?: string } | null): string {
        const Nested = class {
          run(): number { return value ? 1 : 2; }
        };
        type Pick = T extends number ? 1 : 0;
        return String(new Nested().run()) + String(other ?? '');
      }`;
    // 1 + the ?? (the nested class's ?: counts for its method, not here)
    expect(complexities(text)).toEqual({ typed: 2 });
  });

  it('counts a class method and a JSX expression on their own', () => {
    const text = `
      export class Panel {
        render(items: string[]) {
          return <ul>{items.length > 0 && items.map((i) => (i ? <li>{i}</li> : null))}</ul>;
        }
      }
      export const Empty = () => <p>{false || 'none'}</p>;`;
    expect(complexities(text, 'panel.tsx')).toEqual({ 'Panel.render': 3, Empty: 2 });
  });
});
