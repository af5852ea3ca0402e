// What each oauth2= provider of credentials.conf means: its endpoints, scopes and flow, as
// small presets (../shared/reference/oauth.md 4.1), not SDKs. Checked when credentials.conf
// is read, so that a mistake is said as file:line before anything starts.
import net from 'node:net';

export const OAUTH_PROVIDERS = ['command', 'microsoft', 'microsoft-app', 'google', 'google-service-account', 'generic'] as const;
export type OAuthProviderName = (typeof OAUTH_PROVIDERS)[number];

/** The details an oauth2= line may have; anything else is a mistake, said with did-you-mean. */
export const OAUTH_DETAILS = ['oauth2', 'tenant', 'client_id', 'client_secret', 'client_certificate', 'key_file', 'issuer', 'token_url', 'device_url',
  'auth_url', 'revoke_url', 'scope', 'authority', 'sasl', 'login_port', 'command', 'tlsCa', 'tlsVerify'] as const;

/**
 * How a grant is obtained: a person once (device code, browser), or the program alone with
 * the client's own credentials (client credentials, a signed JWT), needing no login.
 */
export type OAuthFlow = 'device' | 'browser' | 'client_credentials' | 'jwt_bearer';

export interface OAuthEndpoints {
  readonly issuer: string;
  readonly token: string;
  readonly device?: string;
  readonly authorization?: string;
  readonly revocation?: string;
}

/** An OAuth2 account of credentials.conf, understood: everything the token engine needs. */
export interface OAuthSettings {
  readonly provider: Exclude<OAuthProviderName, 'command'>;
  /** the mailbox's user, as the SASL exchange names it */
  readonly user: string;
  readonly clientId: string;
  readonly clientSecret?: string;
  /** a PEM file with the client's private key and its certificate (Entra app-only, instead of a secret) */
  readonly clientCertificate?: string;
  readonly keyFile?: string;
  readonly scope: string;
  /** the flows `sr oauth login` may use, the default first; app-only providers have one that needs no person */
  readonly flows: readonly OAuthFlow[];
  /** fixed endpoints, or an issuer to discover them from (RFC 8414 / OpenID discovery) */
  readonly endpoints: OAuthEndpoints | { readonly discover: string };
  /** one grant per provider, authority, tenant, client and user: imaps:// and pops:// of a mailbox share it */
  readonly grantKey: string;
  readonly loginPort?: number;
}

export class OAuthSettingsError extends Error {}

const MICROSOFT_AUTHORITY = 'https://login.microsoftonline.com';
/** Where Exchange Online's resource lives in each cloud, by authority host (sovereign clouds). */
const EXCHANGE_RESOURCE: Readonly<Record<string, string>> = {
  'login.microsoftonline.com': 'https://outlook.office.com',
  'login.microsoftonline.us': 'https://outlook.office365.us',
  'login.partner.microsoftonline.cn': 'https://partner.outlook.cn',
};
const MICROSOFT_TENANT_WORDS = new Set(['common', 'organizations', 'consumers']);
const GOOGLE = {
  issuer: 'https://accounts.google.com',
  authorization: 'https://accounts.google.com/o/oauth2/v2/auth',
  token: 'https://oauth2.googleapis.com/token',
  revocation: 'https://oauth2.googleapis.com/revoke',
  scope: 'https://mail.google.com/',
};

/** Plain http is for a token service on this host only: anywhere else a token would cross the network in clear. */
export function checkEndpointUrl(detail: string, text: string): void {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new OAuthSettingsError(`has ${detail}=${text}, which is not a URL`);
  }
  if (url.protocol === 'https:') return;
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (url.protocol === 'http:' && isLoopback(host)) return;
  throw new OAuthSettingsError(`has ${detail}=${text}: a token endpoint must be https:// (plain http only on this host's loopback address)`);
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || (net.isIPv4(host) && host.startsWith('127.')) || host === '::1';
}

function required(details: Readonly<Record<string, string | true>>, name: string, provider: string, why: string): string {
  const value = details[name];
  if (typeof value !== 'string' || value === '') throw new OAuthSettingsError(`has oauth2=${provider} but no ${name}= (${why})`);
  return value;
}

