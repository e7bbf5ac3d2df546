import { Inject, Injectable, Logger } from '@nestjs/common';

import { BATON_CONFIG } from 'src/config/config.module.js';
import type { BatonConfig } from 'src/config/config.schema.js';
import type { Actor } from 'src/platform/access/actor.js';
import { AuditTrail, JOB_SOURCE, SYSTEM_CREDENTIAL } from 'src/platform/audit/audit-trail.js';
import { Clock } from 'src/platform/clock/clock.js';
import { EventBusService } from 'src/platform/events/event-bus.service.js';
import { batonMetrics } from 'src/platform/telemetry/baton-metrics.js';
import { echo } from 'src/platform/input/input-guard.js';
import { decodeKeysetCursor, encodeKeysetCursor } from 'src/platform/pagination/keyset-cursor.js';
import { QueueService } from 'src/platform/queue/queue.service.js';
import { countTextTokensAsync } from 'src/platform/tokens/token-counter.js';
import { BriefService } from 'src/features/handoffs/brief.service.js';
import { HandoffError, HandoffErrorCode } from 'src/features/handoffs/handoffs.errors.js';
import { HandoffsRepository, type ExpiredHandoff } from 'src/features/handoffs/handoffs.repository.js';
import {
  HANDOFF_STATUSES,
  HANDOFF_TYPES,
  MIN_TOKEN_BUDGET,
  type HandoffCursor,
  type HandoffDetail,
  type HandoffListQuery,
  type HandoffPackage,
  type HandoffPage,
  type HandoffRecord,
  type HandoffStatus,
  type HandoffWithPackage,
  type RequestHandoffInput,
  type StalenessReport,
  type TargetRepository,
} from 'src/features/handoffs/handoffs.types.js';
import { ExpireHandoffJob } from 'src/features/handoffs/jobs/expire-handoff.job.js';
import { assessStaleness } from 'src/features/handoffs/staleness.assessor.js';
import { SessionsService } from 'src/features/sessions/sessions.service.js';

export const HANDOFF_EVENTS = {
  requested: 'handoff.requested',
  accepted: 'handoff.accepted',
  rejected: 'handoff.rejected',
  completed: 'handoff.completed',
  expired: 'handoff.expired',
} as const;
export const HANDOFF_EVENT_TYPES: ReadonlySet<string> = new Set(Object.values(HANDOFF_EVENTS));

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// A job fires this long after the expiry time, so clock differences between
// Redis and Baton never make it early (an early one would find nothing due).
const EXPIRY_MARGIN_MS = 1_000;

export interface RequestedHandoff {
  handoff: HandoffRecord;
  package: HandoffPackage;
}

export interface AcceptedHandoff {
  handoff: HandoffRecord;
  package: HandoffPackage;
  staleness: StalenessReport;
}

@Injectable()
export class HandoffsService {
  private readonly logger = new Logger(HandoffsService.name);
  private readonly metrics = batonMetrics();

  constructor(
    private readonly handoffs: HandoffsRepository,
    private readonly sessions: SessionsService,
    private readonly briefs: BriefService,
    private readonly queue: QueueService,
    private readonly events: EventBusService,
    private readonly clock: Clock,
    @Inject(BATON_CONFIG) private readonly config: BatonConfig,
    private readonly audit: AuditTrail,
  ) {
    if (config.handoffs.defaultTokenBudget > config.handoffs.maxTokenBudget) {
      throw new Error(`BATON_HANDOFF_TOKEN_BUDGET (${config.handoffs.defaultTokenBudget}) is above BATON_HANDOFF_MAX_TOKEN_BUDGET (${config.handoffs.maxTokenBudget}); lower the first or raise the second.`);
    }
  }

