import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ConfigError, defaultBatonHome, loadConfig, redactSecrets } from 'src/config/config.loader.js';
import { configProblems } from 'test/support/test-config.js';

describe('loadConfig', () => {
  it('fills every setting with its default when nothing is set', () => {
    const config = loadConfig({}, {});
    expect(config.http).toEqual({ host: '127.0.0.1', port: 3000, allowedHosts: [], allowedOrigins: [], mcpSessionIdleSeconds: 3600 });
    expect(config.limits.maxEntryBytes).toBe(256 * 1024);
    expect(config.sessions.defaultNamespace).toBe('default');
  });

  it('reads a YAML file named by BATON_CONFIG and lets the environment override it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'baton-config-'));
    const file = join(dir, 'baton.yaml');
    writeFileSync(file, 'http:\n  port: 4000\n  host: 0.0.0.0\nlimits:\n  maxEntryBytes: 1024\n');
    const config = loadConfig({}, { BATON_CONFIG: file, BATON_HTTP_PORT: '4100' });
    expect(config.http.port).toBe(4100);
    expect(config.http.host).toBe('0.0.0.0');
    expect(config.limits.maxEntryBytes).toBe(1024);
  });

  it('reads a JSON file too', () => {
    const dir = mkdtempSync(join(tmpdir(), 'baton-config-'));
    const file = join(dir, 'baton.json');
    writeFileSync(file, JSON.stringify({ sessions: { ttlSeconds: 60 } }));
    expect(loadConfig({}, { BATON_CONFIG: file }).sessions.ttlSeconds).toBe(60);
  });

  it('reads any setting, not only secrets, from the file named by its _FILE variable', () => {
    const dir = mkdtempSync(join(tmpdir(), 'baton-config-'));
    const file = join(dir, 'port');
    writeFileSync(file, '8080\n');
    expect(loadConfig({}, { BATON_HTTP_PORT_FILE: file }).http.port).toBe(8080);
  });

  it('names the setting, the bad value and what is allowed', () => {
    expect(() => loadConfig({}, { BATON_HTTP_PORT: 'eighty' })).toThrow(ConfigError);
    try {
      loadConfig({}, { BATON_HTTP_PORT: '70000', DATABASE_URL: 'mysql://x' });
    } catch (error) {
      const message = (error as ConfigError).message;
      expect(message).toContain('BATON_HTTP_PORT = "70000"');
      expect(message).toContain('port `baton serve` listens on');
      expect(message).toContain('DATABASE_URL = [redacted]: must be a postgresql:// URL');
      expect((error as ConfigError).problems).toHaveLength(2);
    }
  });

  it('rejects unknown settings in the file, listing the known ones', () => {
    const dir = mkdtempSync(join(tmpdir(), 'baton-config-'));
    const file = join(dir, 'baton.yaml');
    writeFileSync(file, 'http:\n  prot: 4000\n');
    expect(() => loadConfig({}, { BATON_CONFIG: file })).toThrow(/unknown setting "http.prot"; known settings: .*http.port/);
  });

  it('reports a file that cannot be read or parsed', () => {
    expect(() => loadConfig({}, { BATON_CONFIG: '/nonexistent/baton.yaml' })).toThrow(/cannot read the file/);
    const dir = mkdtempSync(join(tmpdir(), 'baton-config-'));
    const file = join(dir, 'bad.json');
    writeFileSync(file, '{ not json');
    expect(() => loadConfig({}, { BATON_CONFIG: file })).toThrow(/not valid JSON/);
  });

  it('splits comma-separated lists from the environment', () => {
    expect(loadConfig({}, { BATON_ALLOWED_ORIGINS: 'https://a.example, https://b.example' }).http.allowedOrigins).toEqual(['https://a.example', 'https://b.example']);
    expect(loadConfig({}, { OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'express, nestjs-core' }).telemetry.disabledInstrumentations).toEqual(['express', 'nestjs-core']);
  });

  it('names the instrumentations there are when one to disable is unknown', () => {
    expect(() => loadConfig({}, { OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'expres' })).toThrow(/OTEL_NODE_DISABLED_INSTRUMENTATIONS = "expres": "expres" is unknown: must be instrumentation names among http, pg, runtime-node, pino, express, nestjs-core, ioredis, undici, prisma, separated by commas/);
  });

  it('names every unknown item of a list in one message, without their positions', () => {
    const problems = configProblems({ OTEL_METRICS_EXPORTER: 'prometheus,statsd,graphite' });
    expect(problems).toContain('OTEL_METRICS_EXPORTER = "prometheus,statsd,graphite": "statsd", "graphite" are unknown: must be one or more of prometheus, otlp, console, none, separated by commas');
    expect(problems).not.toMatch(/\[\d+\]/);
  });

  it('reads lifecycle policy rules from a YAML file or a JSON environment variable', () => {
    const dir = mkdtempSync(join(tmpdir(), 'baton-config-'));
    const file = join(dir, 'baton.yaml');
    writeFileSync(file, 'lifecycle:\n  policies:\n    - tag: compliance\n      retentionSeconds: forever\n');
    expect(loadConfig({}, { BATON_CONFIG: file }).lifecycle.policies).toEqual([{ tag: 'compliance', retentionSeconds: 'forever' }]);
    expect(loadConfig({}, { BATON_LIFECYCLE_POLICIES: '[{"namespace":"acme","dormantAfterSeconds":60}]' }).lifecycle.policies).toEqual([{ namespace: 'acme', dormantAfterSeconds: 60 }]);
  });

  it('stops on a bad policy, naming the rule, the field and what is allowed', () => {
    expect(configProblems({ BATON_LIFECYCLE_POLICIES: '[{"tag":"x"' })).toContain('BATON_LIFECYCLE_POLICIES = "[{\\"tag\\":\\"x\\"": not valid JSON');
    expect(configProblems({ BATON_LIFECYCLE_POLICIES: '{"tag":"x"}' })).toContain('must be a list of rules');
    expect(configProblems({ BATON_LIFECYCLE_POLICIES: '[{"retentionSeconds":60}]' })).toContain('[0]: a rule needs namespace or tag');
    expect(configProblems({ BATON_LIFECYCLE_POLICIES: '[{"tag":"x"}]' })).toContain('[0]: a rule must set at least one timing');
    expect(configProblems({ BATON_LIFECYCLE_POLICIES: '[{"tag":"ok","ttlSeconds":5},{"tag":"x","retentionSecs":5}]' })).toContain('[1]: unknown field(s) retentionSecs; a rule has namespace, tag,');
    expect(configProblems({ BATON_LIFECYCLE_POLICIES: '[{"tag":"no spaces","retentionSeconds":"never"}]' })).toMatch(/\[0\]\.tag: must be 1-64 characters.*\[0\]\.retentionSeconds: must be a positive number of seconds or "forever"/);
    expect(configProblems({ BATON_RETENTION_SECONDS: 'never' })).toContain('BATON_RETENTION_SECONDS = "never": must be a positive number of seconds or "forever"');
  });

  describe('secret settings', () => {
    const secretFile = (text: string): string => {
      const file = join(mkdtempSync(join(tmpdir(), 'baton-secret-')), 'secret');
      writeFileSync(file, text);
      return file;
    };

    it('reads DATABASE_URL, REDIS_URL and the LLM API key from the files named by *_FILE, without the trailing newline', () => {
      const config = loadConfig({}, {
        DATABASE_URL_FILE: secretFile('postgresql://baton:s3cr3t-pw@db:5432/baton\n'),
        REDIS_URL_FILE: secretFile('redis://:r3dis-pw@cache:6379'),
        BATON_LLM_API_KEY_FILE: secretFile('sk-from-a-file\r\n'),
      });
      expect(config.database.url).toBe('postgresql://baton:s3cr3t-pw@db:5432/baton');
      expect(config.redis.url).toBe('redis://:r3dis-pw@cache:6379');
      expect(config.llm.apiKey).toBe('sk-from-a-file');
    });

    it('refuses a secret set both directly and by file, and names an unreadable file', () => {
      expect(configProblems({ DATABASE_URL: 'postgresql://a@b/c', DATABASE_URL_FILE: secretFile('postgresql://a@b/c') })).toContain('DATABASE_URL and DATABASE_URL_FILE are both set; set only one of them');
      expect(configProblems({ REDIS_URL_FILE: '/nonexistent/redis-url' })).toContain('REDIS_URL_FILE = /nonexistent/redis-url: cannot read the file (ENOENT)');
    });

    it('never shows a secret value in a configuration error, from the environment or from a file', () => {
      const direct = configProblems({ DATABASE_URL: 'mysql://root:hunter2-secret@db/baton' });
      expect(direct).toContain('DATABASE_URL = [redacted]: must be a postgresql:// URL');
      expect(direct).not.toContain('hunter2-secret');
      const fromFile = configProblems({ REDIS_URL_FILE: secretFile('http://:file-secret-pw@cache') });
      expect(fromFile).toMatch(/REDIS_URL_FILE \(.+\) = \[redacted\]: must be a redis:\/\/ or rediss:\/\/ URL/);
      expect(fromFile).not.toContain('file-secret-pw');
    });

    it('redacts URL passwords and secret values in any message', () => {
      const config = loadConfig({}, { DATABASE_URL: 'postgresql://baton:pg-password-1@db:5432/baton', BATON_LLM_API_KEY: 'sk-live-abcdef123456' });
      const message = redactSecrets('connect to postgresql://baton:pg-password-1@db:5432/baton failed; key sk-live-abcdef123456 refused; redis://:other-pw@x:6379 down', config);
      expect(message).not.toMatch(/pg-password-1|sk-live-abcdef123456|other-pw/);
      expect(message).toContain('key [redacted] refused');
      expect(message).toContain('redis://:[redacted]@x:6379 down');
    });
  });
});

