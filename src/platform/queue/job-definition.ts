import { SetMetadata } from '@nestjs/common';

// A job kind: its queue, its name and the type of its payload. Features
// declare them in jobs/*.job.ts; every declared job must have a handler.
export interface JobDefinition<Data> {
  readonly queue: string;
  readonly name: string;
  // Phantom field carrying the payload type; never set.
  readonly __data?: Data;
}

const declared = new Map<string, JobDefinition<unknown>>();

export function defineJob<Data>(queue: string, name: string): JobDefinition<Data> {
  const key = `${queue}/${name}`;
  const existing = declared.get(key);
  if (existing) return existing as JobDefinition<Data>;
  const definition: JobDefinition<Data> = { queue, name };
  declared.set(key, definition);
  return definition;
}

export function declaredJobs(): JobDefinition<unknown>[] {
  return [...declared.values()];
}

export interface JobContext {
  readonly id: string;
  // 1 for the first try, 2 for the first retry, ...
  readonly attempt: number;
  progress(value: number | Record<string, unknown>): Promise<void>;
}

export interface JobHandler<Data = unknown, Result = unknown> {
  readonly job: JobDefinition<Data>;
  handle(data: Data, context: JobContext): Promise<Result>;
}

export const JOB_HANDLER = Symbol('JOB_HANDLER');

// Marks a provider as the handler of one job kind; the worker finds it at boot.
export const JobProcessor = (): ClassDecorator => SetMetadata(JOB_HANDLER, true);

// Work a feature needs done once in each process that runs workers, after
// its workers have started (repairs, schedules, listeners).
export interface WorkerStartHook {
  // The queue whose workers the hook serves: it runs only where they run.
  readonly queue: string;
  onWorkersStarted(): Promise<void>;
}

export const WORKER_START_HOOK = Symbol('WORKER_START_HOOK');

// Marks a provider as a WorkerStartHook; the worker finds it at boot.
export const OnWorkersStarted = (): ClassDecorator => SetMetadata(WORKER_START_HOOK, true);
