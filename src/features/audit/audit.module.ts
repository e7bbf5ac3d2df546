import { Module } from '@nestjs/common';

import { AuditRepository } from 'src/features/audit/audit.repository.js';
import { AuditService } from 'src/features/audit/audit.service.js';
import { AuditResource } from 'src/features/audit/mcp/audit.resource.js';
import { ListAuditEventsTool } from 'src/features/audit/mcp/list-audit-events.tool.js';

@Module({
  providers: [AuditRepository, AuditService, AuditResource, ListAuditEventsTool],
  exports: [AuditService],
})
export class AuditFeatureModule {}
