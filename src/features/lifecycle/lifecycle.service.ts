import { Inject, Injectable, Logger } from '@nestjs/common';

import { BATON_CONFIG } from 'src/config/config.module.js';
import type { BatonConfig } from 'src/config/config.schema.js';
import { resolveLifecyclePolicy, shortestTimings, type LifecyclePolicy } from 'src/config/lifecycle-policy.js';
import { Clock } from 'src/platform/clock/clock.js';
import { EventBusService } from 'src/platform/events/event-bus.service.js';
import { batonMetrics } from 'src/platform/telemetry/baton-metrics.js';
import { ContextService } from 'src/features/context/context.service.js';
import { LifecycleRepository } from 'src/features/lifecycle/lifecycle.repository.js';
import { LifecycleStatsRepository } from 'src/features/lifecycle/lifecycle-stats.repository.js';
import type {
  AdvanceOutcome,
  LifecycleState,
  ScheduledCheck,
  SweepFigures,
  SweepOutcome,
  Transitioned,
  TransitionCounts,
  TransitionKind,
} from 'src/features/lifecycle/lifecycle.types.js';
import { nextTransition, plusSeconds } from 'src/features/lifecycle/session-timeline.js';
import { SESSION_EVENTS } from 'src/features/sessions/sessions.service.js';

// A job that finds its transition due within this much waits for it rather
// than scheduling a job with its own id (which BullMQ would ignore).
const WAIT_FOR_DUE_MS = 1_000;
// Times one job may find its transition undone by a concurrent change (an
// append, another worker) before it gives up and lets BullMQ retry it.
const MAX_RACES = 5;

const COUNTER_OF: Record<TransitionKind, keyof TransitionCounts> = { dormant: 'dormant', expire: 'expired', archive: 'archived', purge: 'purged' };

// Moves sessions along active -> dormant -> expired -> archived -> purged.
// Decides and applies; the jobs that call it turn the checks it returns
// into delayed jobs.
@Injectable()
export class LifecycleService {
  private readonly logger = new Logger(LifecycleService.name);
  private readonly metrics = batonMetrics();

  constructor(
    private readonly sessions: LifecycleRepository,
    private readonly stats: LifecycleStatsRepository,
    private readonly context: ContextService,
    private readonly events: EventBusService,
    private readonly clock: Clock,
    @Inject(BATON_CONFIG) private readonly config: BatonConfig,
  ) {}

  policyOf(state: Pick<LifecycleState, 'namespace' | 'tags'>): LifecyclePolicy {
    return resolveLifecyclePolicy(this.config, state);
  }

  // Sessions are only given delayed jobs this far ahead; transitions further
  // out are picked up by a later sweep, which keeps Redis small.
  get lookaheadMs(): number {
    return 2 * this.config.lifecycle.sweepIntervalSeconds * 1000;
  }

  // The per-session job: apply every transition that is due now, then say
  // when to look again (if soon).
  async advance(sessionId: string): Promise<AdvanceOutcome> {
    const transitioned: Transitioned[] = [];
    for (let races = 0; races < MAX_RACES; ) {
      const state = await this.sessions.findState(sessionId);
      if (!state) return { status: 'gone', transitioned, next: null };
      const now = this.clock.now();
      const due = nextTransition(state, this.policyOf(state), now);
      if (!due) return { status: state.status, transitioned, next: null };
      const wait = due.at.getTime() - now.getTime();
      if (wait > WAIT_FOR_DUE_MS) return { status: state.status, transitioned, next: this.ifSoon({ sessionId, namespace: state.namespace, at: due.at }, now) };
      if (wait > 0) {
        await new Promise((resolve) => setTimeout(resolve, wait));
        continue;
      }
      // Nothing moved means the session changed meanwhile (an append won the
      // race, another worker was first): read it again and decide afresh.
      const moved = await this.apply(due.kind, [state], now, false);
      if (moved.length === 0) races++;
      await this.announce(moved);
      transitioned.push(...moved);
    }
    throw new Error(`session ${sessionId} kept changing while its ${MAX_RACES} lifecycle attempts ran; retrying later`);
  }

