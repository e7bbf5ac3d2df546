import { loadConfig } from 'src/config/config.loader.js';
import { httpAuthProblems } from 'src/http/auth/http-auth.policy.js';

const problemsFor = (env: Record<string, string>): string[] => httpAuthProblems(loadConfig({}, env));

describe('httpAuthProblems', () => {
  it('lets a loopback-bound serve run without authentication', () => {
    expect(problemsFor({})).toEqual([]);
    expect(problemsFor({ BATON_HTTP_HOST: 'localhost' })).toEqual([]);
    expect(problemsFor({ BATON_HTTP_HOST: '::1' })).toEqual([]);
  });

  it('refuses a non-loopback address without authentication, naming the four ways out', () => {
    const [problem] = problemsFor({ BATON_HTTP_HOST: '0.0.0.0' });
    expect(problem).toContain('refusing to listen on 0.0.0.0 without authentication');
    expect(problem).toContain('BATON_AUTH_ISSUER');
    expect(problem).toContain('BATON_AUTH_API_KEYS=true');
    expect(problem).toContain('BATON_HTTP_HOST=127.0.0.1');
    expect(problem).toContain('BATON_AUTH_ALLOW_UNAUTHENTICATED_NETWORK=true');
  });

  it('accepts a non-loopback address with OAuth configured or with the explicit acknowledgement', () => {
    expect(problemsFor({ BATON_HTTP_HOST: '0.0.0.0', BATON_AUTH_ISSUER: 'https://id.example', BATON_AUTH_RESOURCE: 'https://baton.example/mcp' })).toEqual([]);
    expect(problemsFor({ BATON_HTTP_HOST: '0.0.0.0', BATON_AUTH_ALLOW_UNAUTHENTICATED_NETWORK: 'true' })).toEqual([]);
  });

  it('accepts a non-loopback address with API keys alone, or with API keys and OAuth', () => {
    expect(problemsFor({ BATON_HTTP_HOST: '0.0.0.0', BATON_AUTH_API_KEYS: 'true' })).toEqual([]);
    expect(problemsFor({ BATON_HTTP_HOST: '0.0.0.0', BATON_AUTH_API_KEYS: 'true', BATON_AUTH_ISSUER: 'https://id.example', BATON_AUTH_RESOURCE: 'https://baton.example/mcp' })).toEqual([]);
  });

  it('still refuses half-configured OAuth when API keys are on', () => {
    expect(problemsFor({ BATON_HTTP_HOST: '0.0.0.0', BATON_AUTH_API_KEYS: 'true', BATON_AUTH_ISSUER: 'https://id.example' })).toEqual([expect.stringContaining('BATON_AUTH_RESOURCE is not')]);
  });

  it('refuses half-configured OAuth', () => {
    expect(problemsFor({ BATON_AUTH_ISSUER: 'https://id.example' })).toEqual([expect.stringContaining('BATON_AUTH_ISSUER is set but BATON_AUTH_RESOURCE is not')]);
    expect(problemsFor({ BATON_AUTH_RESOURCE: 'https://baton.example/mcp', BATON_AUTH_REQUIRED_SCOPES: 'baton' })).toEqual([
      expect.stringContaining('BATON_AUTH_RESOURCE is set but BATON_AUTH_ISSUER is not'),
      expect.stringContaining('BATON_AUTH_REQUIRED_SCOPES is set but BATON_AUTH_ISSUER is not'),
    ]);
  });
});
