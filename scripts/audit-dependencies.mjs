#!/usr/bin/env node
// Fails when a production dependency has a high or critical advisory that
// audit-allowlist.json does not list with a reason. Run by .ci/run after
// `npm install`; by hand: `node scripts/audit-dependencies.mjs`.
//
// A registry that cannot answer audits (no advisory endpoint, as some
// mirrors and proxies have; or no network) is a warning, not a failure: the
// build cannot tell "no advisories" from "nobody asked", so it says plainly
// that nothing was checked and leaves the decision to whoever reads the log,
// instead of failing every build on such a registry.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const BLOCKING = new Set(['high', 'critical']);
const AUDIT_TIMEOUT_MS = 120_000;

// The advisory id of an `npm audit --json` "via" entry: its GHSA id when the
// URL names one, else npm's numeric source id.
function advisoryId(via) {
  const ghsa = /GHSA(-[23456789cfghjmpqrvwx]{4}){3}/.exec(via.url ?? '');
  return ghsa ? ghsa[0] : String(via.source);
}

// Checks the allow-list's shape; every entry needs an advisory id, the
// package, a reason and the date it was reviewed.
export function readAllowlist(text) {
  const parsed = JSON.parse(text);
  const entries = parsed?.advisories;
  if (!Array.isArray(entries)) throw new Error('audit-allowlist.json must hold {"advisories": [...]}');
  entries.forEach((entry, index) => {
    for (const field of ['advisory', 'package', 'reason', 'reviewed']) {
      if (typeof entry?.[field] !== 'string' || entry[field].trim() === '') {
        throw new Error(`audit-allowlist.json: advisories[${index}] lacks "${field}"; each entry names the advisory (GHSA id), the package, why it does not apply or cannot be fixed yet, and when that was reviewed (YYYY-MM-DD).`);
      }
    }
  });
  return entries;
}

// What `npm audit --omit=dev --json` printed, judged: `unavailable` when the
// registry gave no report, else the blocking advisories split into listed
// and not listed, plus listed ones that no longer occur.
export function judgeAudit(report, allowlist) {
  if (!report || typeof report !== 'object' || !report.vulnerabilities || typeof report.vulnerabilities !== 'object') {
    const reason = report?.message ?? report?.error?.summary ?? 'no vulnerabilities section in the answer';
    return { unavailable: true, reason: String(reason) };
  }
  const advisories = new Map();
  for (const vulnerability of Object.values(report.vulnerabilities)) {
    for (const via of vulnerability.via ?? []) {
      // A string names another vulnerable package; its own entry carries the advisory.
      if (typeof via !== 'object' || !BLOCKING.has(via.severity)) continue;
      const id = advisoryId(via);
      advisories.set(`${id} ${via.name}`, { id, package: via.name, severity: via.severity, title: via.title ?? '', url: via.url ?? '', range: via.range ?? '' });
    }
  }
  const listed = (advisory) => allowlist.some((entry) => entry.advisory === advisory.id && entry.package === advisory.package);
  const found = [...advisories.values()];
  return {
    unavailable: false,
    counts: report.metadata?.vulnerabilities ?? {},
    blocking: found.filter((advisory) => !listed(advisory)),
    allowed: found.filter(listed),
    stale: allowlist.filter((entry) => !found.some((advisory) => advisory.id === entry.advisory && advisory.package === entry.package)),
  };
}

function runNpmAudit() {
  const result = spawnSync('npm', ['audit', '--omit=dev', '--json'], { encoding: 'utf8', timeout: AUDIT_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 });
  if (result.error) return { message: `npm audit did not run: ${result.error.message}` };
  try {
    return JSON.parse(result.stdout);
  } catch {
    return { message: `npm audit printed no JSON (exit ${result.status}): ${(result.stderr || result.stdout).trim().split('\n').at(-1) ?? ''}` };
  }
}

function main() {
  const allowlist = readAllowlist(readFileSync(resolve('audit-allowlist.json'), 'utf8'));
  const verdict = judgeAudit(runNpmAudit(), allowlist);
  const say = (line) => process.stdout.write(`[dependency audit] ${line}\n`);
  if (verdict.unavailable) {
    say(`WARNING: the registry did not answer the audit (${verdict.reason}).`);
    say('WARNING: production dependencies were NOT checked for advisories; run `npm audit --omit=dev` where the registry serves npm\'s advisory endpoint (/-/npm/v1/security/advisories/bulk) before releasing.');
    return 0;
  }
  const counts = Object.entries(verdict.counts).map(([severity, count]) => `${severity} ${count}`).join(', ');
  say(`production dependencies: ${counts || 'no advisories'}`);
  for (const advisory of verdict.allowed) say(`allowed by audit-allowlist.json: ${advisory.severity} ${advisory.id} in ${advisory.package} (${advisory.title})`);
  for (const entry of verdict.stale) say(`audit-allowlist.json lists ${entry.advisory} in ${entry.package}, which no longer occurs: remove the entry`);
  if (verdict.blocking.length === 0) {
    say('no high or critical advisory outside audit-allowlist.json');
    return 0;
  }
  for (const advisory of verdict.blocking) say(`FAIL: ${advisory.severity} ${advisory.id} in ${advisory.package} ${advisory.range}: ${advisory.title} ${advisory.url}`);
  say(`${verdict.blocking.length} high or critical advisory(ies) in production dependencies: upgrade (npm audit fix --omit=dev, or a newer direct dependency), or list each in audit-allowlist.json with the reason it does not apply.`);
  return 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) process.exitCode = main();
