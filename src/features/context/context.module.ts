import { Module } from '@nestjs/common';

import { ContextRepository } from 'src/features/context/context.repository.js';
import { ContextService } from 'src/features/context/context.service.js';
import { LedgerStateRepository } from 'src/features/context/ledger-state.repository.js';
import { GetContextTool } from 'src/features/context/mcp/get-context.tool.js';
import { SessionContextResource } from 'src/features/context/mcp/session-context.resource.js';
import { UpdateContextTool } from 'src/features/context/mcp/update-context.tool.js';
import { SessionsModule } from 'src/features/sessions/sessions.module.js';

@Module({
  imports: [SessionsModule],
  providers: [ContextRepository, LedgerStateRepository, ContextService, UpdateContextTool, GetContextTool, SessionContextResource],
  exports: [ContextService],
})
export class ContextModule {}
