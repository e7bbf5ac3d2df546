import { jest } from '@jest/globals';

import type { BatonConfig } from 'src/config/config.schema.js';
import { AccessErrorCode } from 'src/platform/access/access.errors.js';
import { actorOf } from 'src/platform/access/actor.js';
import { expandScopes } from 'src/platform/access/scopes.js';
import { localPrincipal, type Principal } from 'src/platform/access/principal.js';
import type { AuditTrail } from 'src/platform/audit/audit-trail.js';
import type { Clock } from 'src/platform/clock/clock.js';
import type { EventBusService } from 'src/platform/events/event-bus.service.js';
import type { QueueService } from 'src/platform/queue/queue.service.js';
import type { BriefService } from 'src/features/handoffs/brief.service.js';
import { HandoffErrorCode } from 'src/features/handoffs/handoffs.errors.js';
import type { HandoffsRepository } from 'src/features/handoffs/handoffs.repository.js';
import { HANDOFF_EVENTS, HandoffsService } from 'src/features/handoffs/handoffs.service.js';
import type { HandoffPackage, HandoffWithPackage } from 'src/features/handoffs/handoffs.types.js';
import type { SessionsService } from 'src/features/sessions/sessions.service.js';
import { sessionRecord } from 'test/factories/session-record.factory.js';

const NOW = new Date('2026-11-20T10:00:00Z');
const ID = '6f1c2b4e-8a53-4c1e-9d2f-0b7a1e3c5d79';

const session = sessionRecord();

// The local user acts as any agent; an agent's credential only as itself.
const local = actorOf(localPrincipal('default'));
function agent(agentId: string) {
  const principal: Principal = { kind: 'oauth', credentialId: `oauth:${agentId}`, namespace: 'default', agents: [agentId], scopes: expandScopes(['agent']) };
  return actorOf(principal);
}

const pkg = { budget: { tokenBudget: 4000, packageTokens: 900, tokenizer: 'o200k_base' }, builtThroughSequence: 12, repository: session.repository, omitted: { count: 3 } } as HandoffPackage;

function handoff(overrides: Partial<HandoffWithPackage> = {}): HandoffWithPackage {
  return {
    id: ID,
    namespace: 'default',
    sessionId: session.id,
    sessionKey: session.sessionKey,
    type: 'full_handoff',
    status: 'pending',
    fromAgentId: 'claude@laptop',
    targetAgentId: 'codex@ci',
    instructions: null,
    tokenBudget: 4000,
    packageTokens: 900,
    throughSequence: 12,
    touchedFiles: ['src/auth/session.ts'],
    createdAt: NOW,
    expiresAt: new Date('2026-11-20T11:00:00Z'),
    updatedAt: NOW,
    package: pkg,
    ...overrides,
  };
}

type AsyncFn = (...args: unknown[]) => Promise<unknown>;
const resolved = (value: unknown) => jest.fn<AsyncFn>().mockResolvedValue(value);

function setup() {
  const repository = {
    create: resolved(handoff()),
    findPendingFullHandoff: resolved(null),
    findById: resolved(handoff()),
    findEvents: resolved([]),
    listForAgent: resolved([]),
    transition: resolved(true),
    expireDue: resolved([]),
    findTargetsByPrefix: resolved([]),
  };
  const sessions = { get: resolved(session), pageSize: jest.fn((n?: number) => n ?? 100) };
  const briefs = { brief: resolved({ package: pkg, touchedFiles: ['src/auth/session.ts'] }) };
  const queue = { enqueue: resolved('job'), remove: resolved(undefined) };
  const events = { publish: resolved(undefined) };
  const audit = { record: resolved(undefined) };
  const clock = { now: () => NOW };
  const config = { handoffs: { defaultTokenBudget: 4000, maxTokenBudget: 64000, pendingTtlSeconds: 3600 } } as BatonConfig;
  const service = new HandoffsService(
    repository as unknown as HandoffsRepository,
    sessions as unknown as SessionsService,
    briefs as unknown as BriefService,
    queue as unknown as QueueService,
    events as unknown as EventBusService,
    clock as Clock,
    config,
    audit as unknown as AuditTrail,
  );
  return { service, repository, sessions, briefs, queue, events, audit };
}

