// A stand-in for an authorisation server's RFC 7662 introspection endpoint, which the bench
// Dovecot asks about each OAuth2 token it is given (passdb oauth2, introspection_mode post):
// a token `valid-<user>-<anything>` is active for <user>, any other is not. Node built-ins only.
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const VALID = /^valid-([a-z0-9]+)-[A-Za-z0-9]+$/;

/** A token the stub takes for `user`'s. */
export function testToken(user: string): string {
  return `valid-${user}-${crypto.randomBytes(12).toString('hex')}`;
}

export interface TokenStub {
  readonly port: number;
  close(): Promise<void>;
}

export async function startTokenStub(): Promise<TokenStub> {
  const server = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => { body += chunk.toString('utf8'); });
    request.on('end', () => {
      const token = new URLSearchParams(body).get('token') ?? '';
      const user = VALID.exec(token)?.[1];
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(user ? { active: true, username: user, scope: 'mail' } : { active: false }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
