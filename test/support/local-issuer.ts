import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

// An OAuth authorization server as far as a resource server sees one: its
// RFC 8414 metadata and its JWKS (one RS256 key, `key-1`), served on loopback.
export interface LocalIssuer {
  url: string;
  privateKey: CryptoKey;
  server: Server;
  // The published keys; a test rotates them by changing the list.
  keys: JWK[];
  jwksFetches(): number;
  // An access token for `audience`, signed with key-1.
  token(options: { audience: string; subject: string; scope: string; claims?: Record<string, unknown> }): Promise<string>;
  close(): Promise<void>;
}

export async function startLocalIssuer(): Promise<LocalIssuer> {
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
    } else res.writeHead(404).end('{}');
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    privateKey,
    server,
    keys,
    jwksFetches: () => jwksFetches,
    token: ({ audience, subject, scope, claims }) =>
      new SignJWT({ scope, ...claims }).setProtectedHeader({ alg: 'RS256', kid: 'key-1' }).setIssuer(url).setAudience(audience).setSubject(subject).setIssuedAt().setExpirationTime('15m').sign(privateKey),
    close: () => new Promise((done) => server.close(() => done())),
  };
}

export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((done) => probe.listen(0, '127.0.0.1', done));
  const { port } = probe.address() as AddressInfo;
  await new Promise((done) => probe.close(done));
  return port;
}