describe('HandoffsService.request', () => {
  it('stores the package, schedules the expiry with a deterministic job id and tells the target', async () => {
    const { service, repository, queue, events, briefs } = setup();
    const result = await service.request(local, { sessionKey: 'fix-login', targetAgent: 'codex@ci', type: 'full_handoff', instructions: 'Finish it' });
    expect(briefs.brief).toHaveBeenCalledWith('handoff-brief', session, 4000, { type: 'full_handoff', fromAgentId: 'claude@laptop', targetAgentId: 'codex@ci', instructions: 'Finish it' });
    expect(repository.create).toHaveBeenCalledWith(expect.objectContaining({ package: pkg, packageTokens: 900, throughSequence: 12, expiresAt: new Date('2026-11-20T11:00:00Z') }));
    expect(queue.enqueue).toHaveBeenCalledWith(expect.objectContaining({ name: 'expire-handoff' }), { namespace: 'default', handoffId: ID }, { jobId: `expire-handoff-${ID}`, delayMs: 3_601_000 });
    expect(events.publish).toHaveBeenCalledWith({ namespace: 'default', type: HANDOFF_EVENTS.requested, subject: { handoffId: ID, agentId: 'codex@ci', sessionKey: 'fix-login', status: 'pending' } });
    expect(result.package).toBe(pkg);
  });

  it.each([
    [{ tokenBudget: 255 }, '256 to 64000'],
    [{ tokenBudget: 70000 }, '256 to 64000'],
    [{ tokenBudget: 300, instructions: 'Read the whole ledger twice before touching anything. '.repeat(20) }, 'third of the 300-token budget'],
    [{ targetAgent: 'claude@laptop' }, 'already owns'],
  ])('refuses %o with a message saying how to fix it', async (overrides, message) => {
    const { service, repository } = setup();
    const error = service.request(local, { sessionKey: 'fix-login', targetAgent: 'codex@ci', type: 'full_handoff', ...overrides });
    await expect(error).rejects.toMatchObject({ code: HandoffErrorCode.InvalidArgument, message: expect.stringContaining(message) });
    expect(repository.create).not.toHaveBeenCalled();
  });

  it('refuses a second pending full handoff, naming the first', async () => {
    const { service, repository, briefs } = setup();
    repository.findPendingFullHandoff.mockResolvedValue(handoff({ targetAgentId: 'cursor@desk' }));
    await expect(service.request(local, { sessionKey: 'fix-login', targetAgent: 'codex@ci', type: 'full_handoff' })).rejects.toMatchObject({
      code: HandoffErrorCode.HandoffAlreadyPending,
      message: expect.stringContaining(ID),
    });
    expect(repository.expireDue).toHaveBeenCalledWith({ namespace: 'default', sessionId: session.id }, NOW, expect.any(String));
    expect(briefs.brief).not.toHaveBeenCalled();
  });

  it('still succeeds when the expiry job cannot be scheduled', async () => {
    const { service, queue } = setup();
    queue.enqueue.mockRejectedValue(new Error('redis down'));
    await expect(service.request(local, { sessionKey: 'fix-login', targetAgent: 'codex@ci', type: 'context_transfer' })).resolves.toMatchObject({ handoff: { id: ID } });
  });
});

describe('HandoffsService transitions', () => {
  it('lets only the addressed agent accept, and moves nothing otherwise', async () => {
    const { service, repository } = setup();
    await expect(service.accept(local, { handoffId: ID, agentId: 'cursor@desk' })).rejects.toMatchObject({ code: HandoffErrorCode.HandoffNotForAgent });
    expect(repository.transition).not.toHaveBeenCalled();
  });

  it('accepts with ownership transfer, records it, then tells subscribers, cancels the expiry job and reports staleness against the anchor', async () => {
    const { service, repository, queue, audit, events } = setup();
    repository.findById.mockResolvedValueOnce(handoff()).mockResolvedValueOnce(handoff({ status: 'accepted' }));
    const accepted = await service.accept(local, { handoffId: ID, agentId: 'codex@ci', repository: { commit: 'a1b2c3d4e5f6', branch: 'main' } });
    expect(audit.record.mock.calls).toEqual([
      [{ action: 'handoff.accepted', outcome: 'success', namespace: 'default', target: ID, agentId: 'codex@ci', detail: { sessionKey: 'fix-login', type: 'full_handoff', fromAgent: 'claude@laptop', targetAgent: 'codex@ci' } }],
    ]);
    expect(repository.transition).toHaveBeenCalledWith({ handoffId: ID, agentId: 'codex@ci', from: 'pending', to: 'accepted', note: 'accepted', at: NOW }, true);
    expect(queue.remove).toHaveBeenCalledWith('handoffs', `expire-handoff-${ID}`);
    expect(audit.record.mock.invocationCallOrder[0]).toBeLessThan(events.publish.mock.invocationCallOrder[0] as number);
    expect(accepted.staleness).toMatchObject({ checked: true, stale: false, commitMatches: true, branchMatches: true });
  });

  it('answers a repeated accept as the first one did, without a second transition', async () => {
    const { service, repository, audit } = setup();
    repository.findById.mockResolvedValue(handoff({ status: 'accepted' }));
    await expect(service.accept(local, { handoffId: ID, agentId: 'codex@ci' })).resolves.toMatchObject({ handoff: { status: 'accepted' } });
    expect(repository.transition).not.toHaveBeenCalled();
    expect(audit.record).not.toHaveBeenCalled();
  });

  it('says the handoff expired when it ran out of time before the accept', async () => {
    const { service, repository } = setup();
    repository.transition.mockResolvedValue(false);
    repository.findById.mockResolvedValueOnce(handoff()).mockResolvedValueOnce(handoff({ status: 'expired' }));
    await expect(service.accept(local, { handoffId: ID, agentId: 'codex@ci' })).rejects.toMatchObject({
      code: HandoffErrorCode.HandoffInvalidState,
      message: expect.stringContaining('is expired; only a pending handoff can be accepted'),
    });
  });

  it('only completes accepted handoffs and requires a reason to reject', async () => {
    const { service } = setup();
    await expect(service.complete(local, { handoffId: ID, agentId: 'codex@ci' })).rejects.toMatchObject({ code: HandoffErrorCode.HandoffInvalidState, message: expect.stringContaining('Accept it first') });
    await expect(service.reject(local, { handoffId: ID, agentId: 'codex@ci', reason: '  ' })).rejects.toMatchObject({ code: HandoffErrorCode.InvalidArgument });
  });

  it('shows an overdue pending handoff as expired, recording the expiry', async () => {
    const { service, repository, events, audit } = setup();
    repository.findById.mockResolvedValueOnce(handoff({ expiresAt: new Date('2026-11-20T09:59:59Z') })).mockResolvedValueOnce(handoff({ status: 'expired' }));
    repository.expireDue.mockResolvedValue([{ id: ID, targetAgentId: 'codex@ci', sessionKey: 'fix-login' }]);
    const detail = await service.get(local, ID);
    expect(detail.handoff.status).toBe('expired');
    expect(repository.expireDue).toHaveBeenCalledWith({ namespace: 'default', handoffId: ID }, NOW, expect.any(String));
    expect(events.publish).toHaveBeenCalledWith(expect.objectContaining({ type: HANDOFF_EVENTS.expired }));
    // Nobody chose it: the trail names the system credential, not the reader.
    expect(audit.record.mock.calls).toEqual([[{ action: 'handoff.expired', outcome: 'success', namespace: 'default', target: ID, credentialId: 'system', source: undefined, detail: { sessionKey: 'fix-login', targetAgent: 'codex@ci' } }]]);
    // Recorded before anyone is told: a subscriber reading the trail on the notice finds it.
    expect(audit.record.mock.invocationCallOrder[0]).toBeLessThan(events.publish.mock.invocationCallOrder[0] as number);
  });

  it('reads a malformed id as a caller mistake, an unknown one as not found', async () => {
    const { service, repository } = setup();
    await expect(service.get(local, 'nope')).rejects.toMatchObject({ code: HandoffErrorCode.InvalidArgument });
    repository.findById.mockResolvedValue(null);
    await expect(service.get(local, ID)).rejects.toMatchObject({ code: HandoffErrorCode.HandoffNotFound });
  });
});

