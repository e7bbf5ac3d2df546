import { readFileSync } from 'node:fs';

import { ROLES, SCOPES } from 'src/platform/access/scopes.js';

// docs/security.md lists every scope and role operators can grant.
describe('scopes and roles docs', () => {
  const docs = readFileSync('docs/security.md', 'utf8');

  it.each(SCOPES)('documents the scope %s', (scope) => {
    expect(docs).toMatch(new RegExp(`^\\| \`${scope}\` \\| \\w`, 'm'));
  });

  it.each(Object.keys(ROLES))('documents the role %s', (role) => {
    expect(docs).toMatch(new RegExp(`^\\| \`${role}\` \\| `, 'm'));
  });
});
