import type { INestApplicationContext } from '@nestjs/common';

import { Clock } from 'src/platform/clock/clock.js';

export interface TestClock {
  advance(ms: number): void;
  now(): Date;
}

// Moves the application's business time ahead of the wall clock. Time keeps
// flowing underneath, so BullMQ delays and waits in jobs behave as usual.
export function controlClock(app: INestApplicationContext): TestClock {
  const clock = app.get(Clock);
  let offset = 0;
  const now = () => new Date(Date.now() + offset);
  clock.now = now;
  return {
    advance: (ms) => {
      offset += ms;
    },
    now,
  };
}
