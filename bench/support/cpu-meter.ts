import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

// CPU time per component (load generator, Baton, PostgreSQL, Redis) from
// /proc, so a result can say where the two cores went. Linux only; elsewhere
// every figure is null.
export interface CpuSample {
  readonly wallMs: number;
  // Ticks per process, by component: PostgreSQL backends come and go, so
  // deltas are taken per process, not per sum.
  readonly ticks: Readonly<Record<CpuComponent, ReadonlyMap<number, number>>>;
  // Which PostgreSQL processes are the benchmark's (see `ours` below).
  readonly ourPostgres: ReadonlySet<number>;
  readonly machineBusyTicks: number;
}

const COMPONENTS = ['generator', 'baton', 'postgres', 'redis'] as const;
export type CpuComponent = (typeof COMPONENTS)[number];

export interface CpuBreakdown {
  // Milliseconds of CPU per operation, per component.
  readonly msPerOp: Readonly<Record<CpuComponent, number>>;
  // Share of all cores that were busy (any process), 0..1.
  readonly machineBusy: number;
  // Share of all cores busy with processes outside the benchmark (other
  // work on a shared machine), 0..1: high values make a case suspect.
  readonly othersBusy: number;
}

export class CpuMeter {
  private readonly ticksPerSecond: number;
  private readonly cores: number;
  readonly available: boolean;

  // `ourPostgres` names the PostgreSQL processes that work for the benchmark:
  // the backends of its database and the shared background processes. The
  // server is shared, so other databases' backends count as other work.
  constructor(
    private readonly generatorPid: number,
    private readonly batonPid: () => number | undefined,
    private readonly ourPostgres: () => Promise<ReadonlySet<number>> = async () => new Set(),
  ) {
    this.available = readable('/proc/stat');
    this.ticksPerSecond = this.available ? Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100 : 100;
    this.cores = this.available ? readFileSync('/proc/stat', 'utf8').split('\n').filter((l) => /^cpu\d/.test(l)).length : 1;
  }

  async sample(): Promise<CpuSample | null> {
    if (!this.available) return null;
    const ourPostgres = await this.ourPostgres();
    const ticks: Record<CpuComponent, Map<number, number>> = { generator: new Map(), baton: new Map(), postgres: new Map(), redis: new Map() };
    ticks.generator.set(this.generatorPid, processTicks(this.generatorPid));
    const baton = this.batonPid();
    if (baton !== undefined) ticks.baton.set(baton, processTicks(baton));
    for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name)).map(Number)) {
      const comm = readOr(`/proc/${pid}/comm`, '').trim();
      if (comm === 'postgres') ticks.postgres.set(pid, processTicks(pid));
      else if (comm === 'redis-server') ticks.redis.set(pid, processTicks(pid));
    }
    return { wallMs: performance.now(), ticks, ourPostgres, machineBusyTicks: machineBusyTicks() };
  }

  between(before: CpuSample | null, after: CpuSample | null, ops: number): CpuBreakdown | null {
    if (!before || !after || ops === 0) return null;
    // A process that started in between counts from zero; one that ended is lost (a few ticks at most).
    const counted = (c: CpuComponent, pid: number): boolean => c !== 'postgres' || after.ourPostgres.has(pid);
    const delta = (c: CpuComponent): number => [...after.ticks[c]].reduce((sum, [pid, t]) => (counted(c, pid) ? sum + t - (before.ticks[c].get(pid) ?? 0) : sum), 0);
    const perOp = (c: CpuComponent): number => (delta(c) * 1000) / this.ticksPerSecond / ops;
    const wallTicks = ((after.wallMs - before.wallMs) / 1000) * this.ticksPerSecond * this.cores;
    const busy = after.machineBusyTicks - before.machineBusyTicks;
    const ours = COMPONENTS.reduce((sum, c) => sum + delta(c), 0);
    return {
      msPerOp: { generator: perOp('generator'), baton: perOp('baton'), postgres: perOp('postgres'), redis: perOp('redis') },
      machineBusy: Math.min(1, busy / wallTicks),
      othersBusy: Math.max(0, Math.min(1, (busy - ours) / wallTicks)),
    };
  }
}

// utime + stime of one process (fields 14 and 15 of /proc/PID/stat; the
// command name in field 2 may hold spaces, so count from its closing paren).
function processTicks(pid: number): number {
  const stat = readOr(`/proc/${pid}/stat`, '');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields.length > 12 ? Number(fields[11]) + Number(fields[12]) : 0;
}

function machineBusyTicks(): number {
  const [, ...values] = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).map(Number);
  // user nice system idle iowait irq softirq: busy is all but idle and iowait
  // (steal is time the hypervisor gave to other guests).
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0] = values;
  return user + nice + system + irq + softirq;
}

function readOr(path: string, fallback: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return fallback;
  }
}

function readable(path: string): boolean {
  return readOr(path, '') !== '';
}
