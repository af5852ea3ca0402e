// sr oauth login | status | test | logout: the OAuth2 grants of credentials.conf's accounts
// (../shared/reference/oauth.md 4.5). A login stores the grant, then signs in to the mail
// server once with it, so that "ok" means the mailbox takes the token, not only that the
// provider issued one.
import os from 'node:os';
import readline from 'node:readline';
import * as client from 'openid-client';
import { browserLogin, deviceLogin, type LoginIo } from '../../auth/login.js';
import { oauthConfiguration } from '../../auth/oauthClient.js';
import { classifyRefusal } from '../../auth/refusals.js';
import { loginCommand, openTokenStore } from '../../auth/tokenSource.js';
import type { GrantRow } from '../../auth/tokenStore.js';
import type { Credential, CredentialsStore } from '../../config/credentials.js';
import { UserError } from '../../config/errors.js';
import type { Config } from '../../config/load.js';
import { needsLogin, type OAuthFlow, type OAuthProviderName, type OAuthSettings } from '../../config/oauthProviders.js';
import { accountSignIn, type MailAccount, mailAccount } from '../../mail/account.js';
import { describeMailError, mailErrorPlace } from '../../mail/mailErrors.js';
import { isDepotUrl } from '../../depot/location.js';
import { signInOnce } from '../../mail/signInOnce.js';
import { accountTls, DEFAULT_TLS, type TlsSettings, tlsSettings } from '../../mail/tls.js';
import { type CliContext, loadCredentials, loadSelection, loadSelectionStrict } from '../context.js';

interface OAuthAccount {
  readonly account: MailAccount;
  readonly settings: OAuthSettings;
  readonly line: number;
  /** a poll config that reads the mailbox: its TLS settings are the ones to test with */
  readonly config?: Config;
}

/** The account label of a credentials.conf line, as the poll names it. */
function lineAccount(entry: Credential): MailAccount {
  const { scheme, user, host, port } = entry.url;
  return mailAccount(`${scheme}://${encodeURIComponent(user)}@${host}:${port}/`);
}

/** The engine's settings of an account, or why it has none (a password, a token command, no line). */
function oauthOf(account: MailAccount, credentials: CredentialsStore, config?: Config): OAuthAccount {
  const signIn = credentials.signInFor(account.url, account.label);
  const line = credentials.lookup(account.url)?.line;
  if (signIn.kind === 'password') throw new UserError(`${account.label} signs in with a password${line ? ` (credentials.conf line ${line})` : ''}: it has no OAuth2 grant (write oauth2= on its line, docs/oauth.md)`);
  if (signIn.provider === 'command') throw new UserError(`${account.label} gets its tokens from a command (credentials.conf line ${signIn.line}): its grant is that program's`);
  return { account, settings: signIn.settings, line: signIn.line, ...(config ? { config } : {}) };
}

/** A mailbox URL, or the poll configs whose mailboxes are meant. */
function resolveTargets(context: CliContext, target: string, credentials: CredentialsStore): OAuthAccount[] {
  const polls = (configs: Config[]) => configs.filter((config) => config.id.component === 'poll');
  if (target.includes('://')) {
    const account = mailAccount(target);
    const reader = polls(loadSelection(context, [], true).configs).find((config) => config.list('pollUrl').some((url) => !isDepotUrl(url) && mailAccount(url).label === account.label));
    return [oauthOf(account, credentials, reader)];
  }
  const configs = loadSelectionStrict(context, [target]);
  if (configs.length === 0) throw new UserError(`sr oauth: no config matches ${target}`);
  const chosen = polls(configs);
  if (chosen.length === 0) throw new UserError(`sr oauth: ${configs.map((config) => config.label).join(', ')} names no mailbox (a subscribe finds its accounts in its notifications): give the account, e.g. sr oauth login imaps://ingest%40contoso.com@outlook.office365.com/`);
  const accounts = chosen.flatMap((config) => config.list('pollUrl').filter((url) => !isDepotUrl(url)).map((url) => ({ account: mailAccount(url), config })));
  const oauth = accounts.filter(({ account }) => credentials.signInFor(account.url, account.label).kind === 'oauth2');
  if (oauth.length === 0) throw new UserError(`sr oauth: the mailboxes of ${target} sign in with passwords`);
  return oauth.map(({ account, config }) => oauthOf(account, credentials, config));
}

function tlsFor(target: OAuthAccount, credentials: CredentialsStore): TlsSettings {
  return accountTls(target.config, target.config ? tlsSettings(target.config) : DEFAULT_TLS, credentials.lookup(target.account.url));
}

