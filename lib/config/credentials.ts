// credentials.conf (sr3.md 4): one URL per line with its password percent-encoded,
// optional details after it. Differences from sr3, on purpose:
//  - a URL without a port and one with the scheme's default port are the same server;
//  - passwords are decoded exactly once, here, and every consumer gets the decoded value;
//  - a file that group or others can read is refused instead of used;
//  - lines for schemes mailpump does not use (sr3's https, sftp, ftp, s3...) are left to sr3:
//    the file is often shared with it, and sr3 writes what mailpump would refuse (a key file
//    and no password, a bearer token and no user). Only their secrets are taken, to be masked.
import fs from 'node:fs';
import { ConfigError, ConfigErrors, UserError } from './errors.js';
import { readableByOthers } from './privateFile.js';
import { readTextFile, TextFileError } from './textFile.js';
import { MAIL_SCHEMES } from './options.js';
import { OAUTH_DETAILS, OAUTH_PROVIDERS, type OAuthProviderName, type OAuthSettings, oauthSettings, OAuthSettingsError } from './oauthProviders.js';
import { closestWord } from './suggest.js';
import { DEFAULT_PORTS, maskUrlText, parseServiceUrl, type ServiceUrl, UrlError } from './urls.js';

export interface Credential {
  readonly url: ServiceUrl;
  /** `key` or `key=value` words after the URL, e.g. `login_method=PLAIN` */
  readonly details: Readonly<Record<string, string | true>>;
  readonly line: number;
}

/** How an account signs in: its password, a token command, or an OAuth2 provider understood (oauthProviders.ts). */
export type SignIn =
  | { readonly kind: 'password'; readonly password: string }
  | { readonly kind: 'oauth2'; readonly provider: 'command'; readonly command: string; readonly line: number }
  | { readonly kind: 'oauth2'; readonly provider: Exclude<OAuthProviderName, 'command'>; readonly settings: OAuthSettings; readonly line: number };

/** Details sr3 knows (sr3.md 4); anything else is a warning, not an error, as in sr3. */
const KNOWN_DETAILS = new Set([
  'ssh_keyfile', 'passive', 'active', 'binary', 'ascii', 'tls', 'ssl', 'prot_p', 'implicit_ftps',
  'bearer_token', 'bt', 'login_method', 's3_endpoint', 's3_session_token', 'azure_storage_credentials',
  // mailpump's: the account's TLS settings, for every component that uses it (mail/tls.ts)
  'tlsCa', 'tlsVerify',
  // OAuth2 sign-in, instead of a password (../shared/reference/oauth.md 4.1)
  ...OAUTH_DETAILS,
]);

/** sr3's details that hold a secret: masked like passwords, on any line. */
const SECRET_DETAILS = new Set(['bearer_token', 'bt', 's3_session_token', 'azure_storage_credentials', 'client_secret']);

/** The scheme a line starts with, before any check of the rest. */
const LINE_SCHEME = /^([a-z][a-z0-9+.-]*):/i;

export class CredentialsStore {
  private constructor(
    readonly file: string,
    private readonly entries: readonly Credential[],
    readonly warnings: readonly string[],
    /** what a debug log may say: the lines left to sr3 */
    readonly notes: readonly string[] = [],
    private readonly otherSecrets: readonly string[] = [],
  ) {}

  static empty(file: string): CredentialsStore {
    return new CredentialsStore(file, [], []);
  }

