import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

interface Advisory {
  id: string;
  package: string;
  severity: string;
}

interface Verdict {
  unavailable: boolean;
  reason?: string;
  blocking?: Advisory[];
  allowed?: Advisory[];
  stale?: { advisory: string }[];
}

interface AuditScript {
  judgeAudit(report: unknown, allowlist: unknown[]): Verdict;
  readAllowlist(text: string): { advisory: string; package: string }[];
}

const script = (await import(pathToFileURL(resolve('scripts/audit-dependencies.mjs')).href)) as AuditScript;

function advisory(name: string, severity: string, ghsa: string): Record<string, unknown> {
  return { source: 1100000 + name.length, name, dependency: name, title: `${name} is unsafe`, url: `https://github.com/advisories/${ghsa}`, severity, range: '<2.0.0' };
}

// What `npm audit --omit=dev --json` prints: a package's own advisories as
// objects, the packages it is vulnerable through as names.
const report = {
  vulnerabilities: {
    'parse-things': { name: 'parse-things', severity: 'critical', via: [advisory('parse-things', 'critical', 'GHSA-2222-3333-4444')] },
    'uses-parse-things': { name: 'uses-parse-things', severity: 'critical', via: ['parse-things'] },
    'slow-regex': { name: 'slow-regex', severity: 'high', via: [advisory('slow-regex', 'high', 'GHSA-5555-6666-7777')] },
    'chatty-logger': { name: 'chatty-logger', severity: 'moderate', via: [advisory('chatty-logger', 'moderate', 'GHSA-8888-9999-cccc')] },
  },
  metadata: { vulnerabilities: { info: 0, low: 0, moderate: 1, high: 1, critical: 2, total: 4 } },
};

describe('scripts/audit-dependencies.mjs', () => {
  it('blocks every high and critical advisory once, and nothing below', () => {
    const verdict = script.judgeAudit(report, []);
    expect(verdict.blocking?.map((a) => [a.id, a.package, a.severity])).toEqual([
      ['GHSA-2222-3333-4444', 'parse-things', 'critical'],
      ['GHSA-5555-6666-7777', 'slow-regex', 'high'],
    ]);
  });

  it('lets a listed advisory pass and names listed ones that no longer occur', () => {
    const allowlist = [
      { advisory: 'GHSA-5555-6666-7777', package: 'slow-regex', reason: 'only parses our own configuration', reviewed: '2026-12-02' },
      { advisory: 'GHSA-xxxx-xxxx-xxxx', package: 'gone', reason: 'fixed upstream', reviewed: '2026-01-01' },
    ];
    const verdict = script.judgeAudit(report, allowlist);
    expect(verdict.blocking?.map((a) => a.id)).toEqual(['GHSA-2222-3333-4444']);
    expect(verdict.allowed?.map((a) => a.id)).toEqual(['GHSA-5555-6666-7777']);
    expect(verdict.stale?.map((e) => e.advisory)).toEqual(['GHSA-xxxx-xxxx-xxxx']);
  });

  it('reads a registry without the advisory endpoint as unavailable, with its answer as the reason', () => {
    const answer = { message: '405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk', statusCode: 405 };
    expect(script.judgeAudit(answer, [])).toEqual({ unavailable: true, reason: answer.message });
  });

  it('refuses an allow-list entry without its reason', () => {
    expect(() => script.readAllowlist(JSON.stringify({ advisories: [{ advisory: 'GHSA-5555-6666-7777', package: 'slow-regex', reviewed: '2026-12-02' }] }))).toThrow('lacks "reason"');
    expect(() => script.readAllowlist('{"advisories": {}}')).toThrow('{"advisories": [...]}');
  });

  it('has a well-formed allow-list and runs in CI right after the install', () => {
    expect(Array.isArray(script.readAllowlist(readFileSync('audit-allowlist.json', 'utf8')))).toBe(true);
    const ci = readFileSync('.ci/run', 'utf8');
    expect(ci.indexOf('node scripts/audit-dependencies.mjs')).toBeGreaterThan(ci.indexOf('npm install --no-audit --no-fund'));
    expect(ci.indexOf('node scripts/audit-dependencies.mjs')).toBeLessThan(ci.indexOf('npm test'));
  });
});