describe('services and the embedded mode', () => {
  it('needs neither DATABASE_URL nor REDIS_URL: embedded PostgreSQL, jobs in PostgreSQL', () => {
    const config = loadConfig({ BATON_HOME: '/data/baton' }, {});
    expect(config.database.url).toBeUndefined();
    expect(config.database.home).toBe('/data/baton');
    expect(config.redis.url).toBeUndefined();
    expect(config.queue.backend).toBe('postgres');
  });

  it('keeps jobs on Redis when REDIS_URL is set, unless told to use PostgreSQL', () => {
    expect(loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379' }, {}).queue.backend).toBe('redis');
    expect(loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379', BATON_QUEUE_BACKEND: 'postgres' }, {}).queue.backend).toBe('postgres');
  });

  it('refuses a Redis job backend without REDIS_URL, and a relative BATON_HOME', () => {
    expect(() => loadConfig({ BATON_QUEUE_BACKEND: 'redis' }, {})).toThrow(/BATON_QUEUE_BACKEND = "redis" needs REDIS_URL/);
    expect(() => loadConfig({ BATON_HOME: 'data' }, {})).toThrow(/BATON_HOME = "data": must be an absolute path/);
  });

  it('puts BATON_HOME where the platform keeps user data', () => {
    expect(defaultBatonHome({ XDG_DATA_HOME: '/xdg' }, 'linux', 1000)).toBe('/xdg/baton');
    expect(defaultBatonHome({ XDG_DATA_HOME: 'relative' }, 'linux', 1000)).toMatch(/\/\.local\/share\/baton$/);
    expect(defaultBatonHome({}, 'darwin', 501)).toMatch(/\/Library\/Application Support\/baton$/);
    expect(defaultBatonHome({}, 'linux', 0)).toBe('/var/lib/baton');
  });
});