  // Only a caller that may act as the session's owner hands it over.
  async request(actor: Actor, input: RequestHandoffInput): Promise<RequestedHandoff> {
    const namespace = actor.namespace;
    if (!HANDOFF_TYPES.includes(input.type)) throw invalid(`type "${String(input.type)}" is not a handoff type; use context_transfer or full_handoff.`);
    const tokenBudget = this.tokenBudget(input.tokenBudget);
    const instructions = input.instructions?.trim() ? input.instructions : null;
    const instructionTokens = instructions ? await countTextTokensAsync(instructions) : 0;
    if (instructionTokens > Math.floor(tokenBudget / 3)) {
      throw invalid(`instructions are ${instructionTokens} tokens, more than a third of the ${tokenBudget}-token budget; shorten them or raise tokenBudget.`);
    }
    const session = await this.sessions.get(namespace, input.sessionKey);
    actor.assertMayActAs(session.agentId, `hand over session "${session.sessionKey}", which belongs to its owner,`);
    if (input.type === 'full_handoff' && input.targetAgent === session.agentId) {
      throw invalid(`${input.targetAgent} already owns session "${session.sessionKey}"; a full_handoff must go to another agent.`);
    }
    const now = this.clock.now();
    if (input.type === 'full_handoff') {
      // An overdue pending handoff must not block a new one while its job is late.
      await this.publishExpired(namespace, await this.handoffs.expireDue({ namespace, sessionId: session.id }, now, 'not accepted in time'));
      const pending = await this.handoffs.findPendingFullHandoff(session.id);
      if (pending) throw alreadyPending(session.sessionKey, pending.id, pending.targetAgentId);
    }

    const envelope = { type: input.type, fromAgentId: session.agentId, targetAgentId: input.targetAgent, instructions };
    const { package: pkg, touchedFiles } = await this.briefs.brief('handoff-brief', session, tokenBudget, envelope);
    const expiresAt = new Date(now.getTime() + this.config.handoffs.pendingTtlSeconds * 1000);
    const handoff = await this.handoffs.create({
      namespace,
      sessionId: session.id,
      sessionKey: session.sessionKey,
      type: input.type,
      fromAgentId: session.agentId,
      targetAgentId: input.targetAgent,
      instructions,
      tokenBudget,
      packageTokens: pkg.budget.packageTokens,
      package: pkg,
      throughSequence: pkg.builtThroughSequence,
      touchedFiles,
      at: now,
      expiresAt,
    });
    if (!handoff) {
      const pending = await this.handoffs.findPendingFullHandoff(session.id);
      throw alreadyPending(session.sessionKey, pending?.id ?? 'unknown', pending?.targetAgentId ?? 'another agent');
    }
    await this.scheduleExpiry(handoff);
    this.recordRequested(handoff.type, pkg);
    this.logger.log({ handoffId: handoff.id, sessionKey: handoff.sessionKey, type: handoff.type, targetAgent: handoff.targetAgentId, packageTokens: handoff.packageTokens }, 'handoff requested');
    await this.announce(namespace, HANDOFF_EVENTS.requested, handoff, handoff.fromAgentId);
    return { handoff, package: pkg };
  }

  async list(actor: Actor, query: HandoffListQuery): Promise<HandoffPage> {
    actor.assertMayActAs(query.agentId, 'list the handoffs addressed to an agent');
    const namespace = actor.namespace;
    if (query.status !== undefined && !HANDOFF_STATUSES.includes(query.status)) {
      throw invalid(`status "${echo(query.status)}" is not a handoff state; use one of: ${HANDOFF_STATUSES.join(', ')}.`);
    }
    const limit = this.sessions.pageSize(query.limit);
    await this.publishExpired(namespace, await this.handoffs.expireDue({ namespace, targetAgentId: query.agentId }, this.clock.now(), 'not accepted in time'));
    const after = query.cursor !== undefined ? decodeCursor(query.cursor) : undefined;
    const rows = await this.handoffs.listForAgent(namespace, query.agentId, query.status, limit + 1, after);
    const handoffs = rows.slice(0, limit);
    const last = handoffs.at(-1);
    return { handoffs, nextCursor: rows.length > limit && last ? encodeKeysetCursor({ at: last.createdAt, id: last.id }) : null };
  }

  // Readable by the agents it names; to anyone else it does not exist, so
  // handoff ids tell nothing.
  async get(actor: Actor, handoffId: string): Promise<HandoffDetail> {
    const namespace = actor.namespace;
    let handoff = await this.find(namespace, handoffId);
    if (!actor.mayActAs(handoff.fromAgentId) && !actor.mayActAs(handoff.targetAgentId)) throw HandoffError.notFound(handoffId);
    // An overdue pending handoff is shown as what it is: expired.
    if (handoff.status === 'pending' && handoff.expiresAt <= this.clock.now()) {
      await this.publishExpired(namespace, await this.handoffs.expireDue({ namespace, handoffId }, this.clock.now(), 'not accepted in time'));
      handoff = await this.find(namespace, handoffId);
    }
    return { handoff, events: await this.handoffs.findEvents(handoff.id) };
  }

  async accept(actor: Actor, input: { handoffId: string; agentId: string; repository?: TargetRepository }): Promise<AcceptedHandoff> {
    const handoff = await this.transition(actor, input.handoffId, input.agentId, 'pending', 'accepted', 'accepted');
    const session = await this.sessions.get(actor.namespace, handoff.sessionKey);
    const staleness = assessStaleness(handoff.package.repository, input.repository, handoff.touchedFiles, handoff.throughSequence, session.lastSequence, handoff.sessionKey);
    return { handoff, package: handoff.package, staleness };
  }

