// A stand-in authorisation server for the OAuth2 tests, on loopback, Node built-ins only: the
// device code flow (a test approves the code as a person would), the browser flow (consent
// given at once, PKCE checked), refresh with strict rotation (a refresh token works once; a
// reuse revokes the grant, as Okta or Keycloak with reuse detection do), client credentials
// with a secret, revocation, and RFC 8414 discovery. Its access tokens are the ones the bench
// Dovecot's introspection stub (test/bench/tokenStub.ts) takes, until they expire.
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expiringToken } from '../bench/tokenStub.js';

export interface AuthServerOptions {
  /** lifetime of the access tokens it issues, in seconds */
  readonly accessLifetimeS?: number;
  /** the secret of its confidential client (client credentials) */
  readonly clientSecret?: string;
  /** the certificate (PEM) whose key signs the client's assertions, as an app registration in Entra holds it */
  readonly clientCertificate?: string;
  /** the user the client-credentials tokens are for (the service mailbox) */
  readonly appUser?: string;
  /** how long a refresh answer takes, so that concurrent refreshes overlap */
  readonly refreshDelayMs?: number;
}

interface Grant {
  readonly user: string;
  refreshToken: string;
  revoked: boolean;
}

export interface AuthServer {
  readonly url: string;
  /** the number of refresh-token grants answered with tokens */
  readonly refreshes: number;
  /** refresh tokens presented a second time (the fault that kills grants after rotation) */
  readonly reusedRefreshTokens: number;
  /** grants revoked through the revocation endpoint (RFC 7009) */
  readonly revocations: number;
  /** the person at the browser enters the code, signed in as `user` */
  approve(userCode: string, user: string): void;
  /** every grant revoked (a password change, an admin's revocation) */
  revokeAll(): void;
  /** what each grant type was asked, in order */
  readonly requests: readonly string[];
  close(): Promise<void>;
}

function send(response: http.ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  response.end(JSON.stringify(body));
}

const random = () => crypto.randomBytes(12).toString('hex');