/** Signs in to the mail server with the account's token; false (said) when the server refuses. */
async function tryMailbox(context: CliContext, target: OAuthAccount, credentials: CredentialsStore): Promise<boolean> {
  try {
    await signInOnce(target.account, accountSignIn(target.account, credentials), tlsFor(target, credentials));
    context.out(`ok: ${target.account.label}: the mail server took the token`);
    return true;
  } catch (error) {
    const said = error instanceof UserError ? error.message : describeMailError(error, mailErrorPlace(target.account, credentials));
    context.err(said.includes(target.account.label) ? said : `${target.account.label}: ${said}`);
    return false;
  }
}

function terminalIo(): { io: LoginIo; close: () => void } {
  const lines = readline.createInterface({ input: process.stdin, terminal: false });
  return { io: { say: (line) => process.stdout.write(`${line}\n`), lines, hostName: os.hostname() }, close: () => lines.close() };
}

export async function oauthLoginAction(context: CliContext, target: string, flow: OAuthFlow | undefined): Promise<number> {
  const credentials = loadCredentials(context);
  const store = openTokenStore(credentials.file);
  let failed = 0;
  for (const one of resolveTargets(context, target, credentials)) {
    const { account, settings } = one;
    if (!needsLogin(settings)) {
      context.out(`${account.label}: oauth2=${settings.provider} gets its tokens by itself (no person signs in); testing it`);
      if (!(await tryMailbox(context, one, credentials))) failed += 1;
      continue;
    }
    const chosen = flow ?? settings.flows[0]!;
    if (!settings.flows.includes(chosen)) throw new UserError(`${account.label}: oauth2=${settings.provider} signs in with ${settings.flows.join(' or ')}, not --flow ${chosen}`);
    const { io, close } = terminalIo();
    try {
      const configuration = await oauthConfiguration(settings);
      const answer = chosen === 'device' ? await deviceLogin(configuration, settings, io) : await browserLogin(configuration, settings, io);
      await store.locked(async (locked) => { locked.saveLogin(settings.grantKey, account.label, settings.provider, answer); });
      context.out(`${account.label}: signed in; the grant is kept in ${store.file}`);
    } catch (error) {
      if (error instanceof UserError) throw error;
      throw new UserError(classifyRefusal(error, account.label, loginCommand(account.label)).message);
    } finally {
      close();
    }
    if (!(await tryMailbox(context, one, credentials))) failed += 1;
  }
  return failed > 0 ? 1 : 0;
}

export async function oauthTestAction(context: CliContext, target: string): Promise<number> {
  const credentials = loadCredentials(context);
  let failed = 0;
  for (const one of resolveTargets(context, target, credentials)) if (!(await tryMailbox(context, one, credentials))) failed += 1;
  return failed > 0 ? 1 : 0;
}

export async function oauthLogoutAction(context: CliContext, target: string): Promise<number> {
  const credentials = loadCredentials(context);
  const store = openTokenStore(credentials.file);
  for (const { account, settings } of resolveTargets(context, target, credentials)) {
    const row = store.read(settings.grantKey);
    if (!row) {
      context.out(`${account.label}: no grant kept`);
      continue;
    }
    let revoked = 'the provider offers no revocation: remove mailpump\'s access in the account\'s security settings if it must end now';
    const token = row.refreshToken ?? row.accessToken;
    try {
      const configuration = await oauthConfiguration(settings);
      if (token && configuration.serverMetadata().revocation_endpoint) {
        await client.tokenRevocation(configuration, token, row.refreshToken ? { token_type_hint: 'refresh_token' } : {});
        revoked = 'revoked at the provider';
      }
    } catch (error) {
      revoked = `not revoked at the provider (${classifyRefusal(error, account.label, '').message.replace(`${account.label}: `, '')})`;
    }
    await store.locked(async (locked) => { locked.remove(settings.grantKey); });
    context.out(`${account.label}: signed out, the grant removed; ${revoked}`);
  }
  return 0;
}

interface GrantStatus {
  readonly account: string;
  readonly provider: OAuthProviderName;
  readonly line: number;
  /** ok, needs login (no grant yet), needs re-authorisation, needs configuration, or app (no person signs in) */
  readonly state: 'ok' | 'no grant' | 'needs_reauth' | 'needs_config' | 'app' | 'command';
  readonly reason?: string;
  readonly accessExpiresIn?: number;
  readonly lastRefresh?: string;
  readonly refreshCount?: number;
  readonly refreshTokenAgeDays?: number;
  /** what will fail unless someone acts, said before it does */
  readonly warning?: string;
}

