import { Global, Module } from '@nestjs/common';

import { AuditTrail } from 'src/platform/audit/audit-trail.js';
import { AuditTrailRepository } from 'src/platform/audit/audit-trail.repository.js';

@Global()
@Module({ providers: [AuditTrail, AuditTrailRepository], exports: [AuditTrail] })
export class AuditModule {}
