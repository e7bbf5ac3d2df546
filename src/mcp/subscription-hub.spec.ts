import { canonicalUri } from 'src/mcp/subscription-hub.js';

describe('canonicalUri', () => {
  it('matches a subscription whatever its query string and percent-encoding', () => {
    expect(canonicalUri('handoff://agents/codex%40ci/handoffs?status=pending')).toBe(canonicalUri('handoff://agents/codex@ci/handoffs'));
    expect(canonicalUri('handoff://sessions/s-1/context?afterSequence=4')).toBe('handoff://sessions/s-1/context');
  });

  it('keeps different resources apart and survives malformed escapes', () => {
    expect(canonicalUri('handoff://agents/a/handoffs')).not.toBe(canonicalUri('handoff://agents/b/handoffs'));
    expect(canonicalUri('handoff://agents/100%/handoffs')).toBe('handoff://agents/100%/handoffs');
  });
});
