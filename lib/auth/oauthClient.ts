// The token endpoint's conversations, through openid-client (docs/decisions.md): each grant
// mailpump uses, for an account's settings. Nothing here keeps a token: tokenSource.ts and
// the login decide what is stored, and when.
import crypto from 'node:crypto';
import fs from 'node:fs';
import * as client from 'openid-client';
import { importPKCS8, SignJWT } from 'jose';
import { UserError } from '../config/errors.js';
import { readableByOthers } from '../config/privateFile.js';
import { checkEndpointUrl, type OAuthSettings } from '../config/oauthProviders.js';
import type { TokenAnswer } from './tokenStore.js';

/** A key file (a service account's, a client certificate's) that cannot serve. */
export class KeyFileError extends UserError {}

/** A token endpoint answer that says nothing of its lifetime: an hour, the common lifetime, but refreshed early. */
const DEFAULT_LIFETIME_S = 3600;

export type OAuthConfiguration = client.Configuration;

/** How the client proves itself: a signed assertion (a certificate), its secret, or nothing (a public client). */
async function clientAuthentication(settings: OAuthSettings, tokenEndpoint: () => string | undefined): Promise<client.ClientAuth> {
  if (settings.clientCertificate) {
    const { key, thumbprint } = await readClientCertificate(settings.clientCertificate);
    return client.PrivateKeyJwt(key, {
      [client.modifyAssertion]: (header, payload) => {
        // Entra identifies the certificate by its SHA-256 thumbprint, and wants the token endpoint as the audience (RFC 7523 allows it).
        header['x5t#S256'] = thumbprint;
        const audience = tokenEndpoint();
        if (audience) payload.aud = audience;
      },
    });
  }
  return settings.clientSecret ? client.ClientSecretPost(settings.clientSecret) : client.None();
}

/** The private key and the certificate's thumbprint, from one PEM file (key and certificate, as Entra's docs make them). */
async function readClientCertificate(file: string): Promise<{ key: CryptoKey; thumbprint: string }> {
  const text = readPrivateFile(file, 'the client certificate', 'a PEM file with the private key and the certificate (openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem; cat key.pem cert.pem)');
  const certificate = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(text)?.[0];
  const privateKey = /-----BEGIN (RSA |EC )?PRIVATE KEY-----[\s\S]+?-----END (RSA |EC )?PRIVATE KEY-----/.exec(text)?.[0];
  if (!certificate || !privateKey) throw new KeyFileError(`${file} must hold both the private key and the certificate, in PEM`);
  try {
    const thumbprint = crypto.createHash('sha256').update(new crypto.X509Certificate(certificate).raw).digest('base64url');
    const pkcs8 = crypto.createPrivateKey(privateKey).export({ type: 'pkcs8', format: 'pem' }).toString();
    return { key: await importPKCS8(pkcs8, 'RS256'), thumbprint };
  } catch (error) {
    throw new KeyFileError(`${file}: the key or the certificate cannot be read (${(error as Error).message})`);
  }
}

/** openid-client's configuration for the account: fixed endpoints, or discovered from the issuer. */
export async function oauthConfiguration(settings: OAuthSettings): Promise<client.Configuration> {
  let config: client.Configuration | undefined;
  const auth = await clientAuthentication(settings, () => config?.serverMetadata().token_endpoint);
  const insecure = (url: string) => new URL(url).protocol === 'http:'; // loopback only: checked in oauthProviders.ts
  if ('discover' in settings.endpoints) {
    const issuer = settings.endpoints.discover;
    config = await client.discovery(new URL(issuer), settings.clientId, undefined, auth, {
      algorithm: 'oauth2',
      ...(insecure(issuer) ? { execute: [client.allowInsecureRequests] } : {}),
    });
    // A discovery document could point anywhere: its endpoints follow the same rule as written ones.
    const server = config.serverMetadata();
    for (const [name, url] of [['token_endpoint', server.token_endpoint], ['device_authorization_endpoint', server.device_authorization_endpoint],
      ['authorization_endpoint', server.authorization_endpoint]] as const) {
      if (url) checkEndpointUrl(`the discovered ${name}`, url);
    }
    return config;
  }
  const { issuer, token, device, authorization, revocation } = settings.endpoints;
  config = new client.Configuration({
    issuer,
    token_endpoint: token,
    ...(device ? { device_authorization_endpoint: device } : {}),
    ...(authorization ? { authorization_endpoint: authorization } : {}),
    ...(revocation ? { revocation_endpoint: revocation } : {}),
  }, settings.clientId, undefined, auth);
  if ([token, device, authorization, revocation].some((url) => url !== undefined && insecure(url))) client.allowInsecureRequests(config);
  return config;
}

