import { setImmediate as nextTurn } from 'node:timers/promises';

import { Injectable, Logger } from '@nestjs/common';

import { API_KEY_IN_TEXT } from 'src/platform/access/api-key.js';

export interface RedactionResult {
  texts: string[];
  // Secrets replaced, by kind (e.g. GITHUB_TOKEN: 2).
  found: Record<string, number>;
  count: number;
}

interface Finding {
  start: number;
  end: number;
  label: string;
}

const FILTER_COMMENTS_RULE = '@secretlint/secretlint-rule-filter-comments';
const AWS_RULE = '@secretlint/secretlint-rule-aws';

// secretlint and its rules load with the first scan, not at start (most
// processes, e.g. an agent's `baton stdio`, may never build a package).
// The recommended rules are used one by one so that two preset defaults can
// change: the comment filter is left out (text under scrutiny must not be
// able to switch scanning off with "secretlint-disable"), and AWS access key
// ids are scanned too.
async function loadSecretlint() {
  const [{ lintSource }, { secretLintProfiler }, { rules }] = await Promise.all([
    import('@secretlint/core'),
    import('@secretlint/profiler'),
    import('@secretlint/secretlint-rule-preset-recommend'),
  ]);
  // secretlint's profiler is on by default: every scan adds performance marks to
  // the process-wide timeline and the profiler keeps each one it observes, so
  // memory grew with every package built. Baton never reads the profile.
  secretLintProfiler.setEnabled(false);
  const config = {
    rules: rules.filter((rule) => rule.meta.id !== FILTER_COMMENTS_RULE).map((rule) => ({ id: rule.meta.id, rule, options: rule.meta.id === AWS_RULE ? { enableIDScanRule: true } : {} })),
  };
  return { lintSource, config };
}

