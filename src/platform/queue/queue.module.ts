import { Global, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';

import { QueueService } from 'src/platform/queue/queue.service.js';
import { WorkerService } from 'src/platform/queue/worker.service.js';

@Global()
@Module({ imports: [DiscoveryModule], providers: [QueueService, WorkerService], exports: [QueueService, WorkerService] })
export class QueueModule {}