  async reject(actor: Actor, input: { handoffId: string; agentId: string; reason: string }): Promise<HandoffRecord> {
    if (input.reason.trim().length === 0) throw invalid('reason is empty; say why the handoff is declined, so the requester can act on it.');
    return this.transition(actor, input.handoffId, input.agentId, 'pending', 'rejected', input.reason);
  }

  async complete(actor: Actor, input: { handoffId: string; agentId: string; outcome?: string }): Promise<HandoffRecord> {
    return this.transition(actor, input.handoffId, input.agentId, 'accepted', 'completed', input.outcome?.trim() ? input.outcome : 'completed');
  }

  // Run by the expiry job; harmless when the handoff moved on meanwhile.
  async expireIfDue(namespace: string, handoffId: string): Promise<boolean> {
    const expired = await this.handoffs.expireDue({ namespace, handoffId }, this.clock.now(), 'not accepted in time');
    await this.publishExpired(namespace, expired, JOB_SOURCE);
    return expired.length > 0;
  }

  async summary(namespace: string, sessionKey: string, tokenBudget?: number): Promise<HandoffPackage> {
    const session = await this.sessions.get(namespace, sessionKey);
    return (await this.briefs.brief('session-summary', session, this.tokenBudget(tokenBudget), null)).package;
  }

  // Only agents the caller may act as: their inboxes are all it may read.
  async completeTargets(actor: Actor, prefix: string): Promise<string[]> {
    return (await this.handoffs.findTargetsByPrefix(actor.namespace, prefix, 100)).filter((agentId) => actor.mayActAs(agentId));
  }

  // A repeat of a transition already made (a retried call) answers as the
  // first one did instead of failing.
  private async transition(actor: Actor, handoffId: string, agentId: string, from: HandoffStatus, to: HandoffStatus, note: string): Promise<HandoffWithPackage> {
    actor.assertMayActAs(agentId, `${ACTION_OF[to]} handoffs`);
    const namespace = actor.namespace;
    const current = await this.find(namespace, handoffId);
    if (current.targetAgentId !== agentId) throw HandoffError.notForAgent(handoffId, agentId, current.targetAgentId);
    if (current.status === to) return current;
    const now = this.clock.now();
    if (current.status === from) {
      const moved = await this.handoffs.transition({ handoffId, agentId, from, to, note, at: now }, to === 'accepted');
      if (moved) {
        const updated = await this.find(namespace, handoffId);
        this.logger.log({ handoffId, sessionKey: updated.sessionKey, agentId, status: to }, `handoff ${to}`);
        this.metrics.handoffTransitions.add(1, { 'baton.handoff.type': updated.type, 'baton.handoff.status': to });
        if (to === 'accepted') this.metrics.handoffAcceptDelay.record((now.getTime() - updated.createdAt.getTime()) / 1000, { 'baton.handoff.type': updated.type });
        await this.announce(namespace, eventOf(to), updated, agentId);
        if (from === 'pending') await this.cancelExpiry(handoffId);
        return updated;
      }
    }
    // It did not move: it expired just now, or someone else moved it first.
    await this.publishExpired(namespace, await this.handoffs.expireDue({ namespace, handoffId }, now, 'not accepted in time'));
    const latest = await this.find(namespace, handoffId);
    if (latest.status === to) return latest;
    throw new HandoffError(HandoffErrorCode.HandoffInvalidState, explainState(latest, to), { handoffId, status: latest.status });
  }

  private async find(namespace: string, handoffId: string): Promise<HandoffWithPackage> {
    if (!UUID.test(handoffId)) throw invalid(`handoffId "${echo(handoffId)}" is not a handoff id; use the handoffId returned by request_handoff or listed by list_handoffs.`);
    const handoff = await this.handoffs.findById(namespace, handoffId);
    if (!handoff) throw HandoffError.notFound(handoffId);
    return handoff;
  }

  private tokenBudget(requested: number | undefined): number {
    const { defaultTokenBudget, maxTokenBudget } = this.config.handoffs;
    if (requested === undefined) return defaultTokenBudget;
    if (!Number.isInteger(requested) || requested < MIN_TOKEN_BUDGET || requested > maxTokenBudget) {
      throw invalid(`tokenBudget ${requested} is out of range: ask for ${MIN_TOKEN_BUDGET} to ${maxTokenBudget} tokens, or leave it out for the default of ${defaultTokenBudget}.`);
    }
    return requested;
  }

  private async scheduleExpiry(handoff: HandoffRecord): Promise<void> {
    try {
      await this.queue.enqueue(ExpireHandoffJob, { namespace: handoff.namespace, handoffId: handoff.id }, { jobId: expiryJobId(handoff.id), delayMs: handoff.expiresAt.getTime() - this.clock.now().getTime() + EXPIRY_MARGIN_MS });
    } catch (error) {
      // Reads and transitions expire overdue handoffs too; the job only makes it prompt.
      this.logger.warn({ handoffId: handoff.id, err: (error as Error).message }, 'could not schedule handoff expiry');
    }
  }

