import { Module } from '@nestjs/common';

import { LlmClient } from 'src/platform/llm/llm-client.service.js';
import { CodebaseModule } from 'src/features/codebase/codebase.module.js';
import { CodebaseService } from 'src/features/codebase/codebase.service.js';
import { ContextModule } from 'src/features/context/context.module.js';
import { BRIEF_CONDENSER } from 'src/features/handoffs/brief-condenser.js';
import { codebaseHighlightsFrom } from 'src/features/handoffs/codebase-highlights.adapter.js';
import { CODEBASE_HIGHLIGHTS_PROVIDER } from 'src/features/handoffs/codebase-highlights.provider.js';
import { LlmBriefCondenser } from 'src/features/handoffs/llm-brief.condenser.js';
import { BriefService } from 'src/features/handoffs/brief.service.js';
import { HandoffsRepository } from 'src/features/handoffs/handoffs.repository.js';
import { HandoffsService } from 'src/features/handoffs/handoffs.service.js';
import { ExpireHandoffProcessor } from 'src/features/handoffs/jobs/expire-handoff.processor.js';
import { AcceptHandoffTool } from 'src/features/handoffs/mcp/accept-handoff.tool.js';
import { AgentHandoffsResource } from 'src/features/handoffs/mcp/agent-handoffs.resource.js';
import { CacheStatsResource } from 'src/features/handoffs/mcp/cache-stats.resource.js';
import { CompleteHandoffTool } from 'src/features/handoffs/mcp/complete-handoff.tool.js';
import { HandoffResource } from 'src/features/handoffs/mcp/handoff.resource.js';
import { ListHandoffsTool } from 'src/features/handoffs/mcp/list-handoffs.tool.js';
import { RejectHandoffTool } from 'src/features/handoffs/mcp/reject-handoff.tool.js';
import { RequestHandoffTool } from 'src/features/handoffs/mcp/request-handoff.tool.js';
import { SessionSummaryResource } from 'src/features/handoffs/mcp/session-summary.resource.js';
import { HandoffPackageBuilder } from 'src/features/handoffs/package.builder.js';
import { SessionsModule } from 'src/features/sessions/sessions.module.js';

@Module({
  imports: [SessionsModule, ContextModule, CodebaseModule],
  providers: [
    HandoffsRepository,
    HandoffsService,
    BriefService,
    HandoffPackageBuilder,
    // Without a configured model the brief stays deterministic (null: no condenser).
    { provide: BRIEF_CONDENSER, useFactory: (llm: LlmClient) => (llm.enabled ? new LlmBriefCondenser(llm) : null), inject: [LlmClient] },
    { provide: CODEBASE_HIGHLIGHTS_PROVIDER, useFactory: codebaseHighlightsFrom, inject: [CodebaseService] },
    ExpireHandoffProcessor,
    RequestHandoffTool,
    ListHandoffsTool,
    AcceptHandoffTool,
    RejectHandoffTool,
    CompleteHandoffTool,
    HandoffResource,
    AgentHandoffsResource,
    SessionSummaryResource,
    CacheStatsResource,
  ],
  exports: [HandoffsService],
})
export class HandoffsModule {}
