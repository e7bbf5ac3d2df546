#!/usr/bin/env node
// Writes the Grafana dashboards in ops/grafana/dashboards from the panel
// lists below (the source of truth; the JSON is what Grafana provisions).
// Every query is run against a real Prometheus by test/e2e/prometheus.e2e-spec.ts.
import { writeFileSync } from 'node:fs';

const RATE = '[$__rate_interval]';
const quantiles = (metric, by, filter = '') =>
  [0.5, 0.95, 0.99].map((q) => ({ expr: `histogram_quantile(${q}, sum by (le${by ? `, ${by}` : ''}) (rate(${metric}_bucket${filter}${RATE})))`, legend: `p${q * 100}${by ? ` {{${by}}}` : ''}` }));

const DASHBOARDS = [
  {
    uid: 'baton-overview',
    title: 'Baton / Overview',
    description: 'MCP traffic: rate, errors by code, latency per tool.',
    panels: [
      { title: 'Requests per second by method', unit: 'reqps', targets: [{ expr: `sum by (mcp_method_name) (rate(mcp_server_operation_duration_count${RATE}))`, legend: '{{mcp_method_name}}' }] },
      { title: 'Error ratio', unit: 'percentunit', targets: [{ expr: `(sum(rate(mcp_server_operation_duration_count{error_type!=""}${RATE})) or vector(0)) / sum(rate(mcp_server_operation_duration_count${RATE}))`, legend: 'errors' }] },
      { title: 'Errors by code', unit: 'reqps', targets: [{ expr: `sum by (error_type) (rate(mcp_server_operation_duration_count{error_type!=""}${RATE}))`, legend: '{{error_type}}' }] },
      { title: 'Tool calls per second by tool', unit: 'reqps', targets: [{ expr: `sum by (gen_ai_tool_name) (rate(mcp_server_operation_duration_count{mcp_method_name="tools/call"}${RATE}))`, legend: '{{gen_ai_tool_name}}' }] },
      { title: 'Tool latency p50', unit: 's', targets: [quantiles('mcp_server_operation_duration', 'gen_ai_tool_name', '{mcp_method_name="tools/call"}')[0]] },
      { title: 'Tool latency p95', unit: 's', targets: [quantiles('mcp_server_operation_duration', 'gen_ai_tool_name', '{mcp_method_name="tools/call"}')[1]] },
      { title: 'Tool latency p99', unit: 's', targets: [quantiles('mcp_server_operation_duration', 'gen_ai_tool_name', '{mcp_method_name="tools/call"}')[2]] },
      { title: 'Appends per second by entry type', unit: 'ops', targets: [{ expr: `sum by (baton_entry_type) (rate(baton_context_appends_total${RATE}))`, legend: '{{baton_entry_type}}' }] },
      { title: 'MCP session duration', unit: 's', targets: quantiles('mcp_server_session_duration', '') },
    ],
  },
  {
    uid: 'baton-handoffs',
    title: 'Baton / Handoffs',
    description: 'Handoff transitions, time to accept, package size against budget, brief cache.',
    panels: [
      { title: 'Handoff transitions by state', unit: 'ops', targets: [{ expr: `sum by (baton_handoff_status) (rate(baton_handoff_transitions_total${RATE}))`, legend: '{{baton_handoff_status}}' }] },
      { title: 'Time from request to accept', unit: 's', targets: quantiles('baton_handoff_accept_delay', '').slice(0, 2) },
      { title: 'Package tokens', unit: 'none', targets: quantiles('baton_handoff_package_tokens', '').slice(0, 2) },
      { title: 'Package tokens / budget', unit: 'percentunit', targets: quantiles('baton_handoff_package_budget_utilization', '').slice(0, 2) },
      { title: 'Items left out of packages per second', unit: 'ops', targets: [{ expr: `sum(rate(baton_handoff_package_omitted_total${RATE}))`, legend: 'left out' }] },
      { title: 'Brief cache hit ratio', unit: 'percentunit', targets: [{ expr: `sum by (baton_cache_name) (rate(baton_cache_requests_total{baton_cache_outcome="hit"}${RATE})) / sum by (baton_cache_name) (rate(baton_cache_requests_total{baton_cache_outcome=~"hit|miss"}${RATE}))`, legend: '{{baton_cache_name}}' }] },
      { title: 'Cache lookups by outcome', unit: 'ops', targets: [{ expr: `sum by (baton_cache_name, baton_cache_outcome) (rate(baton_cache_requests_total${RATE}))`, legend: '{{baton_cache_name}} {{baton_cache_outcome}}' }] },
    ],
  },
  {
    uid: 'baton-lifecycle',
    title: 'Baton / Lifecycle and queues',
    description: 'Session lifecycle transitions, BullMQ queues, jobs, codebase analyses.',
    panels: [
      { title: 'Lifecycle transitions by new status', unit: 'ops', targets: [{ expr: `sum by (baton_session_status) (rate(baton_lifecycle_transitions_total${RATE}))`, legend: '{{baton_session_status}}' }] },
      { title: 'Queue backlog', unit: 'none', targets: [{ expr: 'max by (baton_queue_name, baton_job_state) (baton_queue_jobs{baton_job_state=~"waiting|prioritized|active|delayed"})', legend: '{{baton_queue_name}} {{baton_job_state}}' }] },
      { title: 'Failed jobs (retries used up)', unit: 'none', targets: [{ expr: 'max by (baton_queue_name) (baton_queue_jobs{baton_job_state="failed"})', legend: '{{baton_queue_name}}' }] },
      { title: 'Workers per queue', unit: 'none', targets: [{ expr: 'max by (baton_queue_name) (baton_queue_workers)', legend: '{{baton_queue_name}}' }] },
      { title: 'Job run time p95', unit: 's', targets: [quantiles('baton_job_duration', 'baton_job_name')[1]] },
      { title: 'Job wait before start p95', unit: 's', targets: [quantiles('baton_job_wait', 'baton_job_name')[1]] },
      { title: 'Failed job attempts per second', unit: 'ops', targets: [{ expr: `sum by (baton_job_name) (rate(baton_job_failures_total${RATE})) or vector(0)`, legend: '{{baton_job_name}}' }] },
      { title: 'Codebase analysis duration', unit: 's', targets: quantiles('baton_analysis_duration', '').slice(0, 2) },
      { title: 'Analysed files per second', unit: 'ops', targets: [{ expr: `sum by (baton_analysis_file_reused) (rate(baton_analysis_files_total${RATE}))`, legend: 'reused={{baton_analysis_file_reused}}' }] },
    ],
  },
  {
    uid: 'baton-dependencies',
    title: 'Baton / Dependencies',
    description: 'PostgreSQL, Redis and the model provider as Baton sees them.',
    panels: [
      { title: 'Dependency readiness', unit: 'none', targets: [{ expr: 'min by (baton_dependency_name) (baton_dependency_up)', legend: '{{baton_dependency_name}}' }] },
      { title: 'PostgreSQL query time', unit: 's', targets: quantiles('db_client_operation_duration', '').slice(0, 2) },
      { title: 'PostgreSQL pool connections', unit: 'none', targets: [{ expr: 'sum by (db_client_connection_state) (db_client_connection_count)', legend: '{{db_client_connection_state}}' }] },
      { title: 'Queries waiting for a connection', unit: 'none', targets: [{ expr: 'sum(db_client_connection_pending_requests)', legend: 'pending' }] },
      { title: 'Redis cache errors per second', unit: 'ops', targets: [{ expr: `sum(rate(baton_cache_requests_total{baton_cache_outcome="error"}${RATE})) or vector(0)`, legend: 'errors' }] },
      { title: 'Model calls by outcome', unit: 'ops', targets: [{ expr: `sum by (baton_llm_outcome) (rate(baton_llm_calls_total${RATE}))`, legend: '{{baton_llm_outcome}}' }] },
      { title: 'Model call latency', unit: 's', targets: quantiles('gen_ai_client_operation_duration', '').slice(0, 2) },
      { title: 'Model tokens per second', unit: 'none', targets: [{ expr: `sum by (gen_ai_token_type) (rate(gen_ai_client_token_usage_sum${RATE}))`, legend: '{{gen_ai_token_type}}' }] },
    ],
  },
  {
    uid: 'baton-runtime',
    title: 'Baton / Runtime',
    description: 'Node.js event loop, memory and HTTP server of each Baton process.',
    panels: [
      { title: 'Event-loop delay p99', unit: 's', targets: [{ expr: 'max by (instance) (nodejs_eventloop_delay_p99)', legend: '{{instance}}' }] },
      { title: 'Event-loop utilization', unit: 'percentunit', targets: [{ expr: 'max by (instance) (nodejs_eventloop_utilization)', legend: '{{instance}}' }] },
      { title: 'Heap used', unit: 'bytes', targets: [{ expr: 'sum by (instance) (v8js_memory_heap_used)', legend: '{{instance}}' }] },
      { title: 'Resident memory', unit: 'bytes', targets: [{ expr: 'max by (instance) (process_memory_usage)', legend: '{{instance}}' }] },
      { title: 'Garbage collection time per second', unit: 's', targets: [{ expr: `sum by (instance) (rate(v8js_gc_duration_sum${RATE}))`, legend: '{{instance}}' }] },
      { title: 'HTTP request duration p95', unit: 's', targets: [{ expr: `histogram_quantile(0.95, sum by (le) (rate(http_server_request_duration_bucket${RATE})))`, legend: 'p95' }] },
    ],
  },
];