  private async cancelExpiry(handoffId: string): Promise<void> {
    try {
      await this.queue.remove(ExpireHandoffJob.queue, expiryJobId(handoffId));
    } catch (error) {
      this.logger.debug({ handoffId, err: (error as Error).message }, 'could not remove the expiry job; it will find nothing to do');
    }
  }

  // Expiry is Baton's doing, not the caller's: the audit trail names the
  // `system` credential, and where it was noticed (a request, or the job).
  // Recorded before anyone is told, as announce() does.
  private async publishExpired(namespace: string, expired: ExpiredHandoff[], source?: string): Promise<void> {
    for (const handoff of expired) {
      this.logger.log({ handoffId: handoff.id, sessionKey: handoff.sessionKey }, 'handoff expired');
      this.metrics.handoffTransitions.add(1, { 'baton.handoff.status': 'expired' });
      await this.audit.record({ action: HANDOFF_EVENTS.expired, outcome: 'success', namespace, target: handoff.id, credentialId: SYSTEM_CREDENTIAL, source, detail: { sessionKey: handoff.sessionKey, targetAgent: handoff.targetAgentId } });
      await this.events.publish({ namespace, type: HANDOFF_EVENTS.expired, subject: { handoffId: handoff.id, agentId: handoff.targetAgentId, sessionKey: handoff.sessionKey, status: 'expired' } });
    }
  }

  private recordRequested(type: string, pkg: HandoffPackage): void {
    const kind = { 'baton.handoff.type': type };
    this.metrics.handoffTransitions.add(1, { ...kind, 'baton.handoff.status': 'pending' });
    this.metrics.packageTokens.record(pkg.budget.packageTokens, kind);
    this.metrics.packageBudgetUse.record(pkg.budget.packageTokens / pkg.budget.tokenBudget, kind);
    this.metrics.packageOmitted.add(pkg.omitted.count, kind);
  }

  // A transition `agentId` made: written to the audit trail before anyone
  // is told, so a subscriber that reads the trail on the notice finds it.
  private async announce(namespace: string, type: string, handoff: HandoffRecord, agentId: string): Promise<void> {
    await this.audit.record({ action: type, outcome: 'success', namespace, target: handoff.id, agentId, detail: auditDetail(handoff) });
    await this.events.publish({ namespace, type, subject: { handoffId: handoff.id, agentId: handoff.targetAgentId, sessionKey: handoff.sessionKey, status: handoff.status } });
  }
}

function auditDetail(handoff: HandoffRecord): Record<string, unknown> {
  return { sessionKey: handoff.sessionKey, type: handoff.type, fromAgent: handoff.fromAgentId, targetAgent: handoff.targetAgentId };
}

export function expiryJobId(handoffId: string): string {
  return `expire-handoff-${handoffId}`;
}

const ACTION_OF: Record<HandoffStatus, string> = { pending: 'request', accepted: 'accept', rejected: 'reject', completed: 'complete', expired: 'expire' };

function eventOf(status: HandoffStatus): string {
  return HANDOFF_EVENTS[status === 'pending' ? 'requested' : status];
}

function explainState(handoff: HandoffRecord, wanted: HandoffStatus): string {
  const what = wanted === 'completed' ? 'only an accepted handoff can be completed' : `only a pending handoff can be ${wanted}`;
  const next =
    handoff.status === 'expired' ? 'Ask the session owner for a new handoff.' : handoff.status === 'pending' ? 'Accept it first.' : handoff.status === 'accepted' ? 'Complete it when the work is done.' : 'Nothing more can happen to it.';
  return `Handoff "${handoff.id}" is ${handoff.status}; ${what}. ${next}`;
}

function alreadyPending(sessionKey: string, handoffId: string, target: string): HandoffError {
  return new HandoffError(
    HandoffErrorCode.HandoffAlreadyPending,
    `Session "${sessionKey}" already has a pending full_handoff (${handoffId}, to ${target}); a session can have one at a time. Wait for it to be accepted, rejected or to expire, or send a context_transfer instead.`,
    { sessionKey, handoffId, targetAgent: target },
  );
}

function invalid(message: string): HandoffError {
  return new HandoffError(HandoffErrorCode.InvalidArgument, message);
}

function decodeCursor(cursor: string): HandoffCursor {
  const position = decodeKeysetCursor(cursor);
  if (!position) throw invalid('cursor is not one Baton issued: pass the nextCursor of a previous list_handoffs result, or leave it out for the first page.');
  return { createdAt: position.at, id: position.id };
}
