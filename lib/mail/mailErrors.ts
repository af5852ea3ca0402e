// Mail server errors in words for a log line, alike for the poll and the subscribe.
import { Pop3Error } from './pop3/pop3Client.js';

/** A mail error in words for the log: the account and the server's answer, never a password. */
export function describeMailError(error: unknown, user: string): string {
  const details = error as { authenticationFailed?: boolean; responseText?: string; tlsFailed?: boolean; code?: string; message?: string };
  const tlsRefused = (why: string) => `TLS refused: ${why} (set "tls off" only on a trusted network)`;
  if (error instanceof Pop3Error) return error.kind === 'tls' ? tlsRefused(error.message) : error.message;
  if (details.authenticationFailed) return `login failed for ${user}${details.responseText ? `: ${details.responseText}` : ''}`;
  if (details.tlsFailed) return tlsRefused(details.message ?? 'the server did not upgrade the connection');
  if (details.code === 'ECONNREFUSED') return 'connection refused';
  return details.message ?? String(error);
}
