import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { grantRoot } from 'src/features/codebase/analysis/allowed-roots.js';

let base: string;
let allowed: string;
let outside: string;

beforeAll(() => {
  base = realpathSync(mkdtempSync(join(tmpdir(), 'baton-roots-')));
  allowed = join(base, 'allowed');
  outside = join(base, 'outside');
  mkdirSync(join(allowed, 'app/src'), { recursive: true });
  mkdirSync(outside);
  writeFileSync(join(allowed, 'app/package.json'), '{}');
  symlinkSync(outside, join(allowed, 'app/escape'));
  symlinkSync(join(allowed, 'app'), join(base, 'link-to-app'));
});

afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('grantRoot', () => {
  it('grants a directory inside an allowed root, with that root as boundary', async () => {
    await expect(grantRoot(join(allowed, 'app'), [allowed])).resolves.toEqual({ root: join(allowed, 'app'), boundary: allowed });
  });

  it('rejects .. traversal out of the allowed root without saying whether the target exists', async () => {
    await expect(grantRoot(join(allowed, '..', 'outside'), [allowed])).rejects.toMatchObject({ code: 'PATH_NOT_ALLOWED' });
    await expect(grantRoot(join(allowed, '..', 'missing'), [allowed])).rejects.toMatchObject({ code: 'PATH_NOT_ALLOWED' });
  });

  it('never names the allowed roots to the caller', async () => {
    for (const requested of [join(allowed, '..', 'outside'), 'app', join(allowed, 'app/escape')]) {
      const error = (await grantRoot(requested, [allowed]).catch((e: unknown) => e)) as { message: string; details?: unknown };
      // The requested path is echoed; nothing else of the configuration is.
      expect(`${error.message.replace(requested, '')} ${JSON.stringify(error.details ?? {})}`).not.toContain(allowed);
    }
  });

  it('rejects a symlink inside the allowed root that leads out of it', async () => {
    await expect(grantRoot(join(allowed, 'app/escape'), [allowed])).rejects.toMatchObject({ code: 'PATH_NOT_ALLOWED' });
  });

  it('accepts a path through a symlinked allowed root by its real path', async () => {
    await expect(grantRoot(join(allowed, 'app/src'), [join(base, 'link-to-app')])).resolves.toEqual({ root: join(allowed, 'app/src'), boundary: join(allowed, 'app') });
  });

  it('rejects relative paths, missing directories, files, and every path when no root is allowed', async () => {
    await expect(grantRoot('app', [allowed])).rejects.toMatchObject({ code: 'PATH_NOT_ALLOWED', message: expect.stringContaining('absolute') });
    await expect(grantRoot(join(allowed, 'nope'), [allowed])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('does not exist') });
    await expect(grantRoot(join(allowed, 'app/package.json'), [allowed])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('is a file') });
    await expect(grantRoot(allowed, [])).rejects.toMatchObject({ code: 'PATH_NOT_ALLOWED', message: expect.stringContaining('BATON_ALLOWED_ROOTS') });
  });
});
