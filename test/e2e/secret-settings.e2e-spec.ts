import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { spawnBaton } from 'test/support/baton-process.js';
import { testSettings } from 'test/support/test-config.js';

// Secret settings reach the built `baton` from files, and stay out of what it prints.
describe('secret settings', () => {
  it('connects with the DATABASE_URL read from DATABASE_URL_FILE', async () => {
    const { DATABASE_URL: url, ...env } = testSettings();
    const file = join(mkdtempSync(join(tmpdir(), 'baton-secret-')), 'database-url');
    writeFileSync(file, `${url}\n`);
    const baton = spawnBaton(['migrate'], {}, { ...env, DATABASE_URL_FILE: file });
    expect(await baton.exitedWithin(30_000)).toBe(0);
    expect(baton.stderr()).toMatch(/Database is up to date|Applied \d+ migration/);
  });

  it('shows [redacted] instead of a bad secret in the configuration error', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'baton-secret-')), 'database-url');
    writeFileSync(file, 'mysql://root:very-secret-pw@db/baton\n');
    const { DATABASE_URL: _unused, ...env } = testSettings();
    const baton = spawnBaton(['migrate'], {}, { ...env, DATABASE_URL_FILE: file });
    expect(await baton.exitedWithin(30_000)).toBe(2);
    expect(baton.stderr()).toContain(`DATABASE_URL_FILE (${file}) = [redacted]: must be a postgresql:// URL`);
    expect(baton.stderr()).not.toContain('very-secret-pw');
  });
});
