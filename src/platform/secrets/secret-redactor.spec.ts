import { generateKeyPairSync } from 'node:crypto';
import { performance } from 'node:perf_hooks';

import { issueApiKey } from 'src/platform/access/api-key.js';
import { SecretRedactor } from 'src/platform/secrets/secret-redactor.js';

// Realistic shapes, assembled at run time so the repository holds no
// literal that looks like a live credential.
const AWS_KEY_ID = ['AKIA', '2E0A8F3B244C9986'].join('');
const AWS_SECRET = ['Xs8Uk2mQz1Lq0Fj3', 'Vb7Nc9Rt/5Yw4Pe6Hd2Ga8Kx'].join('');
const GITHUB_TOKEN = ['ghp', '16C7e42F292c6912E7710c838347Ae178B4a'].join('_');
const GITHUB_PAT = ['github_pat', '11ABCDEFG0' + 'a1B2c3D4e5'.repeat(7) + 'zz'].join('_');
const BATON_KEY = issueApiKey().key;
const SLACK_TOKEN = ['xoxb', '123456789012', '1234567890123', 'abcdefghijABCDEFGHIJklmn'].join('-');

function pem(type: 'rsa' | 'ec' | 'ed25519'): string {
  const publicKeyEncoding = { type: 'spki', format: 'pem' } as const;
  if (type === 'rsa') return generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } }).privateKey;
  if (type === 'ec') return generateKeyPairSync('ec', { namedCurve: 'P-256', publicKeyEncoding, privateKeyEncoding: { type: 'sec1', format: 'pem' } }).privateKey;
  return generateKeyPairSync('ed25519', { publicKeyEncoding, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } }).privateKey;
}