  // When to look at a session next, if that is soon enough for a delayed
  // job: after register_session, and after an append reactivated it.
  async nextCheck(namespace: string, sessionKey: string): Promise<ScheduledCheck | null> {
    const state = await this.sessions.findStateByKey(namespace, sessionKey);
    return state ? this.nextCheckOf(state) : null;
  }

  nextCheckOf(state: LifecycleState): ScheduledCheck | null {
    const now = this.clock.now();
    const due = nextTransition(state, this.policyOf(state), now);
    return due ? this.ifSoon({ sessionId: state.id, namespace: state.namespace, at: due.at }, now) : null;
  }

  // Catches up on everything due, whatever happened to the delayed jobs
  // (Redis flushed, workers down), and schedules checks for what falls due
  // before the next sweep. Expiry needs no policy and runs as plain batched
  // statements; the other kinds walk an index from the shortest timing any
  // policy allows and resolve each session's own policy.
  // An operator's sweep covers its own namespace only (namespace given);
  // the schedule's covers every namespace (null).
  async sweep(trigger: string, namespace: string | null = null): Promise<SweepOutcome> {
    const now = this.clock.now();
    const startedAt = performance.now();
    const horizon = new Date(now.getTime() + this.lookaheadMs);
    const batch = this.config.lifecycle.sweepBatchSize;
    const shortest = shortestTimings(this.config);
    const walk: Walk = { now, horizon, batch, namespace, counts: { dormant: 0, expired: 0, archived: 0, purged: 0 }, checks: [], archivesQueued: 0, byNamespace: new Map() };

    for (;;) {
      const moved = await this.sessions.expire(now, { limit: batch, skipLocked: true, namespace });
      await this.announce(moved, walk);
      if (moved.length < batch) break;
    }
    await this.walk('expire', horizon, walk);
    await this.walk('dormant', plusSeconds(horizon, -shortest.dormantAfterSeconds), walk);
    await this.walk('archive', plusSeconds(horizon, -shortest.archiveAfterSeconds), walk);
    if (shortest.retentionSeconds !== null) await this.walk('purge', plusSeconds(horizon, -shortest.retentionSeconds), walk);

    const result = {
      trigger,
      startedAt: now.toISOString(),
      finishedAt: this.clock.now().toISOString(),
      durationMs: Math.round(performance.now() - startedAt),
      transitioned: walk.counts,
      archivesQueued: walk.archivesQueued,
      checksScheduled: walk.checks.length,
      namespace,
    };
    for (const check of walk.checks) figuresOf(walk, check.namespace).checksScheduled++;
    await this.stats.saveSweep(namespace === null ? { ...result, byNamespace: Object.fromEntries(walk.byNamespace) } : result);
    this.logger.log({ ...result.transitioned, archivesQueued: result.archivesQueued, checks: result.checksScheduled, durationMs: result.durationMs, trigger }, 'lifecycle sweep done');
    return { result, checks: walk.checks };
  }

  private async walk(kind: TransitionKind, bound: Date, walk: Walk): Promise<void> {
    let cursor = null;
    for (;;) {
      const page = await this.sessions.scan(kind, bound, cursor, walk.batch, walk.namespace);
      const ready: { state: LifecycleState; at: Date }[] = [];
      for (const state of page.states) {
        const due = nextTransition(state, this.policyOf(state), walk.now);
        if (!due || due.kind !== kind || due.at > walk.horizon) continue;
        if (due.at > walk.now) walk.checks.push({ sessionId: state.id, namespace: state.namespace, at: due.at });
        else ready.push({ state, at: due.at });
      }
      if (kind === 'archive') {
        // Archiving moves every entry of a session: each runs as its own job,
        // with its own retries. The id stays the same until it succeeds.
        for (const { state, at } of ready) {
          walk.checks.push({ sessionId: state.id, namespace: state.namespace, at });
          figuresOf(walk, state.namespace).archivesQueued++;
        }
        walk.archivesQueued += ready.length;
      } else if (ready.length > 0) {
        const byId = new Map(ready.map(({ state }) => [state.id, state]));
        const moved = await this.apply(kind, [...byId.values()], walk.now, true);
        await this.announce(moved, walk);
        for (const session of moved) {
          const state = byId.get(session.id);
          if (!state) continue;
          const due = nextTransition({ ...state, status: session.to }, this.policyOf(state), walk.now);
          if (due && due.at <= walk.horizon) walk.checks.push({ sessionId: session.id, namespace: session.namespace, at: due.at });
        }
      }
      cursor = page.cursor;
      if (page.states.length < walk.batch) return;
    }
  }