function optionalText(details: Readonly<Record<string, string | true>>, name: string): string | undefined {
  const value = details[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function loginPort(details: Readonly<Record<string, string | true>>): number | undefined {
  const text = optionalText(details, 'login_port');
  if (text === undefined) return undefined;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new OAuthSettingsError(`has login_port=${text}, which is not a port number (1 to 65535)`);
  return port;
}

/**
 * The settings of an oauth2= line (not `command`, which needs no engine). Throws
 * OAuthSettingsError, whose message follows the line's URL in a `credentials.conf:N:` error.
 */
export function oauthSettings(provider: Exclude<OAuthProviderName, 'command'>, user: string, details: Readonly<Record<string, string | true>>): OAuthSettings {
  const clientSecret = optionalText(details, 'client_secret');
  const clientCertificate = optionalText(details, 'client_certificate');
  if (clientSecret && clientCertificate) throw new OAuthSettingsError('has both client_secret= and client_certificate=: keep one');
  const scopeOverride = optionalText(details, 'scope');
  const port = loginPort(details);
  const common = { provider, user, ...(clientSecret ? { clientSecret } : {}), ...(clientCertificate ? { clientCertificate } : {}), ...(port ? { loginPort: port } : {}) };
  const key = (...parts: string[]) => [provider, ...parts, user].join('|');
  switch (provider) {
    case 'microsoft':
    case 'microsoft-app': {
      const clientId = required(details, 'client_id', provider, 'the Application (client) ID of the app registration in Entra');
      const authority = (optionalText(details, 'authority') ?? MICROSOFT_AUTHORITY).replace(/\/+$/, '');
      checkEndpointUrl('authority', authority);
      const tenant = optionalText(details, 'tenant') ?? (provider === 'microsoft' ? 'organizations' : undefined);
      if (tenant === undefined || (provider === 'microsoft-app' && MICROSOFT_TENANT_WORDS.has(tenant))) {
        throw new OAuthSettingsError(`has oauth2=microsoft-app but ${tenant ? `tenant=${tenant}` : 'no tenant='}: app-only sign-in needs the tenant's ID or domain (tenant=contoso.onmicrosoft.com)`);
      }
      if (provider === 'microsoft-app' && !clientSecret && !clientCertificate) {
        throw new OAuthSettingsError('has oauth2=microsoft-app but neither client_secret= nor client_certificate= (Entra: the app registration, Certificates & secrets; percent-encode a secret)');
      }
      const resource = EXCHANGE_RESOURCE[new URL(authority).hostname] ?? EXCHANGE_RESOURCE['login.microsoftonline.com']!;
      const base = `${authority}/${tenant}/oauth2/v2.0`;
      return {
        ...common,
        clientId,
        scope: scopeOverride ?? (provider === 'microsoft'
          ? `${resource}/IMAP.AccessAsUser.All ${resource}/POP.AccessAsUser.All offline_access`
          : `${resource.replace('outlook.office.com', 'outlook.office365.com')}/.default`),
        flows: provider === 'microsoft' ? ['device', 'browser'] : ['client_credentials'],
        endpoints: { issuer: `${authority}/${tenant}/v2.0`, token: `${base}/token`, device: `${base}/devicecode`, authorization: `${base}/authorize` },
        grantKey: key(authority, tenant, clientId),
      };
    }
    case 'google': {
      const clientId = required(details, 'client_id', provider, 'the OAuth client ID of a "Desktop app" client in the Google Cloud console');
      if (!clientSecret) throw new OAuthSettingsError('has oauth2=google but no client_secret= (the Desktop app client\'s secret, shown beside its ID)');
      // Google's device flow refuses the mail scope: a person signs in through the browser.
      return { ...common, clientId, scope: scopeOverride ?? GOOGLE.scope, flows: ['browser'], endpoints: GOOGLE, grantKey: key(GOOGLE.issuer, clientId) };
    }
    case 'google-service-account': {
      const keyFile = required(details, 'key_file', provider, 'the JSON key of the service account, readable by you alone');
      return { ...common, clientId: keyFile, keyFile, scope: scopeOverride ?? GOOGLE.scope, flows: ['jwt_bearer'], endpoints: GOOGLE, grantKey: key(GOOGLE.issuer, keyFile) };
    }
    case 'generic': {
      const clientId = required(details, 'client_id', provider, 'the client ID your identity provider gave mailpump');
      const issuer = optionalText(details, 'issuer');
      const token = optionalText(details, 'token_url');
      if (!issuer && !token) throw new OAuthSettingsError('has oauth2=generic but neither issuer= (discovered) nor token_url=');
      for (const name of ['issuer', 'token_url', 'device_url', 'auth_url', 'revoke_url']) {
        const value = optionalText(details, name);
        if (value) checkEndpointUrl(name, value);
      }
      const device = optionalText(details, 'device_url');
      const authorization = optionalText(details, 'auth_url');
      const revocation = optionalText(details, 'revoke_url');
      const endpoints = token
        ? { issuer: issuer ?? new URL(token).origin, token, ...(device ? { device } : {}), ...(authorization ? { authorization } : {}), ...(revocation ? { revocation } : {}) }
        : { discover: issuer! };
      // Without a device or browser endpoint, a client with a secret gets tokens by itself.
      const flows: OAuthFlow[] = token && !device && !authorization ? (clientSecret || clientCertificate ? ['client_credentials'] : []) : [...(!token || device ? ['device' as const] : []), ...(!token || authorization ? ['browser' as const] : [])];
      if (flows.length === 0) throw new OAuthSettingsError('has oauth2=generic with token_url= alone and no client_secret=: add device_url= or auth_url= for a person to sign in, or the client_secret= (or client_certificate=) of a confidential client');
      return { ...common, clientId, scope: scopeOverride ?? 'offline_access', flows, endpoints, grantKey: key(issuer ?? token!, clientId) };
    }
  }
}

/** Whether the provider's grant comes from a person once (`sr oauth login`), or from the client's own credentials each time. */
export function needsLogin(settings: OAuthSettings): boolean {
  return settings.flows[0] === 'device' || settings.flows[0] === 'browser';
}
