import { jest } from '@jest/globals';
import type { NextFunction, Request, Response } from 'express';

import { loadConfig } from 'src/config/config.loader.js';
import type { ApiKeyVerificationService } from 'src/features/api-keys/api-key-verification.service.js';
import { BearerAuthMiddleware } from 'src/http/auth/bearer-auth.middleware.js';
import type { AuditTrail } from 'src/platform/audit/audit-trail.js';
import { startLocalIssuer, type LocalIssuer } from 'test/support/local-issuer.js';

const RESOURCE = 'http://baton.test/mcp';

let issuer: LocalIssuer;
let middleware: BearerAuthMiddleware;
const record = jest.fn(() => Promise.resolve());

beforeAll(async () => {
  issuer = await startLocalIssuer();
  const config = loadConfig({ BATON_AUTH_ISSUER: issuer.url, BATON_AUTH_RESOURCE: RESOURCE }, {});
  middleware = new BearerAuthMiddleware(config, {} as ApiKeyVerificationService, { record } as unknown as AuditTrail);
});

afterAll(() => issuer.close());

// A request through the middleware, and what it passed on (or answered).
async function pass(authorization: string) {
  const req = {
    headers: { authorization, 'content-type': 'application/json' },
    rawHeaders: ['Content-Type', 'application/json', 'Authorization', authorization, 'Accept', '*/*'],
    originalUrl: '/mcp',
    ip: '127.0.0.1',
  } as unknown as Request & { auth?: { extra?: Record<string, unknown> } };
  const answer: { status?: number } = {};
  const nextCall = await new Promise<unknown[]>((done) => {
    // A refusal answers instead of calling next.
    const res = { set: () => res, status: (code: number) => ((answer.status = code), res), json: () => done(['answered']) } as unknown as Response;
    middleware.use(req, res, ((...args: unknown[]) => done(args)) as NextFunction);
  });
  return { req, answer, nextCall };
}

describe('BearerAuthMiddleware', () => {
  it('passes a verified request on with its principal and without the credential in any header', async () => {
    const token = await issuer.token({ audience: RESOURCE, subject: 'agent-1', scope: 'agent' });
    const { req, nextCall } = await pass(`Bearer ${token}`);
    expect(nextCall).toEqual([]);
    expect(req.auth?.extra?.principal).toMatchObject({ kind: 'oauth', credentialId: 'oauth:agent-1' });
    expect(req.headers.authorization).toBeUndefined();
    expect(req.rawHeaders).toEqual(['Content-Type', 'application/json', 'Accept', '*/*']);
  });

  it('answers 401 to a refused token, records it, and leaves the request as it came', async () => {
    const { req, answer, nextCall } = await pass('Bearer not-a-token');
    expect(nextCall).toEqual(['answered']);
    expect(answer.status).toBe(401);
    expect(record).toHaveBeenCalledWith(expect.objectContaining({ action: 'auth.failed', outcome: 'denied', source: '127.0.0.1' }));
    expect(req.headers.authorization).toBe('Bearer not-a-token');
  });
});