  // One conditional transition for the given sessions, all due by `now`.
  private async apply(kind: TransitionKind, states: LifecycleState[], now: Date, skipLocked: boolean): Promise<Transitioned[]> {
    switch (kind) {
      case 'dormant':
        return this.sessions.makeDormant(
          states.map((s) => ({ id: s.id, cutoff: plusSeconds(now, -this.policyOf(s).dormantAfterSeconds) })),
          now,
          skipLocked,
        );
      case 'expire':
        return this.sessions.expire(now, { ids: states.map((s) => s.id), limit: states.length, skipLocked });
      case 'purge':
        return this.sessions.purge(
          states.flatMap((s) => {
            const retention = this.policyOf(s).retentionSeconds;
            return retention === null ? [] : [{ id: s.id, cutoff: plusSeconds(now, -retention) }];
          }),
          now,
          skipLocked,
        );
      case 'archive': {
        const moved: Transitioned[] = [];
        for (const state of states) {
          const outcome = await this.context.archiveSession(state.id, now, (locked) => locked.status === 'expired' && plusSeconds(locked.expiresAt, this.policyOf(locked).archiveAfterSeconds) <= now);
          if (!outcome) continue;
          this.logger.log({ sessionKey: outcome.sessionKey, entries: outcome.entryCount, rawBytes: outcome.rawBytes, storedBytes: outcome.storedBytes }, 'session archived');
          moved.push({ id: state.id, namespace: outcome.namespace, sessionKey: outcome.sessionKey, from: outcome.previousStatus, to: 'archived' });
        }
        return moved;
      }
    }
  }

  // Every transition is heard: subscribers of the session's resources get
  // notifications/resources/updated, and the totals grow (Baton's and each
  // namespace's).
  private async announce(moved: Transitioned[], walk?: Walk): Promise<void> {
    if (moved.length === 0) return;
    const counts: Partial<TransitionCounts> = {};
    const byNamespace = new Map<string, Partial<TransitionCounts>>();
    for (const session of moved) {
      this.metrics.lifecycleTransitions.add(1, { 'baton.session.status': session.to });
      const counter = COUNTER_OF[kindOf(session)];
      counts[counter] = (counts[counter] ?? 0) + 1;
      const own = byNamespace.get(session.namespace) ?? {};
      own[counter] = (own[counter] ?? 0) + 1;
      byNamespace.set(session.namespace, own);
      if (walk) {
        walk.counts[counter] += 1;
        figuresOf(walk, session.namespace).transitioned[counter] += 1;
      }
    }
    await this.events.publishMany(moved.map((s) => ({ namespace: s.namespace, type: SESSION_EVENTS.statusChanged, subject: { sessionKey: s.sessionKey, status: s.to } })));
    await this.stats.addTransitions(counts, null);
    for (const [namespace, own] of byNamespace) await this.stats.addTransitions(own, namespace);
  }

  private ifSoon(check: ScheduledCheck, now: Date): ScheduledCheck | null {
    return check.at.getTime() - now.getTime() <= this.lookaheadMs ? check : null;
  }
}

interface Walk {
  now: Date;
  horizon: Date;
  batch: number;
  // The one namespace swept, or null for all.
  namespace: string | null;
  counts: TransitionCounts;
  checks: ScheduledCheck[];
  archivesQueued: number;
  byNamespace: Map<string, SweepFigures>;
}

function figuresOf(walk: Walk, namespace: string): SweepFigures {
  let figures = walk.byNamespace.get(namespace);
  if (!figures) {
    figures = { transitioned: { dormant: 0, expired: 0, archived: 0, purged: 0 }, archivesQueued: 0, checksScheduled: 0 };
    walk.byNamespace.set(namespace, figures);
  }
  return figures;
}

function kindOf(session: Transitioned): TransitionKind {
  switch (session.to) {
    case 'dormant':
      return 'dormant';
    case 'expired':
      return 'expire';
    case 'archived':
      return 'archive';
    default:
      return 'purge';
  }
}
