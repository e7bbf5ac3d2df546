import { createHash } from 'node:crypto';

import { Inject, Injectable, Logger, Optional } from '@nestjs/common';

import { BATON_CONFIG } from 'src/config/config.module.js';
import type { BatonConfig } from 'src/config/config.schema.js';
import { withTimeout } from 'src/platform/async/with-timeout.js';
import { CacheService } from 'src/platform/cache/cache.service.js';
import { SecretRedactor } from 'src/platform/secrets/secret-redactor.js';
import { countTextTokensAsync } from 'src/platform/tokens/token-counter.js';
import { BRIEF_CONDENSER, type BriefCondenser } from 'src/features/handoffs/brief-condenser.js';
import { CODEBASE_HIGHLIGHTS_PROVIDER, type CodebaseHighlightsProvider } from 'src/features/handoffs/codebase-highlights.provider.js';
import type { CodebaseHighlight, HandoffEnvelope, HandoffPackage, PackageCondensation } from 'src/features/handoffs/handoffs.types.js';
import { candidateSequences } from 'src/features/handoffs/package-candidates.js';
import { CONTENT_PREFIX_CHARS } from 'src/features/handoffs/package-items.js';
import { HandoffPackageBuilder } from 'src/features/handoffs/package.builder.js';
import { ContextService } from 'src/features/context/context.service.js';
import type { SessionRecord } from 'src/features/sessions/sessions.types.js';

export type BriefKind = 'handoff-brief' | 'session-summary';

export interface Brief {
  package: HandoffPackage;
  // Every file the session touched, also those the package had no room for.
  touchedFiles: string[];
}

const HIGHLIGHTS_LIMIT = 10;
// Paths come from entries' metadata.files, which nothing bounds below the
// entry size; no real path is longer (PATH_MAX is 4096 bytes on Linux).
const MAX_PATH_CHARS = 4096;
const HIGHLIGHTS_TIMEOUT_MS = 2_000;
// Bump when the package layout or selection changes, so cached briefs built the old way are not served.
const BRIEF_VERSION = 3;

// Turns a session's ledger into a package: state from the ledger, contents
// of what may be shown, secrets redacted, then the budgeted build. Cached
// per ledger version: a key names the session's last sequence, so every
// append makes earlier briefs unreachable.
@Injectable()
export class BriefService {
  private readonly logger = new Logger(BriefService.name);

  constructor(
    private readonly context: ContextService,
    private readonly builder: HandoffPackageBuilder,
    private readonly redactor: SecretRedactor,
    private readonly cache: CacheService,
    @Inject(BATON_CONFIG) private readonly config: BatonConfig,
    @Optional() @Inject(CODEBASE_HIGHLIGHTS_PROVIDER) private readonly highlights?: CodebaseHighlightsProvider,
    @Optional() @Inject(BRIEF_CONDENSER) private readonly condenser?: BriefCondenser,
  ) {}

  async brief(kind: BriefKind, session: SessionRecord, tokenBudget: number, envelope: HandoffEnvelope | null): Promise<Brief> {
    const key = createHash('sha256')
      .update(JSON.stringify([BRIEF_VERSION, session.id, session.lastSequence, session.status, session.agentId, session.title, session.expiresAt.toISOString(), tokenBudget, envelope]))
      .digest('base64url');
    // Dormant and finished sessions are read less often: they get a shorter cache lifetime.
    const ttl = session.status === 'active' ? this.config.cache.briefTtlSeconds : this.config.cache.dormantBriefTtlSeconds;
    const { value } = await this.cache.getOrCompute(kind, key, ttl, () => this.compute(session, tokenBudget, envelope), session.namespace);
    return value;
  }

