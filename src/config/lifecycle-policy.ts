import type { BatonConfig, LifecyclePolicyRule } from 'src/config/config.schema.js';

// The lifecycle timings that apply to one session.
export interface LifecyclePolicy {
  dormantAfterSeconds: number;
  // Default lifetime at registration, and how far activity pushes expiresAt.
  ttlSeconds: number;
  maxLifetimeSeconds: number;
  archiveAfterSeconds: number;
  // null: never purged.
  retentionSeconds: number | null;
}

export interface PolicySubject {
  namespace: string;
  tags: readonly string[];
}

type PolicyConfig = Pick<BatonConfig, 'sessions' | 'lifecycle'>;

const TIMINGS = ['dormantAfterSeconds', 'ttlSeconds', 'maxLifetimeSeconds', 'archiveAfterSeconds', 'retentionSeconds'] as const;

export function defaultPolicy(config: PolicyConfig): LifecyclePolicy {
  return {
    dormantAfterSeconds: config.sessions.dormantAfterSeconds,
    ttlSeconds: config.sessions.ttlSeconds,
    maxLifetimeSeconds: config.sessions.maxLifetimeSeconds,
    archiveAfterSeconds: config.lifecycle.archiveAfterSeconds,
    retentionSeconds: toRetention(config.lifecycle.retentionSeconds),
  };
}

// Every rule covering the session applies in order; a later rule overrides
// an earlier one for the timings it sets.
export function resolveLifecyclePolicy(config: PolicyConfig, subject: PolicySubject): LifecyclePolicy {
  const policy = defaultPolicy(config);
  for (const rule of config.lifecycle.policies) {
    if (covers(rule, subject)) applyRule(policy, rule);
  }
  return policy;
}

// The shortest value of each timing that any session can get: the sweeper
// uses them as index-friendly lower bounds before resolving each session.
export function shortestTimings(config: PolicyConfig): LifecyclePolicy {
  const shortest = defaultPolicy(config);
  for (const rule of config.lifecycle.policies) {
    for (const timing of TIMINGS) {
      const value = rule[timing];
      if (value === undefined) continue;
      const candidate = timing === 'retentionSeconds' ? toRetention(value) : (value as number);
      if (candidate === null) continue;
      const current = shortest[timing];
      shortest[timing] = current === null ? candidate : Math.min(current, candidate);
    }
  }
  return shortest;
}

function covers(rule: LifecyclePolicyRule, subject: PolicySubject): boolean {
  if (rule.namespace !== undefined && rule.namespace !== subject.namespace) return false;
  if (rule.tag !== undefined && !subject.tags.includes(rule.tag)) return false;
  return true;
}

function applyRule(policy: LifecyclePolicy, rule: LifecyclePolicyRule): void {
  if (rule.dormantAfterSeconds !== undefined) policy.dormantAfterSeconds = rule.dormantAfterSeconds;
  if (rule.ttlSeconds !== undefined) policy.ttlSeconds = rule.ttlSeconds;
  if (rule.maxLifetimeSeconds !== undefined) policy.maxLifetimeSeconds = rule.maxLifetimeSeconds;
  if (rule.archiveAfterSeconds !== undefined) policy.archiveAfterSeconds = rule.archiveAfterSeconds;
  if (rule.retentionSeconds !== undefined) policy.retentionSeconds = toRetention(rule.retentionSeconds);
}

function toRetention(value: number | 'forever'): number | null {
  return value === 'forever' ? null : value;
}