// What the preset misses (checked against realistic samples in the spec):
// .env-style assignments of sensitive names, credentials in URLs of schemes
// it does not know (redis://, amqp://, ...), and private key blocks it does
// not recognise (EC, Ed25519) or that were cut off before their END line;
// and Baton's own API keys.
const SENSITIVE_NAME = /(SECRET|TOKEN|PASSWORD|PASSWD|PASSPHRASE|PWD|API[_-]?KEY|ACCESS[_-]?KEY|PRIVATE[_-]?KEY|SIGNING[_-]?KEY|CREDENTIAL|AUTH|DSN|SALT|COOKIE)/i;
const DOTENV_LINE = /^[ \t]*(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_.-]*)[ \t]*=[ \t]*(["']?)([^\r\n]*?)\2[ \t]*$/gm;
// A scheme starts where no scheme character precedes it: starting at every
// letter of a long "a.a.a..." run made this search quadratic.
const URL_CREDENTIALS = /(?<![a-z0-9+.-])[a-z][a-z0-9+.-]*:\/\/[^\s:@/]*:([^\s@/]+)@/gi;
const PRIVATE_KEY_BLOCK = /-----BEGIN ([A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?)-----[\s\S]*?(?:-----END \1-----|$(?![\s\S]))/g;
// The AWS rule reports a secret access key with a range that starts at the
// key's name and has the length of the key, so it ends inside the key.
const AWS_KEY_CHARS = /[A-Za-z0-9/+=]/;
const SEPARATOR = '\n\n';
const SCAN_CHARS = 32_768;

// Finds secrets with secretlint's maintained rules and replaces them with
// [REDACTED:<kind>]. Used on what leaves Baton in packages and summaries;
// stored entries are never changed.
@Injectable()
export class SecretRedactor {
  private readonly logger = new Logger(SecretRedactor.name);
  private secretlint?: ReturnType<typeof loadSecretlint>;

  async redact(texts: readonly string[]): Promise<RedactionResult> {
    const found: Record<string, number> = {};
    const result: string[] = [];
    for (const batch of scanBatches(texts)) {
      const findings = batch.map(() => [] as Finding[]);
      // One scan over the batch: secretlint's cost is mostly per call.
      const offsets: number[] = [];
      let at = 0;
      for (const text of batch) {
        offsets.push(at);
        at += text.length + SEPARATOR.length;
      }
      for (const finding of await this.scan(batch.join(SEPARATOR))) {
        batch.forEach((text, i) => {
          const start = Math.max(finding.start - (offsets[i] as number), 0);
          const end = Math.min(finding.end - (offsets[i] as number), text.length);
          if (start < end) findings[i]?.push({ start, end, label: finding.label });
        });
      }
      batch.forEach((text, i) => {
        const merged = mergeFindings([...(findings[i] ?? []), ...supplementaryFindings(text)]);
        for (const f of merged) found[f.label] = (found[f.label] ?? 0) + 1;
        result.push(applyFindings(text, merged));
      });
      // The scan is synchronous work: let other requests in between batches.
      if (result.length < texts.length) await nextTurn();
    }
    return { texts: result, found, count: Object.values(found).reduce((a, b) => a + b, 0) };
  }

  private async scan(content: string): Promise<Finding[]> {
    if (content.length === 0) return [];
    try {
      // A failed load (a broken install) is tried again by the next scan.
      this.secretlint ??= loadSecretlint().catch((error: unknown) => {
        this.secretlint = undefined;
        throw error;
      });
      const { lintSource, config } = await this.secretlint;
      const result = await lintSource({ source: { filePath: 'entry.txt', content, contentType: 'text' }, options: { config, maskSecrets: false } });
      return result.messages.map((m) => {
        let end = m.range[1];
        if (m.messageId === 'AWSSecretAccessKey') while (end < content.length && AWS_KEY_CHARS.test(content.charAt(end))) end++;
        return { start: m.range[0], end, label: m.messageId };
      });
    } catch (error) {
      // Better to withhold text than to pass on a secret: callers replace
      // what they cannot vouch for.
      this.logger.error({ err: (error as Error).message }, 'secret scan failed; redacting whole texts');
      return [{ start: 0, end: content.length, label: 'UNSCANNED' }];
    }
  }
}

// Consecutive texts in batches of about SCAN_CHARS, so that no single scan
// holds the event loop for long; a longer text is a batch of its own.
function scanBatches(texts: readonly string[]): string[][] {
  const batches: string[][] = [];
  let current: string[] = [];
  let chars = 0;
  for (const text of texts) {
    if (current.length > 0 && chars + text.length > SCAN_CHARS) {
      batches.push(current);
      current = [];
      chars = 0;
    }
    current.push(text);
    chars += text.length + SEPARATOR.length;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

function supplementaryFindings(text: string): Finding[] {
  const findings: Finding[] = [];
  for (const m of text.matchAll(DOTENV_LINE)) {
    const [, name = '', , value = ''] = m;
    if (!SENSITIVE_NAME.test(name) || value.length === 0 || /^\$\{?[A-Za-z_][A-Za-z0-9_]*\}?$/.test(value)) continue;
    const start = (m.index ?? 0) + m[0].indexOf(value, m[0].indexOf('=') + 1);
    findings.push({ start, end: start + value.length, label: 'ENV_SECRET' });
  }
  for (const m of text.matchAll(URL_CREDENTIALS)) {
    const password = m[1] ?? '';
    const start = (m.index ?? 0) + m[0].length - 1 - password.length;
    findings.push({ start, end: start + password.length, label: 'URL_CREDENTIALS' });
  }
  for (const m of text.matchAll(PRIVATE_KEY_BLOCK)) findings.push({ start: m.index ?? 0, end: (m.index ?? 0) + m[0].length, label: 'PrivateKey' });
  for (const m of text.matchAll(API_KEY_IN_TEXT)) findings.push({ start: m.index ?? 0, end: (m.index ?? 0) + m[0].length, label: 'BATON_API_KEY' });
  return findings;
}

function mergeFindings(findings: Finding[]): Finding[] {
  const sorted = [...findings].sort((a, b) => a.start - b.start || b.end - a.end);
  const merged: Finding[] = [];
  for (const f of sorted) {
    const last = merged.at(-1);
    if (last && f.start <= last.end) last.end = Math.max(last.end, f.end);
    else merged.push({ ...f });
  }
  return merged;
}

function applyFindings(text: string, findings: Finding[]): string {
  let out = '';
  let cursor = 0;
  for (const f of findings) {
    out += `${text.slice(cursor, f.start)}[REDACTED:${f.label}]`;
    cursor = f.end;
  }
  return out + text.slice(cursor);
}
