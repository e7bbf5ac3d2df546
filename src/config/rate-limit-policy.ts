import { RATE_LIMIT_RULE, SETTINGS, type BatonConfig } from 'src/config/config.schema.js';

// A token bucket as rate-limiter-flexible keeps it: `points` per `seconds`,
// and once they are used up `burst` more, renewed every BURST_WINDOWS
// intervals.
export interface RateLimit {
  readonly points: number;
  readonly seconds: number;
  readonly burst: number;
}

export const BURST_WINDOWS = 10;

export type LimitedRole = 'reader' | 'agent' | 'operator' | 'admin' | 'local';

// What each role (and each overridden tool) may do; a missing entry is not limited.
export interface RateLimitPolicy {
  readonly toolCalls: ReadonlyMap<LimitedRole, RateLimit>;
  readonly toolOverrides: ReadonlyMap<string, RateLimit | 'off'>;
  readonly httpRequests: ReadonlyMap<LimitedRole, RateLimit>;
}

type LimitsConfig = Pick<BatonConfig, 'limits'>;

export function resolveRateLimitPolicy(config: LimitsConfig): RateLimitPolicy {
  return {
    toolCalls: byRole('BATON_RATE_LIMITS', config.limits.rateLimits),
    toolOverrides: new Map(config.limits.toolRateLimits.map(parseRule)),
    httpRequests: byRole('BATON_HTTP_RATE_LIMITS', config.limits.httpRateLimits),
  };
}

// The configured rules over the defaults: a role the operator did not name
// keeps its default, `off` removes it.
function byRole(env: string, rules: readonly string[]): ReadonlyMap<LimitedRole, RateLimit> {
  const setting = SETTINGS.find((s) => s.env === env);
  const defaults = (setting?.schema.parse(undefined) ?? []) as string[];
  const limits = new Map<LimitedRole, RateLimit>();
  for (const [name, limit] of [...defaults, ...rules].map(parseRule)) {
    if (limit === 'off') limits.delete(name as LimitedRole);
    else limits.set(name as LimitedRole, limit);
  }
  return limits;
}

// Rules reach here validated by the config schema.
function parseRule(rule: string): [string, RateLimit | 'off'] {
  const match = RATE_LIMIT_RULE.exec(rule);
  if (!match) throw new Error(`not a rate limit rule: ${rule}`);
  const [, name, value, points, seconds, burst] = match as unknown as [string, string, string, string, string, string | undefined];
  return [name, value === 'off' ? 'off' : { points: Number(points), seconds: Number(seconds), burst: Number(burst ?? 0) }];
}

export function describeRateLimit(limit: RateLimit): string {
  const burst = limit.burst > 0 ? ` (plus a burst of ${limit.burst} every ${limit.seconds * BURST_WINDOWS} s)` : '';
  return `${limit.points} per ${limit.seconds} s${burst}`;
}
