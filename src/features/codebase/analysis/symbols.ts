import type { FileFacts, RankedSymbol } from 'src/features/codebase/codebase.types.js';

export interface SymbolLine {
  name: string;
  kind: RankedSymbol['kind'];
  exported: boolean;
  line: number;
  // How the symbol reads in a map: its signature or declaration head.
  text: string;
  // Method lines of a class.
  members: string[];
}

// A file's top-level symbols, one list for ranking and rendering.
export function symbolsOf(facts: FileFacts): SymbolLine[] {
  const symbols: SymbolLine[] = [];
  for (const c of facts.classes) {
    const heritage = `${c.extends ? ` extends ${c.extends}` : ''}${c.implements.length > 0 ? ` implements ${c.implements.join(', ')}` : ''}`;
    symbols.push({ name: c.name, kind: 'class', exported: c.exported, line: c.line, text: `class ${c.name}${heritage}`, members: c.methods.map((m) => m.signature) });
  }
  for (const f of facts.functions) symbols.push({ name: f.name, kind: 'function', exported: f.exported, line: f.line, text: `function ${f.signature}`, members: [] });
  for (const i of facts.interfaces) symbols.push({ name: i.name, kind: 'interface', exported: i.exported, line: i.line, text: `interface ${i.name}`, members: [] });
  for (const t of facts.typeAliases) symbols.push({ name: t.name, kind: 'type', exported: t.exported, line: t.line, text: `type ${t.name}`, members: [] });
  for (const e of facts.enums) symbols.push({ name: e.name, kind: 'enum', exported: e.exported, line: e.line, text: `enum ${e.name}`, members: [] });
  for (const k of facts.constants) symbols.push({ name: k.name, kind: 'constant', exported: k.exported, line: k.line, text: `const ${k.name}`, members: [] });
  return symbols;
}

// Names and kinds of the exported symbols only: what ranking needs, without
// rendering any text.
export function exportedSymbols(facts: FileFacts): { name: string; kind: RankedSymbol['kind'] }[] {
  const symbols: { name: string; kind: RankedSymbol['kind'] }[] = [];
  const add = (list: { name: string; exported: boolean }[], kind: RankedSymbol['kind']): void => {
    for (const item of list) if (item.exported) symbols.push({ name: item.name, kind });
  };
  add(facts.classes, 'class');
  add(facts.functions, 'function');
  add(facts.interfaces, 'interface');
  add(facts.typeAliases, 'type');
  add(facts.enums, 'enum');
  add(facts.constants, 'constant');
  return symbols;
}
