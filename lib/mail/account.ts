// A mailbox account from a pollUrl: scheme, server, user, how TLS starts, and the label
// used in logs and notifications (the URL without password, with its port).
import { commandTokenSource } from '../auth/tokenCommand.js';
import { oauthTokenSource } from '../auth/tokenSource.js';
import type { CredentialsStore } from '../config/credentials.js';
import { UserError } from '../config/errors.js';
import { MAIL_SCHEMES } from '../config/options.js';
import { parseServiceUrl } from '../config/urls.js';

export interface MailAccount {
  readonly protocol: 'imap' | 'pop3';
  readonly scheme: 'imap' | 'imaps' | 'pop' | 'pops';
  /** the host to connect to: a name, or an IP address without the brackets a URL puts around IPv6 */
  readonly host: string;
  readonly port: number;
  readonly user: string;
  /** imaps/pops: TLS from the first byte; imap/pop: STARTTLS/STLS */
  readonly implicitTls: boolean;
  /** `imaps://ingest@mail.example.com:993/`: the notification baseUrl, and the account's name in logs and state */
  readonly label: string;
  /** the pollUrl as written, for credential lookup */
  readonly url: string;
}

export function mailAccount(url: string): MailAccount {
  const parsed = parseServiceUrl(url);
  if (!(MAIL_SCHEMES as readonly string[]).includes(parsed.scheme)) throw new UserError(`${url}: ${parsed.scheme}: is not a mailbox scheme (imap, imaps, pop or pops)`);
  const scheme = parsed.scheme as MailAccount['scheme'];
  const user = parsed.user;
  if (user === '') throw new UserError(`${url}: a mailbox URL needs a user, e.g. ${scheme}://ingest@${parsed.host}/`);
  // `imaps://u@[::1]:993/`: the URL's host is `[::1]`, which no resolver finds.
  const host = parsed.host.replace(/^\[(.*)\]$/, '$1');
  return {
    protocol: scheme.startsWith('imap') ? 'imap' : 'pop3',
    scheme,
    host,
    port: parsed.port ?? 0,
    user,
    implicitTls: scheme === 'imaps' || scheme === 'pops',
    label: `${scheme}://${encodeURIComponent(user)}@${parsed.host}:${parsed.port}/`,
    url,
  };
}

/** How the account signs in, as its connections take it: a password, or a source of OAuth2 access tokens. */
export interface AccountSignIn {
  /** empty with OAuth2 */
  readonly password: string;
  /** an access token for each connection (SASL XOAUTH2 / OAUTHBEARER); `refused`: the one the server just refused */
  readonly accessToken?: (refused?: string) => Promise<string>;
  /** when the last token given expires: a long connection (IDLE) is renewed before */
  readonly tokenExpiresAt?: () => number | undefined;
  /** the SASL mechanism the line's sasl= asks for, POP3 only (imapflow takes OAUTHBEARER where offered, else XOAUTH2) */
  readonly sasl?: 'XOAUTH2' | 'OAUTHBEARER';
}

/**
 * From the URL if a password is written there, else the account's credentials.conf line.
 * `onWarning` hears what the operator should know before it fails (a token endpoint down
 * while the current token still serves).
 */
export function accountSignIn(account: MailAccount, credentials: CredentialsStore, onWarning?: (line: string) => void): AccountSignIn {
  const signIn = credentials.signInFor(account.url, account.label);
  if (signIn.kind === 'password') return { password: signIn.password };
  const sasl = String(credentials.lookup(account.url)?.details.sasl ?? 'auto').toUpperCase();
  const mechanism = sasl === 'XOAUTH2' || sasl === 'OAUTHBEARER' ? { sasl: sasl as 'XOAUTH2' | 'OAUTHBEARER' } : {};
  if (signIn.provider === 'command') return { password: '', accessToken: commandTokenSource(signIn.command, account.label), ...mechanism };
  const source = oauthTokenSource(signIn.settings, credentials.file, account.label, onWarning);
  return { password: '', accessToken: (refused) => source.accessToken(refused), tokenExpiresAt: () => source.expiresAt(), ...mechanism };
}

/**
 * The mailbox as topic words, after the topic prefix: `<host>.<user>` (`v03.mail.example.com.ingest.INBOX`),
 * so that one subtopic line selects a mailbox (`subtopic mail.example.com.ingest.#`). The
 * AMQP wildcards and `/` are escaped as sr3 escapes them in topic words.
 */
export function mailboxTopic(account: MailAccount): string {
  const word = (text: string) => text.replaceAll('#', '%23').replaceAll('*', '%22').replaceAll('/', '%2F');
  return `${word(account.host)}.${word(account.user)}`;
}

