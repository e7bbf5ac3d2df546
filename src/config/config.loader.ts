import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { extname, isAbsolute, join } from 'node:path';
import type * as Yaml from 'yaml';

import { SETTINGS, type BatonConfig, type SettingSpec } from 'src/config/config.schema.js';

const REDACTED = '[redacted]';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

// The only place Baton reads process.env and config files. Environment
// variables win over the file named by BATON_CONFIG; defaults fill the rest.
export function loadConfig(overrides: Env = {}, source: Env = process.env): BatonConfig {
  const env = { ...source, ...overrides };
  const problems: string[] = [];
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
    const fromEnv = readEnvSetting(setting, env, problems);
    const raw = fromEnv ? fromEnv.value : fromFile;
    const parsed = setting.schema.safeParse(raw);
    if (parsed.success) {
      (config[section] ??= {})[key] = parsed.data;
    } else {
      const source = fromEnv ? fromEnv.source : `${section}.${key} in ${env.BATON_CONFIG}`;
      const shown = 'secret' in setting ? REDACTED : JSON.stringify(raw);
      problems.push(`${source} = ${shown}: ${parsed.error.issues.map(describeIssue).join('; ')} (${setting.help})`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const resolved = config as unknown as BatonConfig;
  if (resolved.queue.backend === 'redis' && resolved.redis.url === undefined) {
    throw new ConfigError(['BATON_QUEUE_BACKEND = "redis" needs REDIS_URL; set REDIS_URL, or choose postgres (or auto) to keep jobs in PostgreSQL']);
  }
  resolved.queue.backend = resolved.queue.backend === 'auto' ? (resolved.redis.url !== undefined ? 'redis' : 'postgres') : resolved.queue.backend;
  resolved.database.home ??= defaultBatonHome(env);
  return resolved;
}

// Where a user's data lives by the platform's convention. Root runs the
// embedded server as another user, which cannot reach root's home.
export function defaultBatonHome(env: Env, platform = process.platform, uid = process.getuid?.() ?? -1): string {
  if (platform === 'win32') return join(env.LOCALAPPDATA ?? join(homedir(), 'AppData', 'Local'), 'baton');
  if (uid === 0) return '/var/lib/baton';
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'baton');
  return join(env.XDG_DATA_HOME !== undefined && isAbsolute(env.XDG_DATA_HOME) ? env.XDG_DATA_HOME : join(homedir(), '.local', 'share'), 'baton');
}

// A setting's value from the environment: the variable itself or the file
// named by `<variable>_FILE` (container and Kubernetes secrets are mounted as
// files; one trailing newline is dropped).
function readEnvSetting(setting: SettingSpec, env: Env, problems: string[]): { value: string; source: string } | undefined {
  const direct = env[setting.env];
  const fileVariable = `${setting.env}_FILE`;
  const path = env[fileVariable];
  if (path !== undefined && path !== '') {
    if (direct !== undefined && direct !== '') {
      problems.push(`${setting.env} and ${fileVariable} are both set; set only one of them`);
      return undefined;
    }
    try {
      return { value: readFileSync(path, 'utf8').replace(/\r?\n$/, ''), source: `${fileVariable} (${path})` };
    } catch (error) {
      problems.push(`${fileVariable} = ${path}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); point it at a readable file holding ${setting.env}, or unset it`);
      return undefined;
    }
  }
  return direct !== undefined && direct !== '' ? { value: direct, source: setting.env } : undefined;
}

// Text bound for a log or a terminal with every secret setting's value, and
// any password inside a URL, replaced by [redacted].
// The environment of a helper program Baton runs (the embedded PostgreSQL's
// binaries): Baton's own, with the C locale so their messages can be read.
export function childProcessEnv(): NodeJS.ProcessEnv {
  return { ...process.env, LC_ALL: 'C' };
}

export function redactSecrets(text: string, config: BatonConfig): string {
  let result = text.replace(/([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:)[^@\s]+@/gi, `$1${REDACTED}@`);
  for (const setting of SETTINGS) {
    if (!('secret' in setting)) continue;
    const value = (config as unknown as Record<string, Record<string, unknown>>)[setting.path[0]]?.[setting.path[1]];
    // Very short values would redact ordinary words; URL passwords are caught above.
    if (typeof value === 'string' && value.length >= 8) result = result.split(value).join(REDACTED);
  }
  return result;
}

// The YAML parser loads only when a YAML file is named: most starts have none.
function parseYaml(text: string): unknown {
  const yaml = createRequire(import.meta.url)('yaml') as typeof Yaml;
  return yaml.parse(text);
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