  /** Reads the file; a missing file is an empty store (a lookup then says what to add). */
  static load(file: string, displayName = file): CredentialsStore {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return CredentialsStore.empty(file);
      throw new UserError(`${displayName}: cannot read: ${(error as Error).message}`);
    }
    if (!stat.isFile()) throw new UserError(`${displayName}: ${stat.isDirectory() ? 'is a directory' : 'is not a regular file'}; credentials.conf must be a file of lines like imaps://user:PASSWORD@host/`);
    const exposed = readableByOthers(file, stat.mode, file, 'passwords');
    if (exposed) throw new UserError(exposed);
    const entries: Credential[] = [];
    const warnings: string[] = [];
    const notes: string[] = [];
    const otherSecrets: string[] = [];
    const errors: ConfigError[] = [];
    let text: string;
    try {
      text = readTextFile(file);
    } catch (error) {
      if (!(error instanceof TextFileError)) throw error;
      throw new UserError(`${displayName}: cannot read: ${error.message}`);
    }
    text.split(/\r?\n/).forEach((raw, index) => {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) return;
      const scheme = LINE_SCHEME.exec(line)?.[1]?.toLowerCase();
      if (scheme !== undefined && !(scheme in DEFAULT_PORTS)) {
        otherSecrets.push(...secretsOfOtherLine(line));
        notes.push(`${displayName}:${index + 1}: a ${scheme}: line, not one of mailpump's schemes: left to sr3`);
        return;
      }
      try {
        const entry = parseLine(line, index + 1);
        entries.push(entry);
        for (const key of Object.keys(entry.details)) {
          if (!KNOWN_DETAILS.has(key)) warnings.push(`${displayName}:${index + 1}: unknown detail "${key}" ignored`);
        }
      } catch (error) {
        if (!(error instanceof UrlError)) throw error;
        errors.push(new ConfigError(displayName, index + 1, `${maskUrlText(line.split(/\s+/)[0] ?? '')} ${error.message}`));
      }
    });
    if (errors.length > 0) throw new ConfigErrors(errors);
    return new CredentialsStore(file, entries, warnings, notes, otherSecrets);
  }

  /**
   * The first entry for the same scheme, host and port (an omitted port is the default
   * one), the same user when the URL names one, and for AMQP the same vhost.
   */
  lookup(urlText: string): Credential | undefined {
    const wanted = parseServiceUrl(urlText);
    return this.entries.find(({ url }) =>
      url.scheme === wanted.scheme
      && url.host === wanted.host
      && url.port === wanted.port
      && (wanted.user === '' || url.user === wanted.user)
      && (wanted.password === undefined || url.password === wanted.password)
      && (!wanted.scheme.startsWith('amqp') || vhost(url.path) === vhost(wanted.path)));
  }

  /**
   * The password for a server URL: written in the URL itself, else from this file. When
   * there is none, the error shows the line to add; `label` is how the server is named in it.
   */
  passwordFor(urlText: string, label: string): string {
    const url = parseServiceUrl(urlText);
    const password = url.password ?? this.lookup(urlText)?.url.password;
    if (password === undefined) {
      throw new UserError(`no password for ${label} in credentials.conf: add a line ${url.scheme}://${encodeURIComponent(url.user || 'user')}:PASSWORD@${url.host}:${url.port}/`);
    }
    return password;
  }

  /**
   * How a mailbox signs in: a password in the URL or on its line, or the line's `oauth2=`
   * provider. When there is neither, the error shows the line to add.
   */
  signInFor(urlText: string, label: string): SignIn {
    const entry = parseServiceUrl(urlText).password === undefined ? this.lookup(urlText) : undefined;
    const oauth2 = entry?.details.oauth2;
    if (entry && typeof oauth2 === 'string' && entry.url.password === undefined) {
      const provider = oauth2 as OAuthProviderName;
      if (provider === 'command') return { kind: 'oauth2', provider, command: String(entry.details.command), line: entry.line };
      return { kind: 'oauth2', provider, settings: oauthSettings(provider, entry.url.user, entry.details), line: entry.line };
    }
    return { kind: 'password', password: this.passwordFor(urlText, label) };
  }

  /** The mailbox lines that sign in with OAuth2, in file order: sr oauth status lists them. */
  oauthLines(): Credential[] {
    return this.entries.filter((entry) => entry.details.oauth2 !== undefined);
  }

  /** Every password of the file, so that loggers can blank them wherever they appear. */
  secrets(): string[] {
    const details = this.entries.flatMap((entry) => Object.entries(entry.details).filter(([key]) => SECRET_DETAILS.has(key)).map(([, value]) => value));
    return [...this.entries.map((entry) => entry.url.password), ...details, ...this.otherSecrets]
      .filter((secret): secret is string => typeof secret === 'string' && secret !== '');
  }
}

