import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

import { BatonProcess } from 'bench/support/baton-process.js';
import { freePort } from 'bench/support/server-process.js';
import { registerSession } from 'test/factories/session.factory.js';
import { startFakeLlmServer, type FakeLlmServer } from 'test/support/fake-llm-server.js';
import { connectMcpClient } from 'test/support/mcp-client.js';
import { testSettings } from 'test/support/test-config.js';
import { callOk, callTool } from 'test/support/tool-calls.js';
import { waitFor } from 'test/support/wait-for.js';

// A real Prometheus scrapes a real `baton serve` and `baton worker` under
// load; every dashboard panel's query must parse and return series, and the
// alert rules must load and pass promtool's checks and unit tests.
const PROMETHEUS = which('prometheus');
const PROMTOOL = which('promtool');
const REQUIRED = process.env.BATON_CI === '1';
const DASHBOARDS = resolve('ops/grafana/dashboards');
const ALERTS = resolve('ops/prometheus/alerts.yml');

function which(binary: string): string | undefined {
  const found = spawnSync('sh', ['-c', `command -v ${binary}`], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

if ((!PROMETHEUS || !PROMTOOL) && !REQUIRED) {
  process.stderr.write('\n*** SKIPPED test/e2e/prometheus.e2e-spec.ts: prometheus/promtool are not installed. Install them (apt-get install prometheus) or run .ci/run, which does. ***\n\n');
}
const suite = PROMETHEUS && PROMTOOL ? describe : REQUIRED ? describe : describe.skip;

interface PanelQuery {
  dashboard: string;
  panel: string;
  expr: string;
}

function panelQueries(): PanelQuery[] {
  const queries: PanelQuery[] = [];
  for (const file of readdirSync(DASHBOARDS).filter((f) => f.endsWith('.json'))) {
    const dashboard = JSON.parse(readFileSync(join(DASHBOARDS, file), 'utf8')) as { title: string; panels: { title: string; targets: { expr: string }[] }[] };
    for (const panel of dashboard.panels) for (const target of panel.targets) queries.push({ dashboard: dashboard.title, panel: panel.title, expr: target.expr });
  }
  return queries;
}

suite('dashboards and alerts against a real Prometheus', () => {
  if (!PROMETHEUS || !PROMTOOL) {
    it('has prometheus and promtool installed (required in CI)', () => {
      throw new Error('prometheus and promtool are required in CI: .ci/run installs them with apt-get install prometheus');
    });
    return;
  }

  const work = mkdtempSync(join(tmpdir(), 'baton-prometheus-'));
  let fake: FakeLlmServer;
  let serve: BatonProcess;
  let worker: ChildProcess;
  let prometheus: ChildProcess;
  let prometheusUrl: string;

  async function query(expr: string): Promise<{ status: string; error?: string; data?: { result: unknown[] } }> {
    const response = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
    return (await response.json()) as { status: string; error?: string; data?: { result: unknown[] } };
  }

  // Says, for a panel without series, how many samples Prometheus holds of
  // each series its rates read, and whether the scrapes of `baton serve`
  // worked: the difference between a metric never exported and one scraped
  // too rarely.
  async function samplesOf(expr: string): Promise<string> {
    const metrics = [...new Set([...expr.matchAll(/rate\(([a-z_:][a-z0-9_:]*)/g)].map((m) => m[1]))];
    const counts = await Promise.all(metrics.map(async (metric) => `${metric}: ${JSON.stringify((await query(`count_over_time(${metric}[5m])`)).data?.result.slice(0, 3))}`));
    const exported = await fetch(new URL('/metrics', serve.url)).then((r) => r.text()).then((text) => metrics.map((metric) => `${metric} in /metrics now: ${text.split('\n').filter((line) => line.startsWith(metric)).length} lines`), (error: unknown) => [`/metrics: ${String(error)}`]);
    const [all, succeeded] = await Promise.all(['count_over_time', 'sum_over_time'].map(async (fn) => JSON.stringify((await query(`${fn}(up{job="baton"}[5m])`)).data?.result.map((r) => (r as { value: unknown[] }).value[1]))));
    const scrapes = `${succeeded} of ${all} succeeded`;
    const log = readFileSync(join(work, 'serve.log'), 'utf8').trim().split('\n').slice(-10).join('\n');
    return [...counts, ...exported, `scrapes of baton serve: ${scrapes}`, `end of its log:\n${log}`].join('; ');
  }

  async function traffic(client: Client, round: number): Promise<void> {
    const sessionKey = await registerSession(client, { tags: ['ops'] });
    for (const type of ['decision', 'todo', 'note', 'code_change', 'error']) await callOk(client, 'update_context', { sessionKey, type, content: `${type} ${round}`, metadata: type === 'code_change' ? { files: ['src/a.ts'] } : {} });
    await callTool(client, 'update_context', { sessionKey: `missing-${round}`, type: 'note', content: 'x' });
    await client.readResource({ uri: 'handoff://nothing' }).catch(() => undefined);
    await client.readResource({ uri: `handoff://sessions/${sessionKey}/summary` });
    await client.readResource({ uri: `handoff://sessions/${sessionKey}/summary` });
    const { handoffId } = await callOk<{ handoffId: string }>(client, 'request_handoff', { sessionKey, targetAgent: 'reviewer', type: 'context_transfer' });
    await callOk(client, 'accept_handoff', { handoffId, agentId: 'reviewer' });
    if (round % 3 === 0) await callOk(client, 'analyze_codebase', { sessionKey, root: resolve('test/fixtures/codebase/sample'), analysisType: 'structure' });
  }

  beforeAll(async () => {
    fake = await startFakeLlmServer('A condensed brief.');
    const workerPort = await freePort();
    const settings = testSettings({
      BATON_LOG_LEVEL: 'warn',
      BATON_LLM_PROVIDER: 'openai',
      BATON_LLM_BASE_URL: `${fake.baseUrl}/v1`,
      BATON_LLM_API_KEY: 'sk-test',
      BATON_LLM_MODEL: 'gpt-test',
      BATON_ALLOWED_ROOTS: resolve('test/fixtures/codebase'),
      // Sessions turn dormant at once and the sweeper runs every second, so lifecycle transitions happen during the test.
      BATON_DORMANT_AFTER_SECONDS: '1',
      BATON_SWEEP_INTERVAL_SECONDS: '1',
      OTEL_EXPORTER_PROMETHEUS_PORT: String(workerPort),
    });
    serve = await BatonProcess.start(settings, join(work, 'serve.log'));
    worker = spawn(process.execPath, [resolve('dist/main.js'), 'worker'], { env: { PATH: process.env.PATH ?? '', ...settings }, stdio: 'ignore' });

    const port = await freePort();
    prometheusUrl = `http://127.0.0.1:${port}`;
    writeFileSync(
      join(work, 'prometheus.yml'),
      [
        'global: { scrape_interval: 1s, evaluation_interval: 1s }',
        `rule_files: [${JSON.stringify(ALERTS)}]`,
        'scrape_configs:',
        `  - { job_name: baton, metrics_path: /metrics, static_configs: [{ targets: ["${serve.url.host}"] }] }`,
        `  - { job_name: baton-worker, metrics_path: /metrics, static_configs: [{ targets: ["127.0.0.1:${workerPort}"] }] }`,
        '',
      ].join('\n'),
    );
    prometheus = spawn(PROMETHEUS, [`--config.file=${join(work, 'prometheus.yml')}`, `--storage.tsdb.path=${join(work, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
    await waitFor('Prometheus to be ready', () => fetch(`${prometheusUrl}/-/ready`).then((r) => r.ok, () => false), 60_000);

    const transport = new StreamableHTTPClientTransport(serve.url);
    const client = await connectMcpClient(transport, 'prometheus-load');
    const until = Date.now() + 12_000;
    for (let round = 0; Date.now() < until; round++) await traffic(client, round);
    // Ends the MCP session, so a session duration is recorded.
    await transport.terminateSession();
    await client.close();
    await waitFor('the worker to be scraped', async () => ((await query('up{job="baton-worker"} == 1')).data?.result.length ?? 0) > 0, 60_000);
    await waitFor('lifecycle transitions to be scraped', async () => ((await query('baton_lifecycle_transitions_total')).data?.result.length ?? 0) > 0, 30_000);
    // A rate needs two samples of a series: the session duration is observed
    // once, at the very end of the traffic.
    await waitFor('the session duration to be scraped twice', async () => ((await query('count_over_time(mcp_server_session_duration_count[5m]) >= 2')).data?.result.length ?? 0) > 0, 60_000);
  }, 240_000);

  afterAll(async () => {
    prometheus?.kill('SIGTERM');
    worker?.kill('SIGTERM');
    await serve?.stop();
    await fake?.close();
  });

  it('checks and unit-tests the alert rules with promtool', () => {
    const check = spawnSync(PROMTOOL, ['check', 'rules', ALERTS], { encoding: 'utf8' });
    expect(check.stdout + check.stderr).toContain('SUCCESS: 8 rules found');
    expect(check.status).toBe(0);
    const tests = spawnSync(PROMTOOL, ['test', 'rules', 'alerts.test.yml'], { cwd: resolve('ops/prometheus'), encoding: 'utf8' });
    expect(tests.stdout + tests.stderr).toContain('SUCCESS');
    expect(tests.status).toBe(0);
  });

  it('loads every alert rule into Prometheus, healthy', async () => {
    const response = (await (await fetch(`${prometheusUrl}/api/v1/rules`)).json()) as { data: { groups: { rules: { name: string; health: string; lastError?: string }[] }[] } };
    const rules = response.data.groups.flatMap((g) => g.rules);
    expect(rules.map((r) => r.name).sort()).toEqual(['BatonDown', 'BatonHighErrorRate', 'BatonJobsFailed', 'BatonMemoryHigh', 'BatonNoWorker', 'BatonNotReady', 'BatonQueueBacklogGrowing', 'BatonSlowTools']);
    await waitFor('every rule to be evaluated', async () => {
      const now = (await (await fetch(`${prometheusUrl}/api/v1/rules`)).json()) as typeof response;
      return now.data.groups.flatMap((g) => g.rules).every((r) => r.health === 'ok');
    });
  });

  it('answers every dashboard panel\'s query with series after the traffic', async () => {
    const queries = panelQueries();
    expect(queries.length).toBeGreaterThanOrEqual(35);
    const failures: string[] = [];
    for (const { dashboard, panel, expr } of queries) {
      const instant = expr.replaceAll('$__rate_interval', '1m');
      let result = await query(instant);
      // Scrapes run on their own clock: a panel without series is asked
      // again for a few scrape intervals before it counts as empty.
      for (let attempt = 0; result.status === 'success' && (result.data?.result.length ?? 0) === 0 && attempt < 10; attempt++) {
        await sleep(1_000);
        result = await query(instant);
      }
      if (result.status !== 'success') failures.push(`${dashboard} / ${panel}: ${result.error ?? 'query failed'} (${expr})`);
      else if ((result.data?.result.length ?? 0) === 0) failures.push(`${dashboard} / ${panel}: no series (${expr}); ${await samplesOf(expr)}`);
    }
    expect(failures).toEqual([]);
  });

  it('names each PostgreSQL pool after its server and database, never unknown_host', async () => {
    const pools = await query('count by (db_client_connection_pool_name) (db_client_connection_count)');
    const names = (pools.data?.result as { metric: { db_client_connection_pool_name?: string } }[]).map((r) => r.metric.db_client_connection_pool_name);
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) expect(name).toMatch(/^127\.0\.0\.1:\d+\/[\w-]+$/);
  });

  it('serves the model condensation and worker metrics it charts', async () => {
    const calls = await query('sum by (baton_llm_outcome, error_type) (baton_llm_calls_total)');
    expect(calls.data?.result).toEqual([expect.objectContaining({ metric: { baton_llm_outcome: 'succeeded' } })]);
    const workerSeries = await query('baton_queue_workers{job="baton-worker"}');
    expect(workerSeries.data?.result.length).toBeGreaterThan(0);
  });
});
