import { Module } from '@nestjs/common';

import { ListSessionsTool } from 'src/features/sessions/mcp/list-sessions.tool.js';
import { RegisterSessionTool } from 'src/features/sessions/mcp/register-session.tool.js';
import { SessionResource } from 'src/features/sessions/mcp/session.resource.js';
import { SessionsListResource } from 'src/features/sessions/mcp/sessions-list.resource.js';
import { SessionsRepository } from 'src/features/sessions/sessions.repository.js';
import { SessionsService } from 'src/features/sessions/sessions.service.js';

@Module({
  providers: [SessionsRepository, SessionsService, RegisterSessionTool, ListSessionsTool, SessionsListResource, SessionResource],
  exports: [SessionsService],
})
export class SessionsModule {}