function dashboard({ uid, title, description, panels }) {
  return {
    uid,
    title,
    description,
    tags: ['baton'],
    timezone: 'browser',
    schemaVersion: 39,
    version: 1,
    refresh: '30s',
    time: { from: 'now-1h', to: 'now' },
    templating: { list: [{ name: 'datasource', type: 'datasource', query: 'prometheus', current: { text: 'Prometheus', value: 'prometheus' } }] },
    panels: panels.map((panel, index) => ({
      id: index + 1,
      type: 'timeseries',
      title: panel.title,
      datasource: { type: 'prometheus', uid: '${datasource}' },
      gridPos: { h: 8, w: 12, x: (index % 2) * 12, y: Math.floor(index / 2) * 8 },
      fieldConfig: { defaults: { unit: panel.unit }, overrides: [] },
      options: { legend: { displayMode: 'list', placement: 'bottom' }, tooltip: { mode: 'multi' } },
      targets: panel.targets.map((target, t) => ({ refId: String.fromCharCode(65 + t), expr: target.expr, legendFormat: target.legend, datasource: { type: 'prometheus', uid: '${datasource}' } })),
    })),
  };
}

for (const spec of DASHBOARDS) {
  writeFileSync(new URL(`../ops/grafana/dashboards/${spec.uid}.json`, import.meta.url), `${JSON.stringify(dashboard(spec), null, 2)}\n`);
}
