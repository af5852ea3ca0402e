// Why the token endpoint said no, in three classes (../shared/reference/oauth.md 4.4): a
// person must sign in again, someone must fix the configuration (often a tenant admin), or it
// may pass by itself. Each message names the account, keeps the provider's own error code,
// and says what to do; none ever holds a token or a secret.
import * as client from 'openid-client';
import { UserError } from '../config/errors.js';

export type RefusalClass = 'reauth' | 'config' | 'retry';

/** A grant that cannot give tokens until a person acts: sr oauth login, or a fix of the configuration. */
export class OAuthGrantError extends UserError {
  constructor(message: string, readonly refusal: Exclude<RefusalClass, 'retry'>) {
    super(message);
  }
}

/** The token endpoint could not be asked now (network, 5xx): tried again later. */
export class OAuthTemporaryError extends Error {}

const REAUTH = new Set(['invalid_grant', 'interaction_required', 'consent_required', 'login_required']);
const RETRY = new Set(['temporarily_unavailable', 'server_error', 'slow_down']);

/** What Entra's codes mean, for the ones users meet (AADSTS numbers of the error description). */
const ENTRA: ReadonlyArray<[RegExp, string]> = [
  [/AADSTS700082/, 'the grant went unused for 90 days'],
  [/AADSTS50173|AADSTS50078|AADSTS50076/, 'the grant was revoked or the sign-in policy asks for a new sign-in (password changed, admin revoked sessions, MFA)'],
  [/AADSTS7000215/, 'the client secret is wrong: make a new one in Entra (the app registration, Certificates & secrets) and write it, percent-encoded, as client_secret= in credentials.conf'],
  [/AADSTS7000222/, 'the client secret has expired: make a new one in Entra (the app registration, Certificates & secrets) and write it as client_secret= in credentials.conf'],
  [/AADSTS700016/, 'no application with this client_id in the tenant: check client_id= and tenant='],
  [/AADSTS65001|AADSTS90094/, 'the app has no consent for the mail scopes: a tenant admin must grant it (Entra: the app registration, API permissions, Grant admin consent)'],
  [/AADSTS50059|AADSTS90002/, 'the tenant is not found: check tenant='],
];

/** The provider's own words (error and description), shortened, never more than one line. */
function providerWords(error: client.ResponseBodyError): string {
  const description = error.error_description ? `: ${error.error_description.split(/\r?\n/)[0]!.slice(0, 240)}` : '';
  return `${error.error}${description}`;
}

function entraHint(text: string): string | undefined {
  return ENTRA.find(([code]) => code.test(text))?.[1];
}

/**
 * The refusal of a token request for `account`, as an error to throw: OAuthGrantError when
 * a person must act (with what to run or fix), OAuthTemporaryError when it may pass.
 */
export function classifyRefusal(error: unknown, account: string, loginCommand: string): OAuthGrantError | OAuthTemporaryError {
  if (error instanceof client.ResponseBodyError) {
    const words = providerWords(error);
    const hint = entraHint(words);
    if (REAUTH.has(error.error)) {
      return new OAuthGrantError(`${account}: the OAuth grant is no longer valid (${words})${hint ? `: ${hint}` : ''}. Sign in again with: ${loginCommand}`, 'reauth');
    }
    if (RETRY.has(error.error) || error.status >= 500) return new OAuthTemporaryError(`${account}: the token endpoint is unavailable (${words})`);
    const who = error.error === 'unauthorized_client' ? ': the client may not use this grant (app registration, or domain-wide delegation missing)' : '';
    return new OAuthGrantError(`${account}: the token endpoint refused the client (${words})${hint ? `: ${hint}` : who}`, 'config');
  }
  if (error instanceof client.ClientError || error instanceof client.AuthorizationResponseError || error instanceof client.WWWAuthenticateChallengeError) {
    return new OAuthGrantError(`${account}: the token endpoint's answer cannot be used (${(error as Error).message})`, 'config');
  }
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const why = cause?.code ?? cause?.message ?? (error as Error).message ?? String(error);
  return new OAuthTemporaryError(`${account}: the token endpoint cannot be reached (${why})`);
}
