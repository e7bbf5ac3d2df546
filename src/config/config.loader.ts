import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';

import { SETTINGS, type BatonConfig } from 'src/config/config.schema.js';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

// The only place Baton reads process.env and config files. Environment
// variables win over the file named by BATON_CONFIG; defaults fill the rest.
// Any setting may instead be given as <VARIABLE>_FILE, the path of a file that
// holds the value (container and Kubernetes secrets are mounted as files).
export function loadConfig(overrides: Env = {}, source: Env = process.env): BatonConfig {
  const problems: string[] = [];
  const env = readSecretFiles({ ...source, ...overrides }, problems);
  const file = env.BATON_CONFIG ? readConfigFile(env.BATON_CONFIG, problems) : {};
  const known = new Set(SETTINGS.map((s) => `${s.path[0]}.${s.path[1]}`));
  for (const [section, values] of Object.entries(file)) {
    for (const key of Object.keys(isRecord(values) ? values : {})) {
      if (!known.has(`${section}.${key}`)) problems.push(`${env.BATON_CONFIG}: unknown setting "${section}.${key}"; known settings: ${[...known].join(', ')}`);
    }
  }
  const config: Record<string, Record<string, unknown>> = {};
  for (const setting of SETTINGS) {
    const [section, key] = setting.path;
    const fromFile = isRecord(file[section]) ? file[section][key] : undefined;
    const raw = env[setting.env] !== undefined && env[setting.env] !== '' ? env[setting.env] : fromFile;
    const parsed = setting.schema.safeParse(raw);
    if (parsed.success) {
      (config[section] ??= {})[key] = parsed.data;
    } else {
      const source = env[setting.env] !== undefined && env[setting.env] !== '' ? `${setting.env}` : `${section}.${key} in ${env.BATON_CONFIG}`;
      problems.push(`${source} = ${JSON.stringify(raw)}: ${parsed.error.issues.map(describeIssue).join('; ')} (${setting.help})`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config as unknown as BatonConfig;
}

function readSecretFiles(env: Env, problems: string[]): Env {
  const resolved = { ...env };
  for (const setting of SETTINGS) {
    const path = env[`${setting.env}_FILE`];
    if (path === undefined || path === '') continue;
    if (env[setting.env] !== undefined && env[setting.env] !== '') {
      problems.push(`${setting.env} and ${setting.env}_FILE are both set; keep only one of them`);
      continue;
    }
    try {
      // A trailing newline is an artefact of how the file was written, not part of the value.
      resolved[setting.env] = readFileSync(path, 'utf8').replace(/\r?\n$/, '');
    } catch (error) {
      problems.push(`${setting.env}_FILE = ${path}: cannot read the file (${(error as Error).message}); point it at a readable file holding the value of ${setting.env}`);
    }
  }
  return resolved;
}

function readConfigFile(path: string, problems: string[]): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    problems.push(`BATON_CONFIG = ${path}: cannot read the file (${(error as Error).message}); point it at a YAML or JSON file or unset it`);
    return {};
  }
  try {
    const value: unknown = extname(path) === '.json' ? JSON.parse(text) : parseYaml(text);
    if (value == null) return {};
    if (!isRecord(value)) throw new Error('the top level must be a mapping of sections (database, redis, http, ...)');
    return value;
  } catch (error) {
    problems.push(`BATON_CONFIG = ${path}: not valid ${extname(path) === '.json' ? 'JSON' : 'YAML'}: ${(error as Error).message}`);
    return {};
  }
}

// Structured settings (lists of rules) name the offending element: `[1].tag: ...`.
function describeIssue(issue: { path: PropertyKey[]; message: string }): string {
  const where = issue.path.map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`)).join('');
  return where === '' ? issue.message : `${where.replace(/^\./, '')}: ${issue.message}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
