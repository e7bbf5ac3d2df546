import { postgresIdentifier } from 'src/platform/database/postgres-identifier.js';

describe('postgresIdentifier', () => {
  it('turns a key prefix into a plain lower-case identifier', () => {
    expect(postgresIdentifier('baton_bullmq')).toBe('baton_bullmq');
    expect(postgresIdentifier('Baton-Test_x:1_events')).toBe('baton_test_x_1_events');
    expect(postgresIdentifier('9lives')).toBe('_9lives');
  });

  it('keeps long names within 63 bytes and apart by a hash of the whole', () => {
    const a = postgresIdentifier(`${'p'.repeat(70)}-a`);
    const b = postgresIdentifier(`${'p'.repeat(70)}-b`);
    expect(a).toHaveLength(63);
    expect(a).not.toBe(b);
  });
});
