import { Global, Module } from '@nestjs/common';

import { EventBusService } from 'src/platform/events/event-bus.service.js';

@Global()
@Module({ providers: [EventBusService], exports: [EventBusService] })
export class EventsModule {}
