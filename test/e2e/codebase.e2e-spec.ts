import { symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { CallToolResultSchema, ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';

import { CodebaseRepository } from 'src/features/codebase/codebase.repository.js';
import { CodebaseService } from 'src/features/codebase/codebase.service.js';
import type { AnalysisRecord } from 'src/features/codebase/codebase.types.js';
import { AnalyzeCodebaseJob } from 'src/features/codebase/jobs/analyze-codebase.job.js';
import { CodebaseWorkerHook } from 'src/features/codebase/jobs/codebase-worker.hook.js';
import { SessionsService } from 'src/features/sessions/sessions.service.js';
import { QueueService } from 'src/platform/queue/queue.service.js';
import { WorkerService } from 'src/platform/queue/worker.service.js';
import { registerSession } from 'test/factories/session.factory.js';
import { connectHttpClient, connectStdioClient, startHttpBaton, type RunningHttpBaton } from 'test/support/baton-app.js';
import { copySampleProject, SAMPLE_FIXTURE, type CodebaseCopy } from 'test/support/codebase-fixture.js';
import { callError, callOk, readJson } from 'test/support/tool-calls.js';
import { waitFor } from 'test/support/wait-for.js';

interface AnalysisResult {
  analysisId: string;
  sessionKey: string;
  status: string;
  jobId: string | null;
  root: string;
  progress: { processed: number; total: number };
  uri: string;
  summary: { files: number; analyzed: number; reused: number; problems: number; edges: number; cycles: number } | null;
  cycles: string[][];
  externalPackages: { name: string; importers: number }[];
  problems: { path: string; status: string; problem: string | null }[];
  map: string | null;
  mapTokens: number;
}

interface Entry {
  sequence: number;
  type: string;
  content: string;
  metadata: Record<string, unknown>;
}

let project: CodebaseCopy;
let baton: RunningHttpBaton;
let client: Client;

beforeAll(async () => {
  project = copySampleProject();
  baton = await startHttpBaton({ BATON_ALLOWED_ROOTS: project.root });
  client = await connectHttpClient(baton.url);
});

afterAll(async () => {
  await client.close();
  await baton.close();
  project.remove();
});

async function entries(key: string): Promise<Entry[]> {
  return (await callOk<{ entries: Entry[] }>(client, 'get_context', { sessionKey: key })).entries;
}

describe('analyze_codebase over Streamable HTTP', () => {
  it('analyses the project, stores the result and points the session ledger at it', async () => {
    const key = await registerSession(client);
    const result = await callOk<AnalysisResult>(client, 'analyze_codebase', { sessionKey: key, root: project.root, analysisType: 'full', tokenBudget: 300 });

    expect(result).toMatchObject({ status: 'completed', jobId: null, root: project.root, cycles: [['src/cycle/a.ts', 'src/cycle/b.ts']] });
    expect(result.summary).toMatchObject({ analyzed: 10, problems: 3, cycles: 1 });
    expect(result.problems.map((p) => [p.path, p.status]).sort()).toEqual([
      ['src/broken.ts', 'syntax_error'],
      ['src/intro-video.ts', 'binary'],
      ['src/outside.ts', 'outside_root'],
    ]);
    expect(result.externalPackages.map((p) => p.name).sort()).toEqual(['node:events', 'node:path', 'zod']);
    expect(result.mapTokens).toBeGreaterThan(0);
    expect(result.mapTokens).toBeLessThanOrEqual(300);
    expect(result.uri).toBe(`handoff://sessions/${key}/analyses/${result.analysisId}`);

    const ledger = await entries(key);
    expect(ledger).toHaveLength(1);
    expect(ledger[0]).toMatchObject({ type: 'analysis', metadata: { analysisId: result.analysisId, uri: result.uri } });
    expect(ledger[0]?.content).toContain(result.uri);

    const stored = await readJson<AnalysisResult & { files: { path: string; imports: string[] }[] }>(client, result.uri);
    expect(stored.files.find((f) => f.path === 'src/models/index.ts')?.imports.sort()).toEqual(['src/models/role.ts', 'src/models/user.ts']);
    const latest = await readJson<AnalysisResult>(client, `handoff://sessions/${key}/analyses/latest`);
    expect(latest.analysisId).toBe(result.analysisId);
    const one = await readJson<{ files: { path: string; facts: { classes: { name: string; extends: string }[] } }[] }>(client, `${result.uri}?file=src/models/user.ts`);
    expect(one.files).toHaveLength(1);
    expect(one.files[0]?.facts.classes[0]).toMatchObject({ name: 'User', extends: 'Base' });
  });

  it('pages the files of the analysis resource by rank, following nextUri, and refuses a forged cursor', async () => {
    const key = await registerSession(client);
    const result = await callOk<AnalysisResult>(client, 'analyze_codebase', { sessionKey: key, root: project.root, analysisType: 'full' });
    type Page = AnalysisResult & { files: { path: string; rank: number }[]; nextCursor: string | null; nextUri?: string };
    const seen: { path: string; rank: number }[] = [];
    let uri: string | undefined = `handoff://sessions/${key}/analyses/latest?limit=4`;
    let pages = 0;
    while (uri) {
      const page: Page = await readJson<Page>(client, uri);
      expect(page.files.length).toBeLessThanOrEqual(4);
      seen.push(...page.files);
      uri = page.nextUri;
      if (uri) expect(uri).toContain(`/analyses/${result.analysisId}?cursor=`);
      pages++;
    }
    expect(pages).toBe(Math.ceil((result.summary?.files ?? 0) / 4));
    expect(new Set(seen.map((f) => f.path)).size).toBe(result.summary?.files);
    expect(seen.map((f) => f.rank)).toEqual([...seen.map((f) => f.rank)].sort((a, b) => b - a));
    const whole = await readJson<Page>(client, result.uri);
    expect(whole.files.map((f) => f.path)).toEqual(seen.map((f) => f.path));
    expect(whole.nextCursor).toBeNull();
    await expect(client.readResource({ uri: `${result.uri}?cursor=bm90LWEtY3Vyc29y` })).rejects.toMatchObject({ code: -32602, message: expect.stringContaining('cursor is not one Baton issued') });
    await expect(client.readResource({ uri: `${result.uri}?limit=0` })).rejects.toMatchObject({ code: -32602, message: expect.stringContaining('limit 0 is out of range') });
  });

  it('reuses every unchanged file when the same root is analysed again', async () => {
    const key = await registerSession(client);
    const first = await callOk<AnalysisResult>(client, 'analyze_codebase', { sessionKey: key, root: project.root, analysisType: 'dependencies' });
    const second = await callOk<AnalysisResult>(client, 'analyze_codebase', { sessionKey: key, root: project.root, analysisType: 'dependencies' });
    expect(second.summary?.reused).toBe(first.summary?.analyzed);
    expect(second.summary?.edges).toBe(first.summary?.edges);
  });

  it('keeps the newest BATON_ANALYSIS_KEEP finished analyses per session and root, deleting older ones', async () => {
    const key = await registerSession(client);
    const other = await registerSession(client);
    const elsewhere = await callOk<AnalysisResult>(client, 'analyze_codebase', { sessionKey: other, root: project.root, analysisType: 'structure' });
    const ids: string[] = [];
    // The default keeps 5.
    for (let i = 0; i < 6; i++) ids.push((await callOk<AnalysisResult>(client, 'analyze_codebase', { sessionKey: key, root: project.root, analysisType: 'structure' })).analysisId);
    await expect(client.readResource({ uri: `handoff://sessions/${key}/analyses/${ids[0]}` })).rejects.toMatchObject({ code: -32002 });
    for (const id of ids.slice(1)) expect((await readJson<AnalysisResult>(client, `handoff://sessions/${key}/analyses/${id}`)).status).toBe('completed');
    // Another session's analysis of the same root is its own.
    expect((await readJson<AnalysisResult>(client, elsewhere.uri)).status).toBe('completed');
  });

  it('sends progress notifications to a caller that asked for them', async () => {
    const key = await registerSession(client);
    const progress: { progress: number; total?: number }[] = [];
    const result = await client.callTool({ name: 'analyze_codebase', arguments: { sessionKey: key, root: project.root, analysisType: 'structure' } }, CallToolResultSchema, {
      onprogress: (p) => progress.push(p),
    });
    expect(result.isError).toBeFalsy();
    expect(progress.at(-1)).toMatchObject({ progress: 11, total: 11 });
  });

  it('refuses roots outside the allowed roots, by traversal or by symlink, with PATH_NOT_ALLOWED', async () => {
    const key = await registerSession(client);
    symlinkSync(tmpdir(), join(project.root, 'escape'));
    for (const root of ['/etc', `${project.root}/../..`, join(project.root, 'escape'), 'src']) {
      const error = await callError(client, 'analyze_codebase', { sessionKey: key, root, analysisType: 'structure' });
      expect(error.code).toBe('PATH_NOT_ALLOWED');
      // Beyond the path it was given, the caller learns nothing of the configuration.
      expect(error.message.replace(root, '')).not.toContain(project.root);
    }
    expect(await entries(key)).toEqual([]);
  });

  it('says which analysis is unknown, as a tool error and as a missing resource', async () => {
    const key = await registerSession(client);
    const error = await callError(client, 'get_analysis_status', { sessionKey: key });
    expect(error).toMatchObject({ code: 'ANALYSIS_NOT_FOUND', message: expect.stringContaining('analyze_codebase') });
    await expect(client.readResource({ uri: `handoff://sessions/${key}/analyses/00000000-0000-4000-8000-000000000000` })).rejects.toMatchObject({ code: -32002 });
  });

  it('marks a running analysis whose process went silent as failed, when it is read and at start-up', async () => {
    const key = await registerSession(client);
    const sessionId = (await baton.app.get(SessionsService).get('default', key)).id;
    const analyses = baton.app.get(CodebaseRepository);
    const running = (at: Date): Promise<AnalysisRecord> => analyses.create({ sessionId, root: project.root, analysisType: 'structure', include: [], exclude: [], status: 'running', total: 11, at });
    const silent = await running(new Date(Date.now() - 10 * 60_000));
    const alsoSilent = await running(new Date(Date.now() - 10 * 60_000));
    const alive = await running(new Date());

    const read = await callOk<AnalysisResult & { error: string }>(client, 'get_analysis_status', { sessionKey: key, analysisId: silent.id });
    expect(read).toMatchObject({ status: 'failed', error: expect.stringContaining('the process running it stopped') });
    expect(await analyses.anyUnfinished()).toBe(true);
    await baton.app.get(CodebaseWorkerHook).onWorkersStarted();
    expect((await analyses.findByIdAnywhere(alsoSilent.id))?.status).toBe('failed');
    expect((await analyses.findByIdAnywhere(alive.id))?.status).toBe('running');
    expect((await callOk<AnalysisResult>(client, 'get_analysis_status', { sessionKey: key, analysisId: alive.id })).status).toBe('running');
  });

  it('gives handoffs the touched files, the files importing them and the top symbols', async () => {
    const key = await registerSession(client);
    await callOk(client, 'analyze_codebase', { sessionKey: key, root: project.root, analysisType: 'full' });
    const highlights = await baton.app.get(CodebaseService).highlights('default', key, [join(project.root, 'src/models/role.ts')], 400);
    expect(highlights?.files[0]).toMatchObject({ path: 'src/models/role.ts', reason: 'touched' });
    expect(highlights?.files.filter((f) => f.reason === 'dependent').map((f) => f.path).sort()).toEqual(['src/lib/greet.ts', 'src/models/index.ts', 'src/models/user.ts']);
    expect(highlights?.text).toContain('src/models/user.ts');
    expect(highlights?.tokenCount).toBeLessThanOrEqual(400);
    expect(await baton.app.get(CodebaseService).highlights('default', await registerSession(client), [], 400)).toBeNull();
  });
});

describe('analyze_codebase for large codebases', () => {
  let background: RunningHttpBaton;
  let backgroundClient: Client;

  beforeAll(async () => {
    // A Redis prefix of its own: no other process's worker (stdio servers of
    // other suites serve this host's queue too) may take these jobs.
    const prefix = `${process.env.BATON_E2E_REDIS_PREFIX}-codebase-jobs`;
    background = await startHttpBaton({ BATON_ALLOWED_ROOTS: project.root, BATON_ANALYSIS_JOB_THRESHOLD_FILES: '3', BATON_REDIS_PREFIX: prefix });
    backgroundClient = await connectHttpClient(background.url);
  });

  afterAll(async () => {
    await backgroundClient.close();
    await background.close();
  });

  // Before any worker runs, so the analysis is surely still queued.
  it('cancels a queued analysis, which then never runs', async () => {
    const key = await registerSession(backgroundClient);
    const started = await callOk<AnalysisResult>(backgroundClient, 'analyze_codebase', { sessionKey: key, root: project.root, analysisType: 'structure' });
    const cancelled = await callOk<AnalysisResult>(backgroundClient, 'cancel_analysis', { sessionKey: key, analysisId: started.analysisId });
    expect(cancelled).toMatchObject({ status: 'cancelled', summary: null });
    const again = await callOk<AnalysisResult>(backgroundClient, 'get_analysis_status', { sessionKey: key, analysisId: started.analysisId });
    expect(again.status).toBe('cancelled');
  });

  it('answers at once with a job id, then reports progress and the result', async () => {
    const key = await registerSession(backgroundClient);
    const started = await callOk<AnalysisResult>(backgroundClient, 'analyze_codebase', { sessionKey: key, root: project.root, analysisType: 'full' });
    expect(started).toMatchObject({ status: 'queued', jobId: `analysis-${started.analysisId}`, summary: null });

    const latestUri = `handoff://sessions/${key}/analyses/latest`;
    await backgroundClient.subscribeResource({ uri: latestUri });
    const updated = new Promise<string>((resolve) => backgroundClient.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => resolve(n.params.uri)));
    await background.app.get(WorkerService).start();

    let status = started;
    for (let i = 0; i < 200 && (status.status === 'queued' || status.status === 'running'); i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      status = await callOk<AnalysisResult>(backgroundClient, 'get_analysis_status', { sessionKey: key, analysisId: started.analysisId });
    }
    expect(status).toMatchObject({ status: 'completed', progress: { processed: 11, total: 11 }, summary: { analyzed: 10 } });
    expect(await updated).toBe(latestUri);
    const ledger = (await callOk<{ entries: Entry[] }>(backgroundClient, 'get_context', { sessionKey: key })).entries;
    expect(ledger.map((e) => e.type)).toEqual(['analysis']);
  });

  it('fails a queued analysis whose background job failed, with the job\'s reason', async () => {
    const key = await registerSession(backgroundClient);
    const sessionId = (await background.app.get(SessionsService).get('default', key)).id;
    const analyses = background.app.get(CodebaseRepository);
    const queued = await analyses.create({ sessionId, root: project.root, analysisType: 'structure', include: [], exclude: [], status: 'queued', total: 11, at: new Date() });
    // A job the handler cannot run: its analysis id is no id at all.
    const jobId = await background.app.get(QueueService).enqueue(AnalyzeCodebaseJob, { analysisId: 'not-an-id', namespace: 'default', boundary: project.root, tokenBudget: 100 }, { jobId: `analysis-broken-${queued.id}`, attempts: 1 });
    await analyses.setJobId(queued.id, jobId);
    let status = await callOk<AnalysisResult & { error: string | null }>(backgroundClient, 'get_analysis_status', { sessionKey: key, analysisId: queued.id });
    for (let i = 0; i < 200 && status.status === 'queued'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      status = await callOk<AnalysisResult & { error: string | null }>(backgroundClient, 'get_analysis_status', { sessionKey: key, analysisId: queued.id });
    }
    expect(status).toMatchObject({ status: 'failed', error: expect.stringContaining(`its background job ${jobId} failed`) });
  });

  it('resumes a running analysis whose job is run again after its worker died', async () => {
    const key = await registerSession(backgroundClient);
    const sessionId = (await background.app.get(SessionsService).get('default', key)).id;
    const analyses = background.app.get(CodebaseRepository);
    // As a dead worker leaves it: running, its job handed to the next worker.
    const orphan = await analyses.create({ sessionId, root: project.root, analysisType: 'structure', include: [], exclude: [], status: 'running', total: 11, at: new Date() });
    const jobId = await background.app.get(QueueService).enqueue(AnalyzeCodebaseJob, { analysisId: orphan.id, namespace: 'default', boundary: project.root, tokenBudget: 100 }, { jobId: `analysis-${orphan.id}`, attempts: 1 });
    await analyses.setJobId(orphan.id, jobId);
    let status = await callOk<AnalysisResult>(backgroundClient, 'get_analysis_status', { sessionKey: key, analysisId: orphan.id });
    for (let i = 0; i < 200 && status.status === 'running'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      status = await callOk<AnalysisResult>(backgroundClient, 'get_analysis_status', { sessionKey: key, analysisId: orphan.id });
    }
    expect(status).toMatchObject({ status: 'completed', summary: { analyzed: 10 } });
  });
});

describe('analyze_codebase over stdio', () => {
  let stdio: Client;

  beforeAll(async () => {
    stdio = await connectStdioClient();
  });

  afterAll(async () => {
    await stdio.close();
  });

  it('may analyse its working directory by default, and nothing outside it', async () => {
    const key = await registerSession(stdio);
    const result = await callOk<AnalysisResult>(stdio, 'analyze_codebase', { sessionKey: key, root: SAMPLE_FIXTURE, analysisType: 'dependencies' });
    expect(result).toMatchObject({ status: 'completed', cycles: [['src/cycle/a.ts', 'src/cycle/b.ts']] });
    const error = await callError(stdio, 'analyze_codebase', { sessionKey: key, root: tmpdir(), analysisType: 'structure' });
    expect(error.code).toBe('PATH_NOT_ALLOWED');
  });

  it('runs an analysis it queued in the background, on its own worker', async () => {
    // A Redis prefix of its own, so only this process's worker can take the job.
    const queuing = await connectStdioClient({ BATON_ANALYSIS_JOB_THRESHOLD_FILES: '3', BATON_ALLOWED_ROOTS: project.root, BATON_REDIS_PREFIX: `${process.env.BATON_E2E_REDIS_PREFIX}-stdio-jobs` });
    try {
      const key = await registerSession(queuing);
      const started = await callOk<AnalysisResult>(queuing, 'analyze_codebase', { sessionKey: key, root: project.root, analysisType: 'structure' });
      expect(started.status).toBe('queued');
      const done = await waitFor('the queued analysis to finish', async () => {
        const status = await callOk<AnalysisResult>(queuing, 'get_analysis_status', { sessionKey: key, analysisId: started.analysisId });
        return status.status !== 'queued' && status.status !== 'running' && status;
      }, 30_000);
      expect(done).toMatchObject({ status: 'completed', summary: { analyzed: 10 } });
    } finally {
      await queuing.close();
    }
  }, 60_000);
});
