import { ts } from 'ts-morph';

import type { ClassFact, DeclarationFact, FileFacts, FunctionFact, ImportFact, MethodFact, SyntaxProblem } from 'src/features/codebase/codebase.types.js';

const SIGNATURE_MAX = 240;
const SYNTAX_PROBLEMS_MAX = 5;

// Extracts a file's declarations, imports and per-function complexity from
// one parse. It uses the compiler API that ts-morph bundles directly rather
// than ts-morph's node wrappers: a wrapper per visited node costs several
// times the parse in time and memory (see docs/benchmarks.md), and nothing
// here needs type information. The syntax tree is dropped when it returns.
export class SourceExtractor {
  extract(fileName: string, text: string): FileFacts {
    // JSDoc is not read here, so the parser skips it.
    const source = ts.createSourceFile(fileName, text, { languageVersion: ts.ScriptTarget.Latest, jsDocParsingMode: ts.JSDocParsingMode.ParseNone }, false, scriptKindOf(fileName));
    const facts: FileFacts = {
      lines: source.getLineStarts().length,
      exports: [],
      reExports: [],
      classes: [],
      functions: [],
      interfaces: [],
      typeAliases: [],
      enums: [],
      constants: [],
      imports: [],
      syntaxErrors: syntaxProblems(source),
    };
    const exports = new Set<string>();
    for (const statement of source.statements) this.statement(source, statement, facts, exports);
    // import('x') and require('x') can sit anywhere; most files have neither,
    // so the full walk runs only when the text could contain one.
    if (text.includes('import(') || text.includes('require(')) collectCalls(source, facts.imports);
    facts.exports = [...exports];
    return facts;
  }

  private statement(source: ts.SourceFile, node: ts.Statement, facts: FileFacts, exports: Set<string>): void {
    const exported = hasModifier(node, ts.SyntaxKind.ExportKeyword);
    const isDefault = hasModifier(node, ts.SyntaxKind.DefaultKeyword);
    const line = lineOf(source, node);
    const exportName = (name: string): void => {
      if (exported) exports.add(isDefault ? 'default' : name);
    };
    if (ts.isImportDeclaration(node)) {
      facts.imports.push(importFact(node));
    } else if (ts.isExportDeclaration(node)) {
      const names = node.exportClause && ts.isNamedExports(node.exportClause) ? node.exportClause.elements.map((e) => e.name.text) : [];
      if (node.exportClause && ts.isNamespaceExport(node.exportClause)) names.push(node.exportClause.name.text);
      for (const name of names) exports.add(name);
      if (node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
        const taken = node.exportClause && ts.isNamedExports(node.exportClause) ? node.exportClause.elements.map((e) => (e.propertyName ?? e.name).text) : ['*'];
        facts.imports.push({ specifier: node.moduleSpecifier.text, names: taken, typeOnly: node.isTypeOnly, kind: 're-export' });
        if (!node.exportClause && !facts.reExports.includes(node.moduleSpecifier.text)) facts.reExports.push(node.moduleSpecifier.text);
      }
    } else if (ts.isExportAssignment(node)) {
      exports.add(node.isExportEquals ? 'export=' : 'default');
    } else if (ts.isImportEqualsDeclaration(node)) {
      if (ts.isExternalModuleReference(node.moduleReference) && ts.isStringLiteral(node.moduleReference.expression)) {
        facts.imports.push({ specifier: node.moduleReference.expression.text, names: ['*'], typeOnly: node.isTypeOnly, kind: 'require' });
      }
    } else if (ts.isFunctionDeclaration(node)) {
      // Overload signatures have no body; the implementation carries the facts.
      if (!node.body && source.statements.some((s) => s !== node && ts.isFunctionDeclaration(s) && s.body && s.name?.text === node.name?.text)) return;
      const name = node.name?.text ?? 'default';
      facts.functions.push(functionFact(source, name, node, line, exported));
      exportName(name);
    } else if (ts.isClassDeclaration(node)) {
      const name = node.name?.text ?? 'default';
      facts.classes.push(classFact(source, name, node, line, exported));
      exportName(name);
    } else if (ts.isInterfaceDeclaration(node)) {
      facts.interfaces.push({ name: node.name.text, line, exported });
      exportName(node.name.text);
    } else if (ts.isTypeAliasDeclaration(node)) {
      facts.typeAliases.push({ name: node.name.text, line, exported });
      exportName(node.name.text);
    } else if (ts.isEnumDeclaration(node)) {
      facts.enums.push({ name: node.name.text, line, exported });
      exportName(node.name.text);
    } else if (ts.isVariableStatement(node)) {
      const constant = (node.declarationList.flags & ts.NodeFlags.Const) !== 0;
      for (const declaration of node.declarationList.declarations) {
        if (!ts.isIdentifier(declaration.name)) continue;
        const name = declaration.name.text;
        const init = declaration.initializer ? skipWrappers(declaration.initializer) : undefined;
        if (init && (ts.isArrowFunction(init) || ts.isFunctionExpression(init))) {
          facts.functions.push(functionFact(source, name, init, lineOf(source, declaration), exported));
        } else if (init && ts.isClassExpression(init)) {
          facts.classes.push(classFact(source, name, init, lineOf(source, declaration), exported));
        } else if (constant) {
          facts.constants.push({ name, line: lineOf(source, declaration), exported } satisfies DeclarationFact);
        }
        if (exported) exports.add(name);
      }
    } else if (ts.isModuleDeclaration(node) && exported) {
      exports.add(node.name.text);
    }
  }
}

