import { jest } from '@jest/globals';

import { loadConfig } from 'src/config/config.loader.js';
import type { Clock } from 'src/platform/clock/clock.js';
import type { EventBusService } from 'src/platform/events/event-bus.service.js';
import type { QueueService } from 'src/platform/queue/queue.service.js';
import type { CodebaseRepository } from 'src/features/codebase/codebase.repository.js';
import { CodebaseService } from 'src/features/codebase/codebase.service.js';
import type { AnalysisRecord } from 'src/features/codebase/codebase.types.js';
import { AnalyzeCodebaseJob } from 'src/features/codebase/jobs/analyze-codebase.job.js';
import type { ContextService } from 'src/features/context/context.service.js';
import { SessionError } from 'src/features/sessions/sessions.errors.js';
import type { SessionsService } from 'src/features/sessions/sessions.service.js';
import { copySampleProject, type CodebaseCopy } from 'test/support/codebase-fixture.js';

const NOW = new Date('2026-11-22T10:00:00Z');
const ANALYSIS_ID = '11111111-2222-4333-8444-555555555555';

let project: CodebaseCopy;

beforeAll(() => {
  project = copySampleProject();
});

afterAll(() => project.remove());

function setup(settings: Record<string, string> = {}) {
  const config = loadConfig({ BATON_ALLOWED_ROOTS: project.root, ...settings }, {});
  let stored: AnalysisRecord | null = null;
  const repository = {
    create: jest.fn(async (a: { status: 'queued' | 'running'; root: string; analysisType: AnalysisRecord['analysisType'] }) => {
      stored = { id: ANALYSIS_ID, sessionId: 'sid', sessionKey: 'key-1', root: a.root, analysisType: a.analysisType, include: [], exclude: [], status: a.status, jobId: null, progress: { processed: 0, total: 11 }, summary: null, graph: null, map: null, fingerprint: null, error: null, createdAt: NOW, startedAt: null, heartbeatAt: null, completedAt: null };
      return stored;
    }),
    setJobId: jest.fn(async (_id: string, jobId: string) => {
      stored = { ...(stored as AnalysisRecord), jobId };
    }),
    findReusable: jest.fn(async () => null),
    complete: jest.fn(async (_id: string, result: { summary: AnalysisRecord['summary']; map: string }) => {
      stored = { ...(stored as AnalysisRecord), status: 'completed', summary: result.summary, map: result.map, completedAt: NOW };
      return true;
    }),
    cancel: jest.fn(async () => {
      stored = { ...(stored as AnalysisRecord), status: 'cancelled' };
      return true;
    }),
    fail: jest.fn(async () => undefined),
    findById: jest.fn(async () => stored),
    findFiles: jest.fn(async () => []),
    findProblems: jest.fn(async () => []),
    anyUnfinished: jest.fn(async () => stored !== null && (stored.status === 'queued' || stored.status === 'running')),
    findUnfinished: jest.fn(async () => (stored ? [{ namespace: 'default', analysis: stored }] : [])),
  };
  const sessions = {
    get: jest.fn(async () => ({ id: 'sid', sessionKey: 'key-1', status: 'active' })),
    explainUnwritable: jest.fn((): SessionError | null => null),
  };
  const context = { append: jest.fn(async () => ({ sequence: 1 })) };
  const queue = { enqueue: jest.fn(async (_job: unknown, _data: unknown, options: { jobId: string }) => options.jobId), remove: jest.fn(), status: jest.fn(async () => ({ state: 'waiting' })) };
  const events = { publish: jest.fn(async () => undefined) };
  const clock = { now: () => NOW };
  const service = new CodebaseService(
    repository as unknown as CodebaseRepository,
    sessions as unknown as SessionsService,
    context as unknown as ContextService,
    queue as unknown as QueueService,
    events as unknown as EventBusService,
    clock as Clock,
    config,
  );
  return { service, repository, sessions, context, queue, events };
}

const request = (overrides: Record<string, unknown> = {}) => ({ sessionKey: 'key-1', root: project.root, include: [], exclude: [], analysisType: 'full' as const, ...overrides });

