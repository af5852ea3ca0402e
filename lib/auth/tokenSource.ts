// Access tokens for the connections of one OAuth2 account (../shared/reference/oauth.md 4.2):
// the stored one while it has time left, else a refresh under the store's lock, shared by
// every process of the host, so that an expiry costs one refresh however many instances
// read the mailbox. The rotated refresh token is committed before the new access token is
// used. A grant that needs a person is marked so in the store, and nobody asks the token
// endpoint for it again until a new `sr oauth login` makes a new generation.
import type * as client from 'openid-client';
import { needsLogin, type OAuthSettings } from '../config/oauthProviders.js';
import { appGrant, checkKeyFiles, oauthConfiguration, refreshGrant } from './oauthClient.js';
import { classifyRefusal, OAuthGrantError, OAuthTemporaryError } from './refusals.js';
import { type GrantRow, TokenStore, tokenDirectory } from './tokenStore.js';

const FIRST_BACKOFF_MS = 30_000;
const LAST_BACKOFF_MS = 15 * 60_000;

/** The command that makes a new grant, as messages give it. */
export function loginCommand(account: string): string {
  return `sr oauth login ${account}`;
}

/** Time kept in hand before expiry: five minutes or a tenth of the lifetime, but never more than half of it (short test lifetimes). */
function refreshMargin(row: GrantRow): number {
  const lifetime = (row.accessExpiresAt ?? 0) - (row.accessObtainedAt ?? 0);
  return Math.min(Math.max(300_000, lifetime / 10), lifetime / 2);
}

function usable(row: GrantRow | undefined, refused: string | undefined, now: number, margin = refreshMargin): row is GrantRow & { accessToken: string } {
  return row !== undefined && row.state === 'ok' && row.accessToken !== null && row.accessToken !== refused
    && (row.accessExpiresAt ?? 0) - now > margin(row);
}

/** What a grant marked for attention says, with what to do. */
function attentionMessage(row: GrantRow): string {
  return row.reason ?? `${row.account}: the OAuth grant needs a new sign-in: ${loginCommand(row.account)}`;
}

/** Access tokens for the connections of one account: `accessToken(refused)` never gives back the token the server just refused. */
export class OAuthTokenSource {
  private inFlight: Promise<string> | undefined;
  private configuration: Promise<client.Configuration> | undefined;
  private lastExpiry: number | undefined;
  private retryAt = 0;
  /** why the last renewal failed: said again, not asked again, until retryAt */
  private lastFailure: Error | undefined;
  private backoffMs = FIRST_BACKOFF_MS;

  constructor(
    readonly settings: OAuthSettings,
    private readonly store: TokenStore,
    /** the account label, as messages and sr oauth name it */
    readonly account: string,
    /** a line the operator should read (a refresh failed but the token still serves) */
    private readonly onWarning: (line: string) => void = () => undefined,
  ) {}

  /** When the last token given expires (ms since the epoch): long connections reconnect before. */
  expiresAt(): number | undefined {
    return this.lastExpiry;
  }

  async accessToken(refused?: string): Promise<string> {
    const now = Date.now();
    const row = this.store.read(this.settings.grantKey);
    this.refuseUnlessGranted(row);
    if (usable(row, refused, now)) return this.give(row);
    if (now < this.retryAt) return this.stillValid(row, refused, now, this.lastFailure ?? new OAuthTemporaryError(`${this.account}: the token endpoint failed a moment ago`));
    this.inFlight ??= this.renew(refused).finally(() => { this.inFlight = undefined; });
    return this.inFlight;
  }

  /** No grant yet, or one marked for a person: said without asking the token endpoint. */
  private refuseUnlessGranted(row: GrantRow | undefined): void {
    if (!row && needsLogin(this.settings)) throw new OAuthGrantError(`no OAuth grant for ${this.account} yet: sign in once with: ${loginCommand(this.account)}`, 'reauth');
    if (row && row.state !== 'ok') throw new OAuthGrantError(attentionMessage(row), row.state === 'needs_reauth' ? 'reauth' : 'config');
  }

  private give(row: GrantRow & { accessToken: string }): string {
    this.lastExpiry = row.accessExpiresAt ?? undefined;
    return row.accessToken;
  }