function vhost(pathname: string): string {
  const name = decodeURIComponent(pathname.replace(/^\//, ''));
  return name === '' ? '/' : name;
}

/** The password and secret details of a line left to sr3, however it is written; nothing is checked. */
function secretsOfOtherLine(line: string): string[] {
  const [urlText = '', ...restWords] = line.split(/\s+/);
  const secrets = restWords.join(' ').split(',').map((part) => part.trim().split('='))
    .filter(([key, value]) => SECRET_DETAILS.has(key?.trim() ?? '') && value)
    .map(([, ...value]) => value.join('=').trim());
  try {
    const password = parseServiceUrl(urlText).password;
    if (password) secrets.push(password);
  } catch {
    // not a URL sr3 would read either: nothing more to mask
  }
  return secrets;
}

/** An `oauth2=` line: a mailbox, no password beside it, a provider mailpump knows, what the provider needs. */
function checkOauth(url: ServiceUrl, details: Readonly<Record<string, string | true>>): void {
  const provider = details.oauth2;
  if (!(MAIL_SCHEMES as readonly string[]).includes(url.scheme)) throw new UrlError(`has oauth2=, which is for mailboxes (imap, imaps, pop, pops), not ${url.scheme}:`);
  if (url.password !== undefined) throw new UrlError('has both a password and oauth2=: keep one (an OAuth2 account signs in with tokens, not its password)');
  if (typeof provider !== 'string' || !(OAUTH_PROVIDERS as readonly string[]).includes(provider)) {
    const suggestion = typeof provider === 'string' ? closestWord(provider, OAUTH_PROVIDERS) : undefined;
    throw new UrlError(`has oauth2=${provider === true ? '' : provider}, which is not a provider (${OAUTH_PROVIDERS.join(', ')})${suggestion ? `; did you mean oauth2=${suggestion}?` : ''}`);
  }
  for (const key of Object.keys(details)) {
    if ((OAUTH_DETAILS as readonly string[]).includes(key)) continue;
    const suggestion = closestWord(key, OAUTH_DETAILS);
    throw new UrlError(`has the detail ${key}, which an oauth2= line does not take${suggestion ? ` (did you mean ${suggestion}?)` : ''}`);
  }
  if (details.sasl !== undefined && !['auto', 'xoauth2', 'oauthbearer'].includes(String(details.sasl).toLowerCase())) {
    throw new UrlError(`has sasl=${details.sasl === true ? '' : details.sasl}, which is not a mechanism (auto, xoauth2, oauthbearer)`);
  }
  if (provider === 'command') {
    if (typeof details.command !== 'string' || details.command === '') throw new UrlError('has oauth2=command but no command=<program and its arguments> to print the access token');
    return;
  }
  try {
    oauthSettings(provider as Exclude<OAuthProviderName, 'command'>, url.user, details);
  } catch (error) {
    if (error instanceof OAuthSettingsError) throw new UrlError(error.message);
    throw error;
  }
}

function decodeDetail(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new UrlError(`has a client_secret that is not percent-encoded properly (${ENCODE_HINT})`);
  }
}

const ENCODE_HINT = 'percent-encode / ? # @ : % and spaces in a password (a space is %20)';

function parseLine(line: string, lineNumber: number): Credential {
  const [urlText = '', ...restWords] = line.split(/\s+/);
  let url: ServiceUrl;
  try {
    url = parseServiceUrl(urlText);
  } catch (error) {
    // parseServiceUrl's own message would quote the text: the line is shown masked instead.
    if (error instanceof UrlError && !error.message.startsWith('is not a URL')) throw error;
    throw new UrlError(`is not a URL (${ENCODE_HINT})`);
  }
  // A word after the URL with an `@` is the rest of a password that held a space.
  if (!restWords.join(' ').includes('oauth2=') && restWords.some((word) => word.includes('@'))) throw new UrlError(`the password seems to hold a space (${ENCODE_HINT})`);
  if (url.user === '') throw new UrlError('has no user name (write scheme://user:password@host/)');
  const details: Record<string, string | true> = {};
  for (const part of restWords.join(' ').split(',')) {
    const detail = part.trim();
    if (detail === '') continue;
    const equals = detail.indexOf('=');
    if (equals < 0) details[detail] = true;
    else details[detail.slice(0, equals).trim()] = detail.slice(equals + 1).trim();
  }
  if (details.oauth2 !== undefined) {
    // A client secret is percent-encoded like a password (it may hold a comma), and decoded once, here.
    if (typeof details.client_secret === 'string') details.client_secret = decodeDetail(details.client_secret);
    checkOauth(url, details);
    return { url, details, line: lineNumber };
  }
  if (url.password === undefined) throw new UrlError(`has no password (write scheme://${url.user}:password@host/, ${ENCODE_HINT}; or sign in with oauth2=)`);
  return { url, details, line: lineNumber };
}
