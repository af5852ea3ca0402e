// Mail server errors in words for a log line and sr status, alike for the poll and the
// subscribe: what happened and, for the common causes, what to do, on one line, with the
// account and never a password. OpenSSL's own text comes over several lines: it is folded.
import { OAuthGrantError } from '../auth/refusals.js';
import { TokenCommandError } from '../auth/tokenCommand.js';
import type { CredentialsStore } from '../config/credentials.js';
import { Pop3Error } from './pop3/pop3Client.js';
import type { MailAccount } from './account.js';

export interface MailErrorPlace {
  readonly account: MailAccount;
  /** the credentials.conf line of the account's password, when it came from there */
  readonly credentialsLine?: number;
  /** the account signs in with OAuth2 tokens (oauth2= on its line), not a password */
  readonly oauth2?: boolean;
}

/** The credentials.conf line of the account, for error messages: how it signs in, and where. */
export function mailErrorPlace(account: MailAccount, credentials: CredentialsStore): MailErrorPlace {
  const entry = credentials.lookup(account.url);
  return { account, ...(entry ? { credentialsLine: entry.line, oauth2: entry.details.oauth2 !== undefined } : {}) };
}

const UNTRUSTED = /self[- ]signed|unable to (get|verify)|certificate (chain|signature)|UNABLE_TO|SELF_SIGNED|CERT_/i;

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/**
 * Whether a mail error is the operator's to fix and will not pass by itself: a refused login,
 * an untrusted certificate, TLS refused, a name that is not found, a port that speaks
 * another protocol. A refused connection, a reset or a timeout may be a server restarting.
 */
export function isLastingMailError(error: unknown): boolean {
  const details = error as { authenticationFailed?: boolean; tlsFailed?: boolean; code?: string; message?: string };
  const message = details?.message ?? String(error);
  const code = details?.code ?? '';
  if (UNTRUSTED.test(code) || UNTRUSTED.test(message) || details?.authenticationFailed || details?.tlsFailed) return true;
  if (error instanceof TokenCommandError || error instanceof OAuthGrantError) return true;
  if (error instanceof Pop3Error && (error.kind === 'auth' || error.kind === 'tls' || /which is not POP3/.test(message))) return true;
  return code === 'ENOTFOUND' || code === 'ERR_SSL_WRONG_VERSION_NUMBER' || /wrong version number|packet length too long/i.test(message);
}

/**
 * Exchange ends a session when its OAuth2 token expires (`* BYE Session invalidated -
 * AccessTokenExpired`): not a fault, a reconnect with a fresh token. imapflow keeps the BYE's
 * text as the `reason` of the errors that follow.
 */
export function isTokenExpiredBye(error: unknown): boolean {
  return /AccessTokenExpired/i.test(String((error as { reason?: unknown })?.reason ?? ''));
}

/** A mail error in words for the log: the account, the cause, what to do. */
export function describeMailError(error: unknown, place: MailErrorPlace): string {
  const { account } = place;
  const server = `${account.host}:${account.port}`;
  const details = error as { authenticationFailed?: boolean; responseText?: string; tlsFailed?: boolean; code?: string; message?: string };
  const message = oneLine(details?.message ?? String(error));
  const code = details?.code ?? '';
  if (UNTRUSTED.test(code) || UNTRUSTED.test(message)) {
    return `certificate of ${account.host} is not trusted (${message}): add "tlsCa <file of the CA that signed it>", or "tlsVerify off" only on a trusted network`;
  }
  const loginRefused = details?.authenticationFailed || (error instanceof Pop3Error && error.kind === 'auth');
  if (loginRefused) {
    const answer = details.responseText ? `: ${oneLine(details.responseText)}` : error instanceof Pop3Error ? `: ${message.replace(/^login failed for [^:]*: /, '')}` : '';
    const line = place.credentialsLine ? ` line ${place.credentialsLine}` : '';
    if ((error as { freshTokenRefused?: boolean }).freshTokenRefused) {
      return `login refused for ${account.user}@${account.host}${answer}, with an OAuth2 token just issued (credentials.conf${line}): the grant is good, the mail server refuses it. `
        + 'Likely: IMAP or POP not enabled for the mailbox, the app lacks the mailbox permission (Exchange: New-ServicePrincipal, Add-MailboxPermission), or the user in the URL is not the mailbox the token is for';
    }
    return `login refused for ${account.user}@${account.host}${answer} (the ${place.oauth2 ? 'OAuth2 token' : 'password'} of credentials.conf${line})`;
  }
  if (error instanceof Pop3Error && error.kind === 'busy') return `${message} (not the password: tried again later)`;
  if (error instanceof Pop3Error && error.kind === 'tls') return `TLS refused: ${message} (set "tls off" only on a trusted network)`;
  if (details?.tlsFailed) return `TLS refused: ${message} (set "tls off" only on a trusted network)`;
  if (code === 'ECONNREFUSED') return `connection refused by ${server}: is the server running, is the port right?`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `name not found: ${account.host}`;
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return `${server} cannot be reached (no route to it)`;
  if (code === 'GREETING_TIMEOUT' || code === 'CONNECT_TIMEOUT') {
    const other = account.protocol === 'imap' ? 'a POP3' : 'an IMAP';
    return `no ${account.protocol === 'imap' ? 'IMAP' : 'POP3'} greeting from ${server} in time: is it ${other} port, or one that wants ${account.implicitTls ? 'no TLS at first (imap://, pop://)' : 'TLS from the start (imaps://, pops://)'}?`;
  }
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || /wrong version number|packet length too long/i.test(message)) {
    return `${server} does not speak TLS from the start: use ${account.protocol === 'imap' ? 'imap://' : 'pop://'} (STARTTLS) for this port, or the server's TLS port`;
  }
  if (error instanceof Pop3Error && /which is not POP3/.test(message)) return `${message}: is ${server} an IMAP port?`;
  // imapflow's message for a NO or BAD is "Command failed": what the server said is the news.
  const answer = details?.responseText ? oneLine(details.responseText) : '';
  return answer && !message.includes(answer) ? `${message}: the server said "${answer}"` : message;
}
