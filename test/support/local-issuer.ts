import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';

// An OAuth authorization server as far as a resource server sees one: its
// RFC 8414 metadata and its JWKS, served on loopback.
export interface LocalIssuer {
  url: string;
  privateKey: CryptoKey;
  server: Server;
  // The published keys; a test rotates them by changing the list.
  keys: JWK[];
  jwksFetches(): number;
}

export async function startIssuer(publicJwk: JWK, privateKey: CryptoKey): Promise<LocalIssuer> {
  let jwksFetches = 0;
  const keys = [publicJwk];
  const server = createServer((req, res) => {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    res.setHeader('content-type', 'application/json');
    if (req.url === '/.well-known/oauth-authorization-server') res.end(JSON.stringify({ issuer: url, jwks_uri: `${url}/jwks`, authorization_endpoint: `${url}/authorize`, token_endpoint: `${url}/token`, response_types_supported: ['code'], code_challenge_methods_supported: ['S256'] }));
    else if (req.url === '/jwks') {
      jwksFetches++;
      res.end(JSON.stringify({ keys }));
    }
    else res.writeHead(404).end('{}');
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, privateKey, server, keys, jwksFetches: () => jwksFetches };
}

// An issuer publishing one RS256 signing key, with key id `key-1`.
export async function startLocalIssuer(): Promise<LocalIssuer> {
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  return startIssuer({ ...(await exportJWK(publicKey)), kid: 'key-1', alg: 'RS256', use: 'sig' }, privateKey);
}

// A loopback port free now: Baton's canonical URI must be known before it listens.
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((done) => probe.listen(0, '127.0.0.1', done));
  const { port } = probe.address() as AddressInfo;
  await new Promise((done) => probe.close(done));
  return port;
}