export function tokenAnswer(response: client.TokenEndpointResponse): TokenAnswer {
  const lifetime = typeof response.expires_in === 'number' && response.expires_in > 0 ? response.expires_in : DEFAULT_LIFETIME_S;
  return { accessToken: response.access_token, expiresInSeconds: lifetime, ...(response.refresh_token ? { refreshToken: response.refresh_token } : {}) };
}

/** A new access token from the refresh token (delegated grants). */
export async function refreshGrant(config: client.Configuration, settings: OAuthSettings, refreshToken: string): Promise<TokenAnswer> {
  return tokenAnswer(await client.refreshTokenGrant(config, refreshToken, { scope: settings.scope }));
}

/** A new access token from the client's own credentials (app-only grants), or from a service account's signed JWT. */
export async function appGrant(config: client.Configuration, settings: OAuthSettings): Promise<TokenAnswer> {
  if (settings.flows[0] === 'jwt_bearer') {
    const assertion = await serviceAccountAssertion(settings);
    return tokenAnswer(await client.genericGrantRequest(config, 'urn:ietf:params:oauth:grant-type:jwt-bearer', { assertion }));
  }
  return tokenAnswer(await client.clientCredentialsGrant(config, { scope: settings.scope }));
}

interface ServiceAccountKey {
  readonly client_email: string;
  readonly private_key: string;
  readonly token_uri?: string;
}

/** Google's domain-wide delegation: a JWT signed with the service account's key, naming the mailbox's user (RFC 7523). */
async function serviceAccountAssertion(settings: OAuthSettings): Promise<string> {
  const key = readServiceAccountKey(settings.keyFile!);
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ scope: settings.scope })
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
    .setIssuer(key.client_email)
    .setSubject(settings.user)
    .setAudience(key.token_uri ?? 'https://oauth2.googleapis.com/token')
    .setIssuedAt(now)
    .setExpirationTime(now + 3600)
    .sign(await importPKCS8(key.private_key, 'RS256'));
}


/** A file that holds a private key, refused like credentials.conf when others can read it. */
function readPrivateFile(file: string, what: string, expected: string): string {
  try {
    const exposed = readableByOthers(file, fs.statSync(file).mode, file, 'a private key');
    if (exposed) throw new KeyFileError(exposed);
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    if (error instanceof KeyFileError) throw error;
    throw new KeyFileError(`${file}: cannot read ${what} (${expected}): ${(error as Error).message}`);
  }
}

/** For sr start: the key files an account names can be read, and by nobody else. */
export function checkKeyFiles(settings: OAuthSettings): void {
  if (settings.keyFile) readServiceAccountKey(settings.keyFile);
  if (settings.clientCertificate) readPrivateFile(settings.clientCertificate, 'the client certificate', 'a PEM file with the private key and the certificate');
}

/** The service account's JSON key. */
export function readServiceAccountKey(file: string): ServiceAccountKey {
  const text = readPrivateFile(file, 'the service account key', 'its JSON key');
  let key: Partial<ServiceAccountKey>;
  try {
    key = JSON.parse(text) as Partial<ServiceAccountKey>;
  } catch {
    throw new KeyFileError(`${file} is not a JSON key file (Google Cloud console: the service account, Keys, Add key, JSON)`);
  }
  if (typeof key.client_email !== 'string' || typeof key.private_key !== 'string') {
    throw new KeyFileError(`${file} has no client_email and private_key: it is not a service account key`);
  }
  return key as ServiceAccountKey;
}
