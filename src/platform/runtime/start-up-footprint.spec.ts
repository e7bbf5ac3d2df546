import { withDateFormatsBuiltOnFirstUse } from 'src/platform/runtime/start-up-footprint.js';

describe('withDateFormatsBuiltOnFirstUse', () => {
  const original = Intl.DateTimeFormat;
  afterEach(() => {
    Intl.DateTimeFormat = original;
  });

  // Counts the real formatters built, through a stand-in for the global.
  function countBuilds(): { builds: () => number } {
    let count = 0;
    const counting = function (...args: ConstructorParameters<typeof Intl.DateTimeFormat>): Intl.DateTimeFormat {
      count++;
      return new original(...args);
    };
    Object.assign(counting, { prototype: original.prototype, supportedLocalesOf: original.supportedLocalesOf.bind(original) });
    Intl.DateTimeFormat = counting as unknown as typeof Intl.DateTimeFormat;
    return { builds: () => count };
  }

  it('builds a formatter made while loading only when it is first used', async () => {
    const { builds } = countBuilds();
    const options: Intl.DateTimeFormatOptions = { timeZone: 'UTC', year: 'numeric', month: '2-digit', day: '2-digit', hour: 'numeric', minute: 'numeric' };
    const format = await withDateFormatsBuiltOnFirstUse(() => Promise.resolve(new Intl.DateTimeFormat('en-US', options)));
    expect(builds()).toBe(0);

    const at = Date.UTC(2026, 11, 4, 18, 30);
    expect(format.format(at)).toBe(new original('en-US', options).format(at));
    expect(format.resolvedOptions().timeZone).toBe('UTC');
    expect(format.formatToParts(at).find((part) => part.type === 'year')?.value).toBe('2026');
    expect(format).toBeInstanceOf(original);
    expect(builds()).toBe(1);
  });

  it('puts the real constructor back once loading ends, whether it succeeded or failed', async () => {
    await withDateFormatsBuiltOnFirstUse(() => Promise.resolve(undefined));
    expect(Intl.DateTimeFormat).toBe(original);

    await expect(withDateFormatsBuiltOnFirstUse(() => Promise.reject(new Error('a module failed to load')))).rejects.toThrow('a module failed to load');
    expect(Intl.DateTimeFormat).toBe(original);
  });

  it('keeps the static methods of Intl.DateTimeFormat while loading', async () => {
    const supported = await withDateFormatsBuiltOnFirstUse(() => Promise.resolve(Intl.DateTimeFormat.supportedLocalesOf(['en-US'])));
    expect(supported).toEqual(['en-US']);
  });
});
