import { ConfigError, loadConfig } from 'src/config/config.loader.js';
import { describeRateLimit, resolveRateLimitPolicy } from 'src/config/rate-limit-policy.js';

function problemsOf(env: Record<string, string>): string {
  try {
    loadConfig({}, env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.join('\n');
    throw error;
  }
  throw new Error('the configuration was accepted');
}

describe('resolveRateLimitPolicy', () => {
  it('limits every role but the local user by default', () => {
    const policy = resolveRateLimitPolicy(loadConfig({}, {}));
    expect(Object.fromEntries(policy.toolCalls)).toEqual({
      reader: { points: 120, seconds: 60, burst: 30 },
      agent: { points: 600, seconds: 60, burst: 120 },
      operator: { points: 600, seconds: 60, burst: 120 },
      admin: { points: 1200, seconds: 60, burst: 240 },
    });
    expect(policy.httpRequests.get('agent')).toEqual({ points: 2400, seconds: 60, burst: 480 });
    expect(policy.toolCalls.has('local')).toBe(false);
    expect(policy.toolOverrides.size).toBe(0);
  });

  it('changes only the roles a rule names, turns a role off with `off`, and reads per-tool overrides', () => {
    const policy = resolveRateLimitPolicy(loadConfig({}, { BATON_RATE_LIMITS: 'agent=5/10, admin=off, local=1000/1+50', BATON_TOOL_RATE_LIMITS: 'analyze_codebase=2/60,get_context=off' }));
    expect(policy.toolCalls.get('agent')).toEqual({ points: 5, seconds: 10, burst: 0 });
    expect(policy.toolCalls.get('reader')).toEqual({ points: 120, seconds: 60, burst: 30 });
    expect(policy.toolCalls.has('admin')).toBe(false);
    expect(policy.toolCalls.get('local')).toEqual({ points: 1000, seconds: 1, burst: 50 });
    expect(Object.fromEntries(policy.toolOverrides)).toEqual({ analyze_codebase: { points: 2, seconds: 60, burst: 0 }, get_context: 'off' });
  });

  it('says how a limit reads', () => {
    expect(describeRateLimit({ points: 5, seconds: 60, burst: 0 })).toBe('5 per 60 s');
    expect(describeRateLimit({ points: 5, seconds: 60, burst: 3 })).toBe('5 per 60 s (plus a burst of 3 every 600 s)');
  });
});

describe('rate limit settings', () => {
  it.each([
    ['a rule without a rate', { BATON_RATE_LIMITS: 'agent' }, /BATON_RATE_LIMITS = "agent": \[0\]: each rule must read reader\|agent\|operator\|admin\|local=points\/seconds\[\+burst\] or =off, e.g. agent=600\/60\+120/],
    ['an unknown role', { BATON_RATE_LIMITS: 'robot=5/60' }, /BATON_RATE_LIMITS = "robot=5\/60": \[0\]: a rule must name one of reader, agent, operator, admin, local/],
    ['zero points', { BATON_HTTP_RATE_LIMITS: 'agent=0/60' }, /BATON_HTTP_RATE_LIMITS = "agent=0\/60": \[0\]: points and seconds must be at least 1 \(write =off for no limit\)/],
    ['zero seconds', { BATON_TOOL_RATE_LIMITS: 'get_context=5/0' }, /BATON_TOOL_RATE_LIMITS = "get_context=5\/0": \[0\]: points and seconds must be at least 1/],
    ['a tool rule that is not name=rate', { BATON_TOOL_RATE_LIMITS: 'Get Context=5/60' }, /each rule must read tool_name=points\/seconds\[\+burst\] or =off/],
    ['an in-flight cap of 0', { BATON_MAX_IN_FLIGHT_PER_CREDENTIAL: '0' }, /BATON_MAX_IN_FLIGHT_PER_CREDENTIAL = "0"/],
  ])('refuses %s, naming the setting and the rule it expects', (_case, env, expected) => {
    expect(problemsOf(env)).toMatch(expected);
  });
});