function scriptKindOf(fileName: string): ts.ScriptKind {
  if (fileName.endsWith('.tsx')) return ts.ScriptKind.TSX;
  if (fileName.endsWith('.jsx')) return ts.ScriptKind.JSX;
  if (/\.[cm]?js$/.test(fileName)) return ts.ScriptKind.JS;
  return ts.ScriptKind.TS;
}

function syntaxProblems(source: ts.SourceFile): SyntaxProblem[] {
  // parseDiagnostics is internal to the compiler API but stable for years;
  // the public route (a Program) would cost a full type-checking setup.
  const diagnostics = (source as unknown as { parseDiagnostics?: readonly ts.Diagnostic[] }).parseDiagnostics ?? [];
  return diagnostics.slice(0, SYNTAX_PROBLEMS_MAX).map((d) => ({
    line: d.start !== undefined ? source.getLineAndCharacterOfPosition(d.start).line + 1 : 0,
    message: ts.flattenDiagnosticMessageText(d.messageText, ' '),
  }));
}

function importFact(node: ts.ImportDeclaration): ImportFact {
  const specifier = (node.moduleSpecifier as ts.StringLiteral).text;
  const clause = node.importClause;
  const names: string[] = [];
  if (clause?.name) names.push('default');
  const bindings = clause?.namedBindings;
  if (bindings && ts.isNamespaceImport(bindings)) names.push('*');
  if (bindings && ts.isNamedImports(bindings)) for (const element of bindings.elements) names.push((element.propertyName ?? element.name).text);
  return { specifier, names, typeOnly: clause?.isTypeOnly ?? false, kind: 'import' };
}