/** How long each provider keeps a grant nobody uses, and when to say so (../shared/reference/oauth.md 2.6). */
const UNUSED_GRANT_LIMITS: Readonly<Partial<Record<OAuthProviderName, { warnDays: number; endDays: number }>>> = {
  microsoft: { warnDays: 60, endDays: 90 },
  google: { warnDays: 150, endDays: 182 },
};

function unusedWarning(row: GrantRow, now: number): string | undefined {
  const limits = UNUSED_GRANT_LIMITS[row.provider as OAuthProviderName];
  const used = row.lastRefreshAt ?? row.refreshObtainedAt;
  if (!limits || used === null) return undefined;
  const days = Math.floor((now - used) / 86_400_000);
  if (days < limits.warnDays) return undefined;
  return `not refreshed for ${days} days: the provider ends a grant unused for about ${limits.endDays} days; are the instances running? (sr status)`;
}

function grantStatus(entry: Credential, row: GrantRow | undefined, settings: OAuthSettings | undefined, now: number): GrantStatus {
  const base = { account: lineAccount(entry).label, provider: entry.details.oauth2 as OAuthProviderName, line: entry.line };
  if (!settings) return { ...base, state: 'command' };
  if (!row) return needsLogin(settings) ? { ...base, state: 'no grant', reason: `sign in with: ${loginCommand(base.account)}` } : { ...base, state: 'app' };
  const warning = row.state === 'ok' ? unusedWarning(row, now) : undefined;
  return {
    ...base,
    state: row.state,
    ...(row.reason ? { reason: row.reason } : {}),
    ...(row.accessExpiresAt && row.accessToken ? { accessExpiresIn: Math.round((row.accessExpiresAt - now) / 1000) } : {}),
    ...(row.lastRefreshAt ? { lastRefresh: new Date(row.lastRefreshAt).toISOString() } : {}),
    refreshCount: row.refreshCount,
    ...(row.refreshObtainedAt ? { refreshTokenAgeDays: Math.floor((now - row.refreshObtainedAt) / 86_400_000) } : {}),
    ...(warning ? { warning } : {}),
  };
}

function describeGrant(status: GrantStatus): string {
  const head = `${status.account} (${status.provider}, credentials.conf line ${status.line})`;
  switch (status.state) {
    case 'command': return `${head}: tokens from its command`;
    case 'app': return `${head}: gets its tokens by itself; none asked for yet`;
    case 'no grant': return `${head}: no grant yet: ${status.reason}`;
    case 'needs_reauth': return `${head}: NEEDS A NEW SIGN-IN: ${status.reason}`;
    case 'needs_config': return `${head}: NEEDS ATTENTION: ${status.reason}`;
    case 'ok': {
      const expiry = status.accessExpiresIn === undefined ? 'no access token kept' : status.accessExpiresIn > 0 ? `access token good for ${Math.round(status.accessExpiresIn / 60)} min` : 'access token expired (refreshed when next needed)';
      return `${head}: ok, ${expiry}, refreshed ${status.refreshCount ?? 0} times${status.lastRefresh ? `, last at ${status.lastRefresh}` : ''}${status.warning ? `; WARNING: ${status.warning}` : ''}`;
    }
  }
}

/** Every OAuth2 account of credentials.conf and its grant; exit 1 when one needs a person. */
export async function oauthStatusAction(context: CliContext, json: boolean): Promise<number> {
  const credentials = loadCredentials(context);
  const lines = credentials.oauthLines();
  const store = lines.length > 0 ? openTokenStore(credentials.file) : undefined;
  const now = Date.now();
  const statuses = lines.map((entry) => {
    const account = lineAccount(entry);
    const signIn = credentials.signInFor(account.url, account.label);
    const settings = signIn.kind === 'oauth2' && signIn.provider !== 'command' ? signIn.settings : undefined;
    return grantStatus(entry, settings ? store!.read(settings.grantKey) : undefined, settings, now);
  });
  if (json) context.out(JSON.stringify(statuses, null, 2));
  else if (statuses.length === 0) context.out('no account of credentials.conf signs in with oauth2= (docs/oauth.md)');
  else for (const status of statuses) context.out(describeGrant(status));
  return statuses.some((status) => status.state === 'no grant' || status.state === 'needs_reauth' || status.state === 'needs_config') ? 1 : 0;
}
