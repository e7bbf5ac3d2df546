import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

export interface TokenOptions {
  audience: string;
  subject?: string;
  claims?: Record<string, unknown>;
  issuer?: string;
  expiresIn?: string | number;
  notBefore?: string | number;
  key?: CryptoKey;
  kid?: string;
  alg?: string;
}

// An OAuth authorization server as far as a resource server sees one: its
// RFC 8414 metadata and its JWKS, served on loopback, and the tokens it signs.
export interface LocalIssuer {
  url: string;
  privateKey: CryptoKey;
  server: Server;
  // The published keys; a test rotates them by changing the list.
  keys: JWK[];
  jwksFetches(): number;
  // A signed access token: RS256 with key-1, for five minutes, unless told otherwise.
  sign(options: TokenOptions): Promise<string>;
  close(): Promise<void>;
}

export async function startIssuer(): Promise<LocalIssuer> {
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  let jwksFetches = 0;
  const keys: JWK[] = [{ ...(await exportJWK(publicKey)), kid: 'key-1', alg: 'RS256', use: 'sig' }];
  const server = createServer((req, res) => {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    res.setHeader('content-type', 'application/json');
    if (req.url === '/.well-known/oauth-authorization-server') res.end(JSON.stringify({ issuer: url, jwks_uri: `${url}/jwks`, response_types_supported: ['code'] }));
    else if (req.url === '/jwks') {
      jwksFetches++;
      res.end(JSON.stringify({ keys }));
    }
    else res.writeHead(404).end('{}');
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    privateKey,
    server,
    keys,
    jwksFetches: () => jwksFetches,
    sign: (options) => {
      const jwt = new SignJWT({ ...options.claims })
        .setProtectedHeader({ alg: options.alg ?? 'RS256', kid: options.kid ?? 'key-1' })
        .setIssuer(options.issuer ?? url)
        .setAudience(options.audience)
        .setSubject(options.subject ?? 'agent-1')
        .setIssuedAt()
        .setExpirationTime(options.expiresIn ?? '5m');
      if (options.notBefore !== undefined) jwt.setNotBefore(options.notBefore);
      return jwt.sign(options.key ?? privateKey);
    },
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}

export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((done) => probe.listen(0, '127.0.0.1', done));
  const { port } = probe.address() as AddressInfo;
  await new Promise((done) => probe.close(done));
  return port;
}