describe('CodebaseService.analyze', () => {
  it('analyses a small codebase in the call, stores it and adds an analysis entry pointing at it', async () => {
    const { service, repository, context } = setup();
    const view = await service.analyze('default', request());
    expect(view.analysis.status).toBe('completed');
    expect(repository.create).toHaveBeenCalledWith(expect.objectContaining({ status: 'running', total: 11 }));
    const [, completed] = repository.complete.mock.calls[0] as unknown as [string, { files: { path: string }[]; scanned: number }];
    expect(completed.files.map((f) => f.path)).toContain('src/models/user.ts');
    expect(completed.scanned).toBe(11);
    expect(context.append).toHaveBeenCalledWith('default', {
      sessionKey: 'key-1',
      type: 'analysis',
      content: expect.stringContaining(`handoff://sessions/key-1/analyses/${ANALYSIS_ID}`),
      metadata: expect.objectContaining({ analysisId: ANALYSIS_ID, analysisType: 'full' }),
      idempotencyKey: `analysis-${ANALYSIS_ID}`,
    });
  });

  it('queues a codebase above the job threshold and answers at once with the job id', async () => {
    const { service, repository, queue } = setup({ BATON_ANALYSIS_JOB_THRESHOLD_FILES: '5' });
    const view = await service.analyze('default', request({ tokenBudget: 500 }));
    expect(view.analysis).toMatchObject({ status: 'queued', jobId: `analysis-${ANALYSIS_ID}` });
    expect(queue.enqueue).toHaveBeenCalledWith(AnalyzeCodebaseJob, expect.objectContaining({ analysisId: ANALYSIS_ID, tokenBudget: 500 }), expect.objectContaining({ jobId: `analysis-${ANALYSIS_ID}`, attempts: 1 }));
    expect(repository.setJobId).toHaveBeenCalledWith(ANALYSIS_ID, `analysis-${ANALYSIS_ID}`);
    expect(repository.complete).not.toHaveBeenCalled();
  });

  it('refuses to analyse for a read-only session before touching the disk', async () => {
    const { service, sessions, repository } = setup();
    sessions.explainUnwritable.mockReturnValue(SessionError.readOnly('key-1', 'expired'));
    await expect(service.analyze('default', request())).rejects.toMatchObject({ code: 'SESSION_READ_ONLY' });
    expect(repository.create).not.toHaveBeenCalled();
  });

  it('rejects a token budget out of range and says what is allowed', async () => {
    const { service } = setup();
    await expect(service.analyze('default', request({ tokenBudget: 1_000_000 }))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('1 to 100000') });
  });

  it('marks the analysis cancelled, and stores nothing, when the caller cancels', async () => {
    const { service, repository, context } = setup();
    const controller = new AbortController();
    controller.abort();
    const view = await service.analyze('default', request(), { signal: controller.signal });
    expect(view.analysis.status).toBe('cancelled');
    expect(repository.cancel).toHaveBeenCalled();
    expect(repository.complete).not.toHaveBeenCalled();
    expect(context.append).not.toHaveBeenCalled();
  });

  it('keeps a completed analysis when the session turned read-only before its ledger entry', async () => {
    const { service, context, repository } = setup();
    context.append.mockRejectedValue(SessionError.readOnly('key-1', 'expired'));
    const view = await service.analyze('default', request());
    expect(view.analysis.status).toBe('completed');
    expect(repository.fail).not.toHaveBeenCalled();
  });
});

describe('CodebaseService.repairUnfinished', () => {
  it('asks the cheap question first, and reads the unfinished analyses only when there are any', async () => {
    const { service, repository } = setup();
    expect(await service.repairUnfinished()).toBe(0);
    expect(repository.anyUnfinished).toHaveBeenCalledTimes(1);
    expect(repository.findUnfinished).not.toHaveBeenCalled();
  });

  it('fails an unfinished analysis whose background job failed', async () => {
    const { service, repository, queue } = setup({ BATON_ANALYSIS_JOB_THRESHOLD_FILES: '5' });
    await service.analyze('default', request());
    queue.status.mockResolvedValue({ state: 'failed', reason: 'out of memory' } as never);
    repository.fail.mockResolvedValue(true as never);
    expect(await service.repairUnfinished()).toBe(1);
    expect(repository.findUnfinished).toHaveBeenCalledTimes(1);
    expect(repository.fail).toHaveBeenCalledWith(ANALYSIS_ID, expect.stringContaining('failed: out of memory'), NOW);
  });
});