  private async compute(session: SessionRecord, tokenBudget: number, envelope: HandoffEnvelope | null): Promise<Brief> {
    // The current state and the outlines of what could be shown: bounded by
    // what is current and by the budget, not by the length of the session.
    const state = await this.context.ledgerState(session.id);
    const outlines = await this.context.outlineOf(session.id, candidateSequences(state, tokenBudget));
    const entries = new Map(outlines.map((e) => [e.sequence, e]));
    const wanted = this.builder.plan(state, entries, tokenBudget);
    const paths = [...state.files.keys()];
    const recentFirst = [...state.files.values()].sort((a, b) => b.lastSequence - a.lastSequence).map((f) => f.path);
    const [contents, highlights] = await Promise.all([this.context.contents(session.id, wanted, CONTENT_PREFIX_CHARS), this.highlightsFor(session, recentFirst)]);

    // One redaction pass over everything the package may show.
    const sequences = [...contents.keys()];
    const anchor = session.repository;
    const plain = [
      session.title ?? '',
      envelope?.instructions ?? '',
      anchor.remote ?? '',
      anchor.root ?? '',
      anchor.branch ?? '',
      ...sequences.map((s) => contents.get(s) ?? ''),
      ...paths.map(shownPath),
      ...highlights.flatMap((h) => [h.path, h.summary]),
    ];
    const { texts, found, count } = await this.redactor.redact(plain);
    let at = 0;
    const next = () => texts[at++] ?? '';
    const title = next();
    const instructions = next();
    const [remote, root, branch] = [next(), next(), next()];
    const redactedContents = new Map(sequences.map((s) => [s, next()]));
    const redacted = new Set(sequences.filter((s) => redactedContents.get(s) !== contents.get(s)));
    const redactedPaths = new Map(paths.map((p) => [p, next()]));
    const redactedHighlights: CodebaseHighlight[] = highlights.map((h) => ({ ...h, path: next(), summary: next() }));

    const built = this.builder.build({
      session: { ...session, lastSequence: Math.max(session.lastSequence, state.lastSequence) },
      state,
      entries,
      texts: {
        contents: redactedContents,
        redacted,
        title: session.title === null ? null : title,
        instructions: envelope?.instructions ? instructions : null,
        paths: redactedPaths,
        repository: { ...anchor, ...(anchor.remote ? { remote } : {}), ...(anchor.root ? { root } : {}), ...(anchor.branch ? { branch } : {}) },
        highlights: redactedHighlights,
      },
      envelope,
      tokenBudget,
      redactions: { count, kinds: found },
    });
    return { package: await this.condense(built, tokenBudget), touchedFiles: paths };
  }

  private async highlightsFor(session: SessionRecord, files: string[]): Promise<CodebaseHighlight[]> {
    if (!this.highlights || files.length === 0) return [];
    try {
      const found = await withTimeout(this.highlights.highlightsFor({ namespace: session.namespace, sessionKey: session.sessionKey, repository: session.repository, files, limit: HIGHLIGHTS_LIMIT }), HIGHLIGHTS_TIMEOUT_MS);
      return found.slice(0, HIGHLIGHTS_LIMIT);
    } catch (error) {
      // Highlights are a bonus; a handoff never fails for want of them.
      this.logger.warn({ sessionKey: session.sessionKey, err: (error as Error).message }, 'codebase highlights unavailable');
      return [];
    }
  }

  // The model's Markdown replaces the deterministic one only when it fits the
  // budget; either way the package says what happened and what it cost.
  private async condense(deterministic: HandoffPackage, tokenBudget: number): Promise<HandoffPackage> {
    const condenser = this.condenser;
    if (!condenser) return deterministic;
    const fallback = (reason: string, usage: PackageCondensation['usage'] = null, model: string | null = condenser.model || null): HandoffPackage => ({
      ...deterministic,
      condensation: { outcome: 'fallback', provider: condenser.provider, model, usage, reason },
    });
    try {
      const condensed = await condenser.condense({ package: deterministic, tokenBudget });
      if (condensed.markdown === '') return fallback('empty', condensed.usage, condensed.model);
      const tokens = await countTextTokensAsync(condensed.markdown);
      if (tokens > tokenBudget) return fallback('over_budget', condensed.usage, condensed.model);
      return {
        ...deterministic,
        mode: 'condensed',
        markdown: condensed.markdown,
        budget: { ...deterministic.budget, packageTokens: tokens },
        condensation: { outcome: 'condensed', provider: condensed.provider, model: condensed.model, usage: condensed.usage, reason: null },
      };
    } catch (error) {
      const reason = typeof (error as { reason?: unknown }).reason === 'string' ? (error as { reason: string }).reason : 'failed';
      this.logger.warn({ sessionKey: deterministic.session.sessionKey, reason }, 'condensation failed; keeping the deterministic brief');
      return fallback(reason);
    }
  }

}

// A path as the package shows it: cut, with an ellipsis, when it is longer
// than any real path, so that redaction and token counting stay small.
function shownPath(path: string): string {
  if (path.length <= MAX_PATH_CHARS) return path;
  const end = /[\uD800-\uDBFF]/u.test(path.charAt(MAX_PATH_CHARS - 1)) ? MAX_PATH_CHARS - 1 : MAX_PATH_CHARS;
  return `${path.slice(0, end)}…`;
}
