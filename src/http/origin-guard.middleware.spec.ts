import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';

import type { BatonConfig } from 'src/config/config.schema.js';
import { OriginGuardMiddleware } from 'src/http/origin-guard.middleware.js';

function guard(http: { host: string; allowedHosts?: string[]; allowedOrigins?: string[] }): { log: string; level: string } {
  const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  const log = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  new OriginGuardMiddleware({ http: { allowedHosts: [], allowedOrigins: [], ...http } } as unknown as BatonConfig);
  const said = [...warn.mock.calls.map((c) => ['warn', c[1]]), ...log.mock.calls.map((c) => ['log', c[1]])] as [string, string][];
  warn.mockRestore();
  log.mockRestore();
  expect(said).toHaveLength(1);
  const [level, message] = said[0] as [string, string];
  return { level, log: message };
}

describe('OriginGuardMiddleware at start', () => {
  it('warns on 0.0.0.0 without allowed hosts that Host is not checked, and says what still is', () => {
    const { level, log } = guard({ host: '0.0.0.0' });
    expect(level).toBe('warn');
    expect(log).toMatch(/Host headers are NOT checked/);
    expect(log).toMatch(/DNS rebinding is not blocked/);
    expect(log).toMatch(/BATON_ALLOWED_HOSTS/);
    expect(log).toMatch(/browser Origin must be one of BATON_ALLOWED_ORIGINS \(none set\)/);
    expect(log).toMatch(/without an Origin header .* are accepted/);
  });

  it('lists the Host names and Origin rule it enforces otherwise', () => {
    expect(guard({ host: '127.0.0.1' })).toEqual({ level: 'log', log: expect.stringMatching(/Host header must be one of localhost, 127\.0\.0\.1, \[::1\]; a browser Origin must be a loopback page/) });
    expect(guard({ host: '0.0.0.0', allowedHosts: ['baton.internal'], allowedOrigins: ['https://console.example'] }).log).toMatch(/must be one of baton\.internal; a browser Origin must be one of BATON_ALLOWED_ORIGINS \(https:\/\/console\.example\)/);
  });
});
