import { loadConfig } from 'src/config/config.loader.js';
import { resolveLifecyclePolicy, shortestTimings } from 'src/config/lifecycle-policy.js';

const config = loadConfig(
  {},
  {
    BATON_LIFECYCLE_POLICIES: JSON.stringify([
      { namespace: 'acme', dormantAfterSeconds: 600, retentionSeconds: 86_400 },
      { tag: 'compliance', retentionSeconds: 'forever' },
      { namespace: 'acme', tag: 'scratch', ttlSeconds: 3600, retentionSeconds: 60 },
    ]),
  },
);

describe('resolveLifecyclePolicy', () => {
  it('gives sessions no rule covers the defaults', () => {
    expect(resolveLifecyclePolicy(config, { namespace: 'default', tags: [] })).toEqual({
      dormantAfterSeconds: 1800,
      ttlSeconds: 86_400,
      maxLifetimeSeconds: 604_800,
      archiveAfterSeconds: 604_800,
      retentionSeconds: 7_776_000,
    });
  });

  it('applies every covering rule in order, later ones overriding only the timings they set', () => {
    expect(resolveLifecyclePolicy(config, { namespace: 'acme', tags: ['scratch'] })).toMatchObject({ dormantAfterSeconds: 600, ttlSeconds: 3600, retentionSeconds: 60 });
    expect(resolveLifecyclePolicy(config, { namespace: 'acme', tags: ['compliance'] })).toMatchObject({ dormantAfterSeconds: 600, retentionSeconds: null });
    expect(resolveLifecyclePolicy(config, { namespace: 'other', tags: ['scratch'] })).toMatchObject({ ttlSeconds: 86_400, retentionSeconds: 7_776_000 });
  });

  it('lets a later rule shorten a keep-forever retention again (order is the operator\'s to choose)', () => {
    expect(resolveLifecyclePolicy(config, { namespace: 'acme', tags: ['compliance', 'scratch'] }).retentionSeconds).toBe(60);
  });
});

describe('shortestTimings', () => {
  it('takes the shortest value any rule or default gives, ignoring keep-forever', () => {
    expect(shortestTimings(config)).toEqual({ dormantAfterSeconds: 600, ttlSeconds: 3600, maxLifetimeSeconds: 604_800, archiveAfterSeconds: 604_800, retentionSeconds: 60 });
  });

  it('is null for retention when nothing is ever purged', () => {
    expect(shortestTimings(loadConfig({}, { BATON_RETENTION_SECONDS: 'forever' })).retentionSeconds).toBeNull();
  });
});
