// A stand-in for an authorisation server's RFC 7662 introspection endpoint, which the bench
// Dovecot asks about each OAuth2 token it is given (passdb oauth2, introspection_mode post):
// a token `valid-<user>-<anything>` is active for <user>, any other is not; one issued with a
// lifetime (`valid-<user>-e<expiry>r<random>`, from the tests' authorisation server) only
// until it expires. Node built-ins only.
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const VALID = /^valid-([a-z0-9]+)-([A-Za-z0-9]+)$/;
const EXPIRY = /^e(\d+)r/;

/** A token the stub takes for `user`'s. */
export function testToken(user: string): string {
  return `valid-${user}-${crypto.randomBytes(12).toString('hex')}`;
}

/** A token the stub takes for `user`'s until `lifetimeS` seconds from now. */
export function expiringToken(user: string, lifetimeS: number): string {
  return `valid-${user}-e${Math.floor(Date.now() / 1000) + lifetimeS}r${crypto.randomBytes(12).toString('hex')}`;
}

function activeUser(token: string): string | undefined {
  const [, user, rest = ''] = VALID.exec(token) ?? [];
  const expiry = EXPIRY.exec(rest)?.[1];
  return expiry === undefined || Date.now() / 1000 < Number(expiry) ? user : undefined;
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
      const user = activeUser(token);
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
