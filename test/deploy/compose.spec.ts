import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

import { Ajv } from 'ajv';
import { parse } from 'yaml';

import { SETTINGS } from 'src/config/config.schema.js';

interface Service {
  image?: string;
  command?: string[];
  profiles?: string[];
  restart?: string;
  environment?: Record<string, string>;
  secrets?: string[];
  volumes?: string[];
  healthcheck?: { test?: string[]; disable?: boolean };
  depends_on?: Record<string, { condition: string }>;
  read_only?: boolean;
}
interface Compose {
  services: Record<string, Service>;
  secrets: Record<string, { file?: string }>;
}

// No Docker engine runs the suite: the file is checked against the Compose
// Specification's own JSON schema (test/schemas/compose-spec.json, from the
// compose-spec project) and against what a working deployment needs.
describe('docker-compose.yml', () => {
  const text = readFileSync('docker-compose.yml', 'utf8');
  const compose = parse(text, { merge: true }) as Compose;
  const services = compose.services;
  const batonServices = ['migrate', 'baton', 'worker'] as const;
  const validate = compileComposeSchema();

  it('is valid under the Compose Specification schema', () => {
    const valid = validate(parse(text, { merge: true }));
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('the schema check catches a misspelt key', () => {
    const broken = parse(text, { merge: true }) as { services: Record<string, Record<string, unknown>> };
    broken.services.baton.healthckeck = broken.services.baton.healthcheck;
    expect(validate(broken)).toBe(false);
  });

  it('runs PostgreSQL, Redis, a one-shot migration, baton serve and baton worker by default', () => {
    const byDefault = Object.entries(services).filter(([, s]) => s.profiles === undefined).map(([name]) => name);
    expect(byDefault.sort()).toEqual(['baton', 'migrate', 'postgres', 'redis', 'worker']);
    expect(services.migrate.command).toEqual(['migrate']);
    expect(services.migrate.restart).toBe('no');
    expect(services.baton.command).toEqual(['serve']);
    expect(services.worker.command).toEqual(['worker']);
    for (const name of ['baton', 'worker']) {
      expect(services[name].depends_on).toMatchObject({
        postgres: { condition: 'service_healthy' },
        redis: { condition: 'service_healthy' },
        migrate: { condition: 'service_completed_successfully' },
      });
    }
  });

  it('leaves schema changes to the migrate service: serve and worker do not migrate at start', () => {
    for (const name of ['baton', 'worker']) expect([name, services[name].environment?.BATON_AUTO_MIGRATE]).toEqual([name, 'false']);
  });

  it('checks the health of PostgreSQL, Redis and serve, serve on its readiness endpoint', () => {
    for (const name of ['postgres', 'redis', 'baton']) expect(services[name].healthcheck?.test?.length).toBeGreaterThan(0);
    expect(services.baton.healthcheck!.test!.join(' ')).toContain('/health/ready');
  });

  it('runs Baton with a read-only root file system', () => {
    for (const name of batonServices) expect(services[name].read_only).toBe(true);
  });

  it('passes secrets as files: every *_FILE variable names a mounted secret whose file exists', () => {
    let fileVariables = 0;
    for (const [name, service] of Object.entries(services)) {
      for (const [variable, value] of Object.entries(service.environment ?? {})) {
        if (!variable.endsWith('_FILE')) continue;
        fileVariables++;
        const secret = /^\/run\/secrets\/([\w-]+)$/.exec(value)?.[1];
        expect([name, variable, secret !== undefined && service.secrets?.includes(secret)]).toEqual([name, variable, true]);
        expect(existsSync(compose.secrets[secret!].file!)).toBe(true);
      }
    }
    expect(fileVariables).toBeGreaterThanOrEqual(batonServices.length + 2);
  });

  it('writes no password or credentialed URL inline', () => {
    for (const service of Object.values(services)) {
      for (const [variable, value] of Object.entries(service.environment ?? {})) {
        expect([variable, /:\/\/[^/@\s]+:[^/@\s]+@/.test(String(value))]).toEqual([variable, false]);
        if (/PASSWORD|SECRET|API_KEY|TOKEN/.test(variable)) expect(variable).toMatch(/_FILE$/);
      }
    }
  });

  it('sets only settings Baton knows (or their _FILE forms and OpenTelemetry variables) on Baton services', () => {
    const known = new Set(SETTINGS.flatMap((s) => [s.env, `${s.env}_FILE`]));
    for (const name of batonServices) {
      for (const variable of Object.keys(services[name].environment ?? {})) {
        expect([name, variable, known.has(variable) || variable.startsWith('OTEL_')]).toEqual([name, variable, true]);
      }
    }
  });

  it('has an observability profile with the collector, Prometheus and Grafana, the dashboards provisioned from the repository', () => {
    const observability = Object.entries(services).filter(([, s]) => s.profiles?.includes('observability'));
    expect(observability.map(([name]) => name)).toEqual(['lgtm']);
    const lgtm = services.lgtm;
    expect(lgtm.image).toMatch(/^grafana\/otel-lgtm:\d+\.\d+\.\d+$/);
    const mounts = (lgtm.volumes ?? []).map((v) => v.split(':'));
    const provider = mounts.find(([, target]) => target.startsWith('/otel-lgtm/grafana/conf/provisioning/dashboards/'));
    expect(provider).toBeDefined();
    const dashboardsPath = (parse(readFileSync(provider![0], 'utf8')) as { providers: { options: { path: string } }[] }).providers[0].options.path;
    const dashboards = mounts.find(([, target]) => target === dashboardsPath);
    expect(dashboards).toBeDefined();
    for (const [source] of mounts) expect([source, existsSync(source)]).toEqual([source, true]);
    expect(services.baton.environment?.OTEL_EXPORTER_OTLP_ENDPOINT).toBe('http://lgtm:4318');
  });
});

// The schema names draft-07 by its https address; Ajv knows it by the http one.
function compileComposeSchema() {
  const draft7 = createRequire(import.meta.url)('ajv/dist/refs/json-schema-draft-07.json') as Record<string, unknown>;
  const ajv = new Ajv({ allErrors: true, strict: false });
  ajv.addMetaSchema({ ...draft7, $id: 'https://json-schema.org/draft-07/schema' });
  return ajv.compile(JSON.parse(readFileSync('test/schemas/compose-spec.json', 'utf8')) as object);
}
