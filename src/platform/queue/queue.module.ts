import { Global, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';

import { QueueBackendService } from 'src/platform/queue/queue-backend.service.js';
import { QueueService } from 'src/platform/queue/queue.service.js';
import { WorkerService } from 'src/platform/queue/worker.service.js';

@Global()
@Module({ imports: [DiscoveryModule], providers: [QueueBackendService, QueueService, WorkerService], exports: [QueueService, WorkerService] })
export class QueueModule {}
