// Whether a failure may go away by itself. Only what is known to pass is transient: the
// connection or the server (timeouts, a temporary NO, a refused login that the operator
// will fix), the broker, the disk (full, read-only, out of descriptors). Everything else is
// the message's own doing (a structure no parser reads, a name, a size) and would fail the
// same way forever: it counts against `attempts` and ends in quarantine, so that no message
// holds a prefetch slot for ever.
import { BrokerError } from '../broker/broker.js';
import { UserError } from '../config/errors.js';
import { Pop3Error } from '../mail/pop3/pop3Client.js';

/** A failure of mailpump's own machinery that retrying cures (a decode thread replaced). */
export class TransientError extends Error {}

/** Network, DNS and file-system conditions that come and go (Node's error codes). */
const TRANSIENT_CODES = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH',
  'ENETUNREACH', 'ENETDOWN', 'EHOSTDOWN', 'ENOSPC', 'EDQUOT', 'EMFILE', 'ENFILE', 'ENOMEM', 'EIO', 'EBUSY', 'EAGAIN',
  'EROFS', 'EACCES', 'EPERM', 'SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_FULL', 'SQLITE_IOERR',
]);
/** TLS refusals (an untrusted or expired certificate, a handshake on the wrong port): the operator's to fix. */
const TLS_CODE = /^ERR_(SSL|TLS)_|CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)/;

/** imapflow's codes for a connection gone, a timeout or a throttled server. */
const IMAP_TRANSIENT_CODES = new Set([
  'NoConnection', 'EConnectionClosed', 'StateLogout', 'ClosedAfterConnectText', 'ClosedAfterConnectTLS', 'CONNECT_TIMEOUT',
  'GREETING_TIMEOUT', 'UPGRADE_TIMEOUT', 'ETIMEOUT', 'LockTimeout', 'ETHROTTLE', 'UnexpectedTag', 'MissingTag', 'ProxyError', 'EPROXY',
]);

/** RFC 5530 response codes of a NO that says "not now" rather than "never". */
const TEMPORARY_NO = new Set(['UNAVAILABLE', 'INUSE', 'LIMIT', 'OVERQUOTA', 'THROTTLED', 'EXPUNGEISSUED']);

export function isTransient(error: unknown): boolean {
  if (error instanceof TransientError || error instanceof BrokerError || error instanceof UserError) return true;
  if (error instanceof Pop3Error) return true; // the connection, TLS, the login or the server's -ERR: never the message's bytes
  const details = (error ?? {}) as { code?: unknown; authenticationFailed?: boolean; tlsFailed?: boolean; serverResponseCode?: unknown; cause?: unknown };
  if (details.authenticationFailed || details.tlsFailed) return true;
  if (typeof details.code === 'string' && (TRANSIENT_CODES.has(details.code) || IMAP_TRANSIENT_CODES.has(details.code) || TLS_CODE.test(details.code))) return true;
  if (typeof details.serverResponseCode === 'string' && TEMPORARY_NO.has(details.serverResponseCode.toUpperCase())) return true;
  return details.cause !== undefined && details.cause !== error && isTransient(details.cause);
}