  /** A token that still works while the endpoint cannot be asked, else the failure. */
  private stillValid(row: GrantRow | undefined, refused: string | undefined, now: number, failure: Error): string {
    if (usable(row, refused, now, () => 10_000)) return this.give(row);
    throw failure;
  }

  private async renew(refused: string | undefined): Promise<string> {
    let attention: OAuthGrantError | undefined;
    try {
      const token = await this.store.locked(async (locked) => {
        const row = locked.read(this.settings.grantKey);
        this.refuseUnlessGranted(row);
        // Another process may have refreshed while this one waited for the lock.
        if (usable(row, refused, Date.now())) return this.give(row);
        try {
          const configuration = await (this.configuration ??= oauthConfiguration(this.settings).catch((error: unknown) => {
            this.configuration = undefined;
            throw error;
          }));
          const answer = row?.refreshToken ? await refreshGrant(configuration, this.settings, row.refreshToken) : await appGrant(configuration, this.settings);
          // Committed when this function returns, before the token is used: a rotated refresh token is never lost.
          locked.saveRefresh(this.settings.grantKey, this.account, this.settings.provider, answer);
          const saved = locked.read(this.settings.grantKey)!;
          return this.give(saved as GrantRow & { accessToken: string });
        } catch (error) {
          const refusal = error instanceof OAuthGrantError ? error : classifyRefusal(error, this.account, loginCommand(this.account));
          if (refusal instanceof OAuthTemporaryError) throw refusal;
          // Kept for every process; an app-only grant has no login to clear it, so it is only backed off.
          if (row && needsLogin(this.settings)) locked.markNeedsAttention(this.settings.grantKey, refusal.refusal === 'reauth' ? 'needs_reauth' : 'needs_config', refusal.message);
          attention = refusal;
          return undefined;
        }
      });
      if (attention) throw attention;
      this.backoffMs = FIRST_BACKOFF_MS;
      this.lastFailure = undefined;
      return token!;
    } catch (error) {
      if (error instanceof OAuthGrantError && needsLogin(this.settings)) throw error;
      this.lastFailure = error as Error;
      this.retryAt = Date.now() + this.backoffMs * (0.75 + Math.random() / 2);
      this.backoffMs = Math.min(LAST_BACKOFF_MS, this.backoffMs * 2);
      const row = this.store.read(this.settings.grantKey);
      const token = this.stillValid(row, refused, Date.now(), error as Error);
      this.onWarning(`${(error as Error).message}; the current access token serves until it expires, asked again in ${Math.round((this.retryAt - Date.now()) / 1000)} s`);
      return token;
    }
  }
}

/** One store per directory and one source per grant in a process: the poll, its IDLE watchers and the subscribe share them. */
const stores = new Map<string, TokenStore>();
const sources = new Map<string, OAuthTokenSource>();

export function openTokenStore(credentialsFile: string): TokenStore {
  const directory = tokenDirectory(credentialsFile);
  let store = stores.get(directory);
  if (!store) {
    store = TokenStore.open(directory);
    stores.set(directory, store);
  }
  return store;
}

/**
 * For sr start: an account a person must sign in for has a grant, and its key files can be
 * read. Said before anything starts, with the command to run.
 */
export function checkGrantReady(settings: OAuthSettings, credentialsFile: string, account: string): void {
  checkKeyFiles(settings);
  if (needsLogin(settings) && !openTokenStore(credentialsFile).read(settings.grantKey)) {
    throw new OAuthGrantError(`no OAuth grant for ${account} yet: sign in once, as the user the instances run as, with: ${loginCommand(account)}`, 'reauth');
  }
}

export function oauthTokenSource(settings: OAuthSettings, credentialsFile: string, account: string, onWarning?: (line: string) => void): OAuthTokenSource {
  const key = `${tokenDirectory(credentialsFile)}\n${settings.grantKey}`;
  let source = sources.get(key);
  if (!source) {
    source = new OAuthTokenSource(settings, openTokenStore(credentialsFile), account, onWarning);
    sources.set(key, source);
  }
  return source;
}
