import { readFileSync } from 'node:fs';

import { SETTINGS } from 'src/config/config.schema.js';

// Every setting is documented where operators look: .env.example with its
// default, and the README's configuration table.
describe('configuration docs', () => {
  const envExample = readFileSync('.env.example', 'utf8');
  const readme = readFileSync('README.md', 'utf8');

  it.each(SETTINGS.map((s) => [s.env, s] as const))('%s is in .env.example with its default and in the README', (env, setting) => {
    const value = setting.schema.parse(undefined) as unknown;
    const line = value === undefined ? `# ${env}=` : `${env}=${Array.isArray(value) ? value.join(',') : String(value)}`;
    expect(envExample.split('\n')).toContain(line);
    expect(readme).toContain(`| \`${env}\` | \`${setting.path.join('.')}\` |`);
  });
});