function collectCalls(source: ts.SourceFile, imports: ImportFact[]): void {
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && node.arguments.length === 1) {
      const argument = node.arguments[0] as ts.Expression;
      if (ts.isStringLiteralLike(argument)) {
        if (node.expression.kind === ts.SyntaxKind.ImportKeyword) imports.push({ specifier: argument.text, names: ['*'], typeOnly: false, kind: 'dynamic' });
        else if (ts.isIdentifier(node.expression) && node.expression.text === 'require') imports.push({ specifier: argument.text, names: ['*'], typeOnly: false, kind: 'require' });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
}

type FunctionLike = ts.FunctionDeclaration | ts.ArrowFunction | ts.FunctionExpression | ts.MethodDeclaration | ts.ConstructorDeclaration | ts.AccessorDeclaration;

function functionFact(source: ts.SourceFile, name: string, node: FunctionLike, line: number, exported: boolean): FunctionFact {
  return { name, signature: signatureOf(source, name, node), line, complexity: complexityOf(node), exported };
}

function classFact(source: ts.SourceFile, name: string, node: ts.ClassLikeDeclaration, line: number, exported: boolean): ClassFact {
  let extendsName: string | null = null;
  const implementsNames: string[] = [];
  for (const clause of node.heritageClauses ?? []) {
    const names = clause.types.map((t) => compact(t.getText(source)));
    if (clause.token === ts.SyntaxKind.ExtendsKeyword) extendsName = names[0] ?? null;
    else implementsNames.push(...names);
  }
  const methods: MethodFact[] = [];
  for (const member of node.members) {
    if (!(ts.isMethodDeclaration(member) || ts.isConstructorDeclaration(member) || ts.isGetAccessorDeclaration(member) || ts.isSetAccessorDeclaration(member))) continue;
    if (!member.body) continue;
    const memberName = ts.isConstructorDeclaration(member) ? 'constructor' : member.name.getText(source);
    const prefix = ts.isGetAccessorDeclaration(member) ? 'get ' : ts.isSetAccessorDeclaration(member) ? 'set ' : hasModifier(member, ts.SyntaxKind.StaticKeyword) ? 'static ' : '';
    methods.push({ name: memberName, signature: prefix + signatureOf(source, memberName, member), line: lineOf(source, member), complexity: complexityOf(member) });
  }
  return { name, line, exported, extends: extendsName, implements: implementsNames, methods };
}

// name<T>(params): Return, as written, whitespace collapsed.
function signatureOf(source: ts.SourceFile, name: string, node: FunctionLike): string {
  const typeParameters = node.typeParameters ? `<${node.typeParameters.map((p) => p.getText(source)).join(', ')}>` : '';
  const parameters = node.parameters.map((p) => p.getText(source)).join(', ');
  const returns = node.type ? `: ${node.type.getText(source)}` : '';
  const signature = compact(`${name}${typeParameters}(${parameters})${returns}`);
  return signature.length > SIGNATURE_MAX ? `${signature.slice(0, SIGNATURE_MAX - 1)}…` : signature;
}

// McCabe: 1 + one per branch point (if, ?:, loops, case, catch, &&, ||, ??
// and their assignments). Closures inside the function count towards it;
// a nested class's methods do not.
function complexityOf(node: FunctionLike): number {
  if (!node.body) return 1;
  const counter = { branches: 0 };
  const visit = (child: ts.Node): void => {
    const role = ROLE[child.kind];
    if (role === Role.Leaf) return;
    if (role === Role.Branch) counter.branches++;
    else if (role === Role.Binary && LOGICAL_OPERATORS.has((child as ts.BinaryExpression).operatorToken.kind)) counter.branches++;
    ts.forEachChild(child, visit);
  };
  ts.forEachChild(node.body, visit);
  return 1 + counter.branches;
}

// What a node is to the complexity walk, looked up by kind (the walk visits
// most of a file's nodes, so its per-node work is kept to one array read).
// Leaf: nothing below can add to the count: tokens and identifiers have no
// children, type nodes hold no expressions, and a nested class's methods
// count on their own.
const enum Role {
  Walk = 0,
  Branch = 1,
  Binary = 2,
  Leaf = 3,
}

const ROLE: Uint8Array = (() => {
  const kinds = Object.values(ts.SyntaxKind).filter((k): k is number => typeof k === 'number');
  const roles = new Uint8Array(Math.max(...kinds) + 1);
  for (let kind = ts.SyntaxKind.FirstToken; kind <= ts.SyntaxKind.LastToken; kind++) roles[kind] = Role.Leaf;
  for (let kind = ts.SyntaxKind.FirstTypeNode; kind <= ts.SyntaxKind.LastTypeNode; kind++) roles[kind] = Role.Leaf;
  for (const kind of [ts.SyntaxKind.ClassDeclaration, ts.SyntaxKind.ClassExpression]) roles[kind] = Role.Leaf;
  for (const kind of [
    ts.SyntaxKind.IfStatement,
    ts.SyntaxKind.ConditionalExpression,
    ts.SyntaxKind.ForStatement,
    ts.SyntaxKind.ForInStatement,
    ts.SyntaxKind.ForOfStatement,
    ts.SyntaxKind.WhileStatement,
    ts.SyntaxKind.DoStatement,
    ts.SyntaxKind.CaseClause,
    ts.SyntaxKind.CatchClause,
  ]) {
    roles[kind] = Role.Branch;
  }
  roles[ts.SyntaxKind.BinaryExpression] = Role.Binary;
  return roles;
})();

const LOGICAL_OPERATORS = new Set([
  ts.SyntaxKind.AmpersandAmpersandToken,
  ts.SyntaxKind.BarBarToken,
  ts.SyntaxKind.QuestionQuestionToken,
  ts.SyntaxKind.AmpersandAmpersandEqualsToken,
  ts.SyntaxKind.BarBarEqualsToken,
  ts.SyntaxKind.QuestionQuestionEqualsToken,
]);

function hasModifier(node: ts.Node, kind: ts.SyntaxKind): boolean {
  return ts.canHaveModifiers(node) && (ts.getModifiers(node)?.some((m) => m.kind === kind) ?? false);
}

function skipWrappers(node: ts.Expression): ts.Expression {
  let current = node;
  while (ts.isParenthesizedExpression(current) || ts.isAsExpression(current) || ts.isSatisfiesExpression(current)) current = current.expression;
  return current;
}

function lineOf(source: ts.SourceFile, node: ts.Node): number {
  return source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
}

function compact(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
