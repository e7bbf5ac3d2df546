import { cpSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
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
  const write = writerFor(root);
  write('src/settings.local.ts', 'export const apiKey = "ignored by .gitignore";\n');
  write('secrets/token.ts', 'export const token = "ignored directory";\n');
  write('node_modules/left-pad/index.js', 'module.exports = () => "dependency";\n');
  return { root, write, remove: () => rmSync(root, { recursive: true, force: true }) };
}

export const WORKSPACE_FIXTURE = resolve('test/fixtures/codebase/workspace');
export const WORKSPACE_PACKAGES = { '@acme/core': 'packages/core', '@acme/ui': 'packages/ui', '@acme/app': 'packages/app', '@acme/plain': 'packages/plain' };

// A private copy of the pnpm-style workspace, installed as a hoisted install
// (npm, yarn) leaves it: each workspace package linked under node_modules,
// so the TypeScript resolver can answer from the real disk.
export function copyWorkspaceProject(): CodebaseCopy {
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'baton-workspace-')));
  cpSync(WORKSPACE_FIXTURE, root, { recursive: true });
  for (const [name, path] of Object.entries(WORKSPACE_PACKAGES)) {
    mkdirSync(join(root, 'node_modules', name, '..'), { recursive: true });
    symlinkSync(join(root, path), join(root, 'node_modules', name), 'dir');
  }
  const write = writerFor(root);
  return { root, write, remove: () => rmSync(root, { recursive: true, force: true }) };
}

function writerFor(root: string): (path: string, content: string) => void {
  return (path, content) => {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), content);
  };
}
