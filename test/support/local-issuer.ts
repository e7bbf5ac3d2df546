import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { CryptoKey, JWK } from 'jose';

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
    if (req.url === '/.well-known/oauth-authorization-server') res.end(JSON.stringify({ issuer: url, jwks_uri: `${url}/jwks`, response_types_supported: ['code'] }));
    else if (req.url === '/jwks') {
      jwksFetches++;
      res.end(JSON.stringify({ keys }));
    }
    else res.writeHead(404).end('{}');
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, privateKey, server, keys, jwksFetches: () => jwksFetches };
}
