import { existsSync, readFileSync } from 'node:fs';

import { Copy, type Dockerfile, DockerfileParser, type Instruction } from 'dockerfile-ast';
import ignore from 'ignore';

// No Docker engine runs the suite, so the image is checked from its recipe:
// the rules below are the ones that keep the image small, unprivileged and
// runnable, read from the Dockerfile the way the builder reads it.
describe('Dockerfile', () => {
  const dockerfile: Dockerfile = DockerfileParser.parse(readFileSync('Dockerfile', 'utf8'));
  const stages = splitStages(dockerfile.getInstructions());
  const runtime = stages.at(-1)!;
  const args = (instruction: Instruction) => instruction.getArguments().map((a) => a.getValue());
  const jsonArgs = (instruction: Instruction) => JSON.parse(instruction.getArgumentsContent() ?? 'null') as unknown;

  it('builds in a separate stage from the one it ships', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const froms = dockerfile.getFROMs();
    expect(froms.map((f) => f.getBuildStage())).toEqual(['build', 'runtime']);
  });

  it('runs every stage on one exact release of an even-numbered (LTS) Node line that package.json allows', () => {
    const tags = dockerfile.getFROMs().map((f) => `${f.getImageName()}:${f.getImageTag()}`);
    expect(new Set(tags).size).toBe(1);
    const match = /^node:(\d+)\.(\d+)\.(\d+)-alpine$/.exec(tags[0]);
    expect(match).not.toBeNull();
    const major = Number(match![1]);
    expect(major % 2).toBe(0);
    const engines = (JSON.parse(readFileSync('package.json', 'utf8')) as { engines: { node: string } }).engines.node;
    expect(major).toBeGreaterThanOrEqual(Number(/>=\s*(\d+)/.exec(engines)![1]));
  });

  it('ships only production dependencies: dev dependencies are pruned after the build and sources stay behind', () => {
    const buildRuns = stages[0].filter((i) => i.getKeyword() === 'RUN').map((i) => args(i).join(' '));
    const last = buildRuns.at(-1)!;
    expect(last.indexOf('npm run build')).toBeGreaterThanOrEqual(0);
    expect(last.indexOf('npm prune --omit=dev')).toBeGreaterThan(last.indexOf('npm run build'));
    const copies = runtime.filter((i): i is Copy => i instanceof Copy);
    expect(copies.length).toBeGreaterThan(0);
    for (const copy of copies) expect(copy.getFlags().find((f) => f.getName() === 'from')?.getValue()).toBe('build');
    const shipped = copies.map((c) => args(c).at(-2));
    expect(shipped).toEqual(expect.arrayContaining(['/app/node_modules', '/app/dist', '/app/prisma/migrations', '/app/package.json']));
    expect(shipped).not.toContain('/app/src');
  });

  it('runs as a non-root user, set after the last step that needs root', () => {
    const keywords = runtime.map((i) => i.getKeyword());
    const user = runtime.filter((i) => i.getKeyword() === 'USER').at(-1);
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(args(user!)[0].split(':')[0]);
    expect(keywords.lastIndexOf('USER')).toBeGreaterThan(keywords.lastIndexOf('RUN'));
  });

  it('checks its own health on /health/live and starts the baton CLI', () => {
    const healthcheck = runtime.find((i) => i.getKeyword() === 'HEALTHCHECK');
    expect(healthcheck?.getArgumentsContent()).toContain('/health/live');
    expect(jsonArgs(runtime.find((i) => i.getKeyword() === 'ENTRYPOINT')!)).toEqual(['baton']);
    expect(jsonArgs(runtime.find((i) => i.getKeyword() === 'CMD')!)).toEqual(['serve']);
    const bin = (JSON.parse(readFileSync('package.json', 'utf8')) as { bin: { baton: string } }).bin.baton;
    expect(runtime.some((i) => i.getKeyword() === 'RUN' && args(i).join(' ') === `ln -s /app/${bin} /usr/local/bin/baton`)).toBe(true);
  });

  it('copies into the build only files that exist and that .dockerignore lets through', () => {
    const ignored = ignore().add(readFileSync('.dockerignore', 'utf8'));
    const sources = stages[0]
      .filter((i) => i.getKeyword() === 'COPY')
      .flatMap((i) => args(i).slice(0, -1));
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) {
      expect([source, existsSync(source)]).toEqual([source, true]);
      expect([source, ignored.ignores(source)]).toEqual([source, false]);
    }
  });

  it('keeps secrets, dependencies, tests and VCS data out of the build context', () => {
    const ignored = ignore().add(readFileSync('.dockerignore', 'utf8'));
    for (const path of ['.env', '.git/config', 'node_modules/x/index.js', 'dist/main.js', 'test/e2e/a.e2e-spec.ts', 'src/a/b.spec.ts', 'coverage/lcov.info']) {
      expect([path, ignored.ignores(path)]).toEqual([path, true]);
    }
    expect(ignored.ignores('src/main.ts')).toBe(false);
  });
});

function splitStages(instructions: Instruction[]): Instruction[][] {
  const stages: Instruction[][] = [];
  for (const instruction of instructions) {
    if (instruction.getKeyword() === 'FROM') stages.push([]);
    stages.at(-1)?.push(instruction);
  }
  return stages;
}