/** Why a client assertion (RFC 7523, private_key_jwt) is refused, or undefined: signature, thumbprint, audience, client. */
function assertionRefusal(form: URLSearchParams, certificatePem: string | undefined, audience: string): string | undefined {
  if (!certificatePem) return 'AADSTS700027: no certificate registered for the client';
  if (form.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer') return 'wrong client_assertion_type';
  const [header = '', payload = '', signature = ''] = (form.get('client_assertion') ?? '').split('.');
  const certificate = new crypto.X509Certificate(certificatePem);
  const fields = JSON.parse(Buffer.from(header, 'base64url').toString()) as Record<string, string>;
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
  if (fields['x5t#S256'] !== crypto.createHash('sha256').update(certificate.raw).digest('base64url')) return 'AADSTS700027: the thumbprint is not the registered certificate\'s';
  if (!crypto.verify('sha256', Buffer.from(`${header}.${payload}`), certificate.publicKey, Buffer.from(signature, 'base64url'))) return 'AADSTS700027: the signature does not verify';
  if (claims.iss !== form.get('client_id') || claims.sub !== form.get('client_id')) return 'the assertion is not the client\'s';
  if (claims.aud !== audience) return `AADSTS700021: the assertion's audience is ${String(claims.aud)}, not the token endpoint`;
  return undefined;
}

export async function startAuthServer(options: AuthServerOptions = {}): Promise<AuthServer> {
  const lifetime = options.accessLifetimeS ?? 3600;
  const grants = new Map<string, Grant>(); // by current refresh token
  const spent = new Map<string, Grant>(); // refresh tokens already used
  const devices = new Map<string, { userCode: string; user?: string }>();
  const codes = new Map<string, { user: string; challenge: string; redirect: string }>();
  const requests: string[] = [];
  let refreshes = 0;
  let reused = 0;
  let revocations = 0;
  let base = '';

  const issue = (user: string, grant?: Grant) => {
    const body: Record<string, unknown> = { access_token: expiringToken(user, lifetime), token_type: 'Bearer', expires_in: lifetime, scope: 'mail offline_access' };
    if (grant) {
      grant.refreshToken = `rt-${random()}`;
      grants.set(grant.refreshToken, grant);
      body.refresh_token = grant.refreshToken;
    }
    return body;
  };

  const tokenRequest = async (form: URLSearchParams, response: http.ServerResponse) => {
    const type = form.get('grant_type') ?? '';
    requests.push(type);
    if (type === 'urn:ietf:params:oauth:grant-type:device_code') {
      const device = devices.get(form.get('device_code') ?? '');
      if (!device) return send(response, 400, { error: 'invalid_grant', error_description: 'unknown device code' });
      if (!device.user) return send(response, 400, { error: 'authorization_pending' });
      devices.delete(form.get('device_code')!);
      return send(response, 200, issue(device.user, { user: device.user, refreshToken: '', revoked: false }));
    }
    if (type === 'authorization_code') {
      const code = codes.get(form.get('code') ?? '');
      const verifier = form.get('code_verifier') ?? '';
      if (!code || crypto.createHash('sha256').update(verifier).digest('base64url') !== code.challenge || form.get('redirect_uri') !== code.redirect) {
        return send(response, 400, { error: 'invalid_grant', error_description: 'bad code, verifier or redirect' });
      }
      codes.delete(form.get('code')!);
      return send(response, 200, issue(code.user, { user: code.user, refreshToken: '', revoked: false }));
    }
    if (type === 'refresh_token') {
      if (options.refreshDelayMs) await new Promise((resolve) => setTimeout(resolve, options.refreshDelayMs));
      const presented = form.get('refresh_token') ?? '';
      const grant = grants.get(presented);
      if (!grant) {
        const old = spent.get(presented);
        if (old) {
          reused += 1;
          old.revoked = true; // reuse detection: the whole grant goes
        }
        return send(response, 400, { error: 'invalid_grant', error_description: old ? 'refresh token reused: the grant is revoked' : 'unknown refresh token' });
      }
      if (grant.revoked) return send(response, 400, { error: 'invalid_grant', error_description: 'AADSTS50173: The provided grant has expired due to it being revoked.' });
      grants.delete(presented);
      spent.set(presented, grant);
      refreshes += 1;
      return send(response, 200, issue(grant.user, grant));
    }
    if (type === 'client_credentials') {
      if (form.get('client_assertion')) {
        const refusal = assertionRefusal(form, options.clientCertificate, `${base}/token`);
        if (refusal) return send(response, 401, { error: 'invalid_client', error_description: refusal });
        return send(response, 200, issue(options.appUser ?? 'oauth'));
      }
      if (!options.clientSecret || form.get('client_secret') !== options.clientSecret) {
        return send(response, 401, { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value.' });
      }
      return send(response, 200, issue(options.appUser ?? 'oauth'));
    }
    return send(response, 400, { error: 'unsupported_grant_type' });
  };

  const server = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => { body += chunk.toString('utf8'); });
    request.on('end', () => {
      const url = new URL(request.url ?? '/', base);
      const form = new URLSearchParams(body);
      if (url.pathname.startsWith('/.well-known/')) {
        return send(response, 200, {
          issuer: `${base}/realm`, token_endpoint: `${base}/token`, device_authorization_endpoint: `${base}/device`,
          authorization_endpoint: `${base}/authorize`, revocation_endpoint: `${base}/revoke`,
          grant_types_supported: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code', 'client_credentials'],
          code_challenge_methods_supported: ['S256'],
        });
      }
      if (url.pathname === '/device') {
        const deviceCode = `dc-${random()}`;
        const userCode = crypto.randomBytes(4).toString('hex').toUpperCase();
        devices.set(deviceCode, { userCode });
        return send(response, 200, { device_code: deviceCode, user_code: userCode, verification_uri: `${base}/activate`, expires_in: 600, interval: 1 });
      }
      if (url.pathname === '/authorize') {
        const code = `ac-${random()}`;
        const redirect = url.searchParams.get('redirect_uri') ?? '';
        codes.set(code, { user: 'oauth', challenge: url.searchParams.get('code_challenge') ?? '', redirect });
        response.writeHead(302, { location: `${redirect}?code=${code}&state=${encodeURIComponent(url.searchParams.get('state') ?? '')}` });
        return response.end();
      }
      if (url.pathname === '/token') return void tokenRequest(form, response);
      if (url.pathname === '/revoke') {
        const grant = grants.get(form.get('token') ?? '');
        if (grant) {
          grant.revoked = true;
          revocations += 1;
        }
        return send(response, 200, {});
      }
      return send(response, 404, { error: 'not_found' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    get refreshes() { return refreshes; },
    get reusedRefreshTokens() { return reused; },
    get revocations() { return revocations; },
    requests,
    approve(userCode, user) {
      for (const device of devices.values()) if (device.userCode === userCode) device.user = user;
    },
    revokeAll() {
      for (const grant of grants.values()) grant.revoked = true;
    },
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
