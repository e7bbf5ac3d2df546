import v8 from 'node:v8';

// What start-up leaves resident in an idle process (issue #12: `baton stdio`
// idles under 120 MiB). The V8 flags set here are read by V8 when it needs
// them, so setting them at run time works on every Node Baton supports (20
// and later; test/e2e/start-up-footprint.e2e-spec.ts checks the running one);
// they must be set before the work they shape.

// V8's own factor (Node 20 to 26) by which the young generation grows.
const YOUNG_GENERATION_GROWTH = 2;

// Loading the modules allocates at a high rate, which V8 answers by growing
// the young generation to its maximum (two 16 MiB semi-spaces), and it keeps
// that size until its idle memory reducer runs, well after start-up: about
// 30 MiB resident in a process that then idles. Held at its initial size
// while the process starts, it grows again under real load once the process
// is up (startUpDone).
export function holdYoungGenerationWhileStarting(): void {
  v8.setFlagsFromString('--semi-space-growth-factor=1');
}

// Called once the process serves; further calls do nothing. (`baton stdio`
// calls it once its workers are up: while Redis is down, later.)
let done = false;
export function startUpDone(): void {
  if (done) return;
  done = true;
  v8.setFlagsFromString(`--semi-space-growth-factor=${YOUNG_GENERATION_GROWTH}`);
}

// Prisma's query compiler is WebAssembly. V8 compiles it at once with its
// baseline compiler (Liftoff), then again with TurboFan on background
// threads, whose working memory stays with the process: 20-45 MiB. Its
// plans are cached per query shape, so the compiler runs once per shape and
// the optimised code bought nothing measurable (cold queries equal or faster,
// cached ones unchanged; docs/benchmarks.md). Baton loads no other WebAssembly.
export function compileWebAssemblyBaselineOnly(): void {
  v8.setFlagsFromString('--liftoff-only');
}

// Nest's logger modules each build an Intl.DateTimeFormat as they load, for
// Nest's console logger, which Baton replaces with pino: the first one loads
// ICU's calendar and time-zone data, 5-9 MiB resident for a formatter that
// never formats. While `load` runs, a DateTimeFormat is built on its first
// use instead; it behaves as the real one (its methods are the real one's).
export async function withDateFormatsBuiltOnFirstUse<T>(load: () => Promise<T>): Promise<T> {
  const DateTimeFormat = Intl.DateTimeFormat;
  const onFirstUse = function (...args: ConstructorParameters<typeof Intl.DateTimeFormat>): Intl.DateTimeFormat {
    let format: Intl.DateTimeFormat | undefined;
    return new Proxy(Object.create(DateTimeFormat.prototype) as Intl.DateTimeFormat, {
      get(target, key) {
        // Not a formatter's own (e.g. `then`, looked up by await): nothing to build.
        if (!(key in target)) return undefined;
        format ??= new DateTimeFormat(...args);
        const value: unknown = Reflect.get(format, key);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(format) : value;
      },
    });
  };
  Object.assign(onFirstUse, { prototype: DateTimeFormat.prototype, supportedLocalesOf: DateTimeFormat.supportedLocalesOf.bind(DateTimeFormat) });
  Intl.DateTimeFormat = onFirstUse as unknown as typeof Intl.DateTimeFormat;
  try {
    return await load();
  } finally {
    Intl.DateTimeFormat = DateTimeFormat;
  }
}
