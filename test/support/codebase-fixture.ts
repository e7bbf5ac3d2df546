import { cpSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const SAMPLE_FIXTURE = resolve('test/fixtures/codebase/sample');

export interface CodebaseCopy {
  root: string;
  write(path: string, content: string): void;
  remove(): void;
}

// A private copy of the sample project, plus what git cannot hold for it:
// a .gitignore'd file and a dependency folder, both of which the analyzer
// must skip.
export function copySampleProject(): CodebaseCopy {
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'baton-codebase-')));
  cpSync(SAMPLE_FIXTURE, root, { recursive: true });
  const write = (path: string, content: string): void => {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), content);
  };
  write('src/settings.local.ts', 'export const apiKey = "ignored by .gitignore";\n');
  write('secrets/token.ts', 'export const token = "ignored directory";\n');
  write('node_modules/left-pad/index.js', 'module.exports = () => "dependency";\n');
  return { root, write, remove: () => rmSync(root, { recursive: true, force: true }) };
}