describe('HandoffsService agent identity', () => {
  it('refuses a handoff of a session by an agent that may not act as its owner, before building anything', async () => {
    const { service, briefs, repository } = setup();
    await expect(service.request(agent('codex@ci'), { sessionKey: 'fix-login', targetAgent: 'codex@ci', type: 'full_handoff' })).rejects.toMatchObject({
      code: AccessErrorCode.AgentNotAllowed,
      message: expect.stringContaining('as agent "claude@laptop"'),
    });
    expect(briefs.brief).not.toHaveBeenCalled();
    expect(repository.create).not.toHaveBeenCalled();
    await expect(service.request(agent('claude@laptop'), { sessionKey: 'fix-login', targetAgent: 'codex@ci', type: 'full_handoff' })).resolves.toMatchObject({ handoff: { id: ID } });
  });

  it.each([
    ['accept', (service: HandoffsService) => service.accept(agent('cursor@desk'), { handoffId: ID, agentId: 'codex@ci' })],
    ['reject', (service: HandoffsService) => service.reject(agent('cursor@desk'), { handoffId: ID, agentId: 'codex@ci', reason: 'busy' })],
    ['complete', (service: HandoffsService) => service.complete(agent('cursor@desk'), { handoffId: ID, agentId: 'codex@ci' })],
    ['list', (service: HandoffsService) => service.list(agent('cursor@desk'), { agentId: 'codex@ci' })],
  ])('refuses to %s as an agent the credential does not cover, reading nothing', async (_action, act) => {
    const { service, repository } = setup();
    await expect(act(service)).rejects.toMatchObject({ code: AccessErrorCode.AgentNotAllowed, message: expect.stringContaining('"codex@ci"') });
    expect(repository.findById).not.toHaveBeenCalled();
    expect(repository.listForAgent).not.toHaveBeenCalled();
    expect(repository.transition).not.toHaveBeenCalled();
  });

  it('shows a handoff to its sender and its target only; anyone else gets not found', async () => {
    const { service } = setup();
    await expect(service.get(agent('claude@laptop'), ID)).resolves.toMatchObject({ handoff: { id: ID } });
    await expect(service.get(agent('codex@ci'), ID)).resolves.toMatchObject({ handoff: { id: ID } });
    await expect(service.get(agent('cursor@desk'), ID)).rejects.toMatchObject({ code: HandoffErrorCode.HandoffNotFound });
  });

  it('completes only the inboxes the caller may read', async () => {
    const { service, repository } = setup();
    repository.findTargetsByPrefix.mockResolvedValue(['codex@ci', 'cursor@desk']);
    await expect(service.completeTargets(agent('cursor@desk'), '')).resolves.toEqual(['cursor@desk']);
    await expect(service.completeTargets(local, '')).resolves.toEqual(['codex@ci', 'cursor@desk']);
  });
});
