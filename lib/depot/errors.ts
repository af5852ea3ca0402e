// A watched directory's failures in words that say what to fix.
import { DepotUnreadable } from './listing.js';

/** The reason, and whether it will not pass by itself (a directory missing or unreadable is the operator's to fix). */
export function judgeDepotError(error: unknown): { reason: string; lasting: boolean } {
  if (error instanceof DepotUnreadable) return { reason: `${error.message}: create it, or correct the pollUrl`, lasting: true };
  const code = (error as NodeJS.ErrnoException)?.code;
  const message = (error as Error)?.message ?? String(error);
  return { reason: code ? `${message} (${code})` : message, lasting: code === 'EACCES' || code === 'EPERM' };
}
