import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

import { ts } from 'ts-morph';

interface Config {
  options: ts.CompilerOptions;
  cache: ts.ModuleResolutionCache;
}

// The TypeScript resolver's own answers for the imports of the given files
// (paths relative to root), on the real disk: each file under its nearest
// tsconfig (with allowJs, as the analyzer reads JavaScript too), each import
// in the mode the compiler gives it, node_modules links followed. Only
// targets among the given files count. The ground truth the analyzer's
// edges are held against.
export function compilerEdges(root: string, paths: string[]): Map<string, Set<string>> {
  const analysed = new Set(paths);
  const configs = new Map<string, Config>();
  const edges = new Map<string, Set<string>>();
  for (const path of paths) {
    const file = join(root, path);
    const config = nearestConfig(root, file, configs);
    const format = ts.getImpliedNodeFormatForFile(file, config.cache.getPackageJsonInfoCache(), ts.sys, config.options);
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), { languageVersion: ts.ScriptTarget.Latest, impliedNodeFormat: format }, true);
    const targets = new Set<string>();
    for (const literal of moduleSpecifiers(source)) {
      const mode = ts.getModeForUsageLocation(source, literal, config.options);
      const resolved = ts.resolveModuleName(literal.text, file, config.options, ts.sys, config.cache, undefined, mode).resolvedModule;
      const target = resolved ? relative(root, resolved.resolvedFileName) : '';
      if (analysed.has(target)) targets.add(target);
    }
    edges.set(path, targets);
  }
  return edges;
}

function nearestConfig(root: string, file: string, configs: Map<string, Config>): Config {
  const found = ts.findConfigFile(dirname(file), ts.sys.fileExists);
  const path = found?.startsWith(`${root}/`) ? found : '';
  let config = configs.get(path);
  if (!config) {
    const parsed = path ? ts.parseJsonConfigFileContent(ts.readConfigFile(path, ts.sys.readFile).config, ts.sys, dirname(path), undefined, path).options : { module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler };
    const options = { ...parsed, allowJs: true, resolveJsonModule: true };
    config = { options, cache: ts.createModuleResolutionCache(root, (name) => name, options) };
    configs.set(path, config);
  }
  return config;
}

function moduleSpecifiers(source: ts.SourceFile): ts.StringLiteralLike[] {
  const found: ts.StringLiteralLike[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) found.push(node.moduleSpecifier);
    if (ts.isExternalModuleReference(node) && ts.isStringLiteral(node.expression)) found.push(node.expression);
    const argument = ts.isCallExpression(node) && node.arguments.length === 1 ? node.arguments[0] : undefined;
    if (argument && ts.isStringLiteralLike(argument) && ts.isCallExpression(node) && (node.expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(node.expression) && node.expression.text === 'require'))) found.push(argument);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}