describe('SecretRedactor', () => {
  const redactor = new SecretRedactor();

  it.each([
    ['an AWS access key id', `export AWS_ACCESS_KEY_ID=${AWS_KEY_ID}`, AWS_KEY_ID],
    ['an AWS secret access key, to its last character', `aws_secret_access_key = ${AWS_SECRET}`, AWS_SECRET.slice(-12)],
    ['a classic GitHub token', `git remote set-url origin https://x:${GITHUB_TOKEN}@github.com/acme/api.git`, GITHUB_TOKEN],
    ['a fine-grained GitHub token', `GH_TOKEN is ${GITHUB_PAT}`, GITHUB_PAT],
    ['a Slack bot token', `curl -H "Authorization: Bearer ${SLACK_TOKEN}" https://slack.com/api/chat.postMessage`, SLACK_TOKEN],
    ['a basic-auth URL', 'curl https://deploy:s3cr3t-P4ss@ci.example.com/api/v4/jobs', 's3cr3t-P4ss'],
    ['a Redis URL with a password', 'REDIS=redis://:hunter2-cache@cache.internal:6379/0', 'hunter2-cache'],
    ['a PostgreSQL URL with a password', 'psql postgres://app:pg-Pa55word@db.internal:5432/app', 'pg-Pa55word'],
    ['a .env password line', 'cat .env\nNODE_ENV=production\nDB_PASSWORD=correct-horse-battery\nPORT=3000', 'correct-horse-battery'],
    ['a Baton API key in a command line', `curl -H 'Authorization: Bearer ${BATON_KEY}' https://baton.example.com/api/sessions`, BATON_KEY.slice(-43)],
    ['a Baton API key in prose', `CI uses ${BATON_KEY}, rotated monthly`, BATON_KEY.slice(6)],
    ['a quoted .env API key', 'STRIPE_API_KEY="sk_test_not_a_real_key_123"', 'sk_test_not_a_real_key_123'],
  ])('redacts %s', async (_kind, text, secret) => {
    const { texts, count } = await redactor.redact([text]);
    expect(texts[0]).not.toContain(secret);
    expect(texts[0]).toContain('[REDACTED:');
    expect(count).toBeGreaterThan(0);
  });

  it.each(['rsa', 'ec', 'ed25519'] as const)('redacts a whole %s private key block, and one cut off before its END line', async (type) => {
    const key = pem(type);
    const body = key.split('\n')[1] as string;
    const { texts } = await redactor.redact([`here is the deploy key:\n${key}\nrotate it after`, `partial paste:\n${key.slice(0, key.length - 40)}`]);
    for (const text of texts) {
      expect(text).not.toContain(body);
      expect(text).toContain('[REDACTED:PrivateKey]');
    }
    expect(texts[0]).toContain('rotate it after');
  });

  it('leaves ordinary coding text alone and keeps the text around a secret', async () => {
    const plain = 'Ran `npm test -- src/auth/session.spec.ts`; NODE_ENV=test PORT=3000; see https://github.com/acme/api/pull/42';
    const { texts, count } = await redactor.redact([plain, `before ${GITHUB_TOKEN} after`]);
    expect(texts[0]).toBe(plain);
    expect(texts[1]).toBe('before [REDACTED:GITHUB_TOKEN] after');
    expect(count).toBe(1);
  });

  it('redacts a Baton API key as one whole finding named BATON_API_KEY', async () => {
    const { texts, found } = await redactor.redact([`export BATON_TOKEN_FOR_CI is ${BATON_KEY} (expires in 30d)`]);
    expect(texts[0]).toBe('export BATON_TOKEN_FOR_CI is [REDACTED:BATON_API_KEY] (expires in 30d)');
    expect(found).toEqual({ BATON_API_KEY: 1 });
  });

  it('cannot be switched off by a secretlint-disable comment in the text', async () => {
    const { texts } = await redactor.redact([`// secretlint-disable\nconst token = "${GITHUB_TOKEN}";`]);
    expect(texts[0]).not.toContain(GITHUB_TOKEN);
  });

  it('redacts many texts in one scan without mixing them up', async () => {
    const { texts, found } = await redactor.redact(['first, clean', `second ${SLACK_TOKEN}`, '', `fourth ${GITHUB_TOKEN}`]);
    expect(texts).toEqual(['first, clean', 'second [REDACTED:SLACK_TOKEN]', '', 'fourth [REDACTED:GITHUB_TOKEN]']);
    expect(found).toEqual({ SLACK_TOKEN: 1, GITHUB_TOKEN: 1 });
  });

  it('leaves nothing behind in the process-wide performance timeline, however many texts it scans', async () => {
    await redactor.redact(['first scan']);
    // Marks are buffered until someone clears them; secretlint's profiler
    // also keeps every entry it observes.
    const timeline = () => performance.getEntriesByType('mark').length + performance.getEntriesByType('measure').length;
    const before = timeline();
    for (let i = 0; i < 50; i++) await redactor.redact([`scan ${i}: ${GITHUB_TOKEN}`, 'clean text']);
    await new Promise((resolve) => setImmediate(resolve));
    expect(timeline()).toBe(before);
  });

  it('scans many long texts in batches, letting other callbacks run in between', async () => {
    const texts = Array.from({ length: 12 }, (_, i) => `${'Deploy notes, part '.repeat(600)}${i} ${SLACK_TOKEN}`);
    let turns = 0;
    const ticker = setInterval(() => turns++, 0);
    const { texts: redacted, count } = await redactor.redact(texts);
    clearInterval(ticker);
    expect(count).toBe(12);
    expect(redacted.every((t) => t.endsWith('[REDACTED:SLACK_TOKEN]'))).toBe(true);
    expect(turns).toBeGreaterThan(0);
  });

  it('finds URL credentials after long dotted runs without searching from every letter', async () => {
    // From every letter of "a.a.a..." the URL search scanned to the end of
    // the run: 40 texts like these took over 6 s.
    const texts = Array.from({ length: 40 }, () => `${'a.'.repeat(5_990)} redis://:hunter2-cache@cache.internal:6379`);
    const started = performance.now();
    const { texts: redacted } = await redactor.redact(texts);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(redacted.every((t) => t.endsWith('redis://:[REDACTED:URL_CREDENTIALS]@cache.internal:6379'))).toBe(true);
    const { texts: prefixed } = await redactor.redact(['x.https://deploy:s3cr3t-P4ss@ci.example.com', '_ftp://u:pa55@files.example.com']);
    expect(prefixed.join(' ')).not.toMatch(/s3cr3t-P4ss|pa55/);
  });
});
