// CPU time one call of `operation` costs this process, in microseconds:
// `calls` calls, `concurrency` at a time, after a warm-up of a tenth as many.
// CPU time, unlike throughput, is barely moved by other work on the machine.
export async function cpuMicrosPerCall(operation: () => Promise<unknown>, calls: number, concurrency = 8): Promise<number> {
  const run = async (n: number): Promise<void> => {
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (let i = 0; i < n / concurrency; i++) await operation();
      }),
    );
  };
  await run(Math.ceil(calls / 10));
  const before = process.cpuUsage();
  await run(calls);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / calls;
}
