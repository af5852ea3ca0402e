// oauth2=command (credentials.conf): an external program prints an access token, as mbsync's
// PassCmd or getmail's password_command do, for providers and flows mailpump has no preset
// for. It is run for each connection, without a shell (the words of the detail are its
// arguments), with a time limit; its first line of output is the token. Neither the token nor
// the program's output is ever logged; its error output's first line is, to say why.
import { execFile } from 'node:child_process';
import { UserError } from '../config/errors.js';

const COMMAND_TIMEOUT_MS = 30_000;

/** The token program failed: the operator's to fix (its grant, its configuration), said as its own words. */
export class TokenCommandError extends UserError {}
/** More than any provider's token (Entra's are about 3 kB), less than a runaway program's output. */
const MAX_OUTPUT_BYTES = 64 * 1024;

/** The program and its arguments, as written: words split on spaces (no quoting, no shell). */
export function commandWords(detail: string): string[] {
  return detail.trim().split(/\s+/).filter((word) => word !== '');
}

/** A source of access tokens that runs `detail` each time; `account` names the mailbox in errors. */
export function commandTokenSource(detail: string, account: string): () => Promise<string> {
  const [program, ...args] = commandWords(detail);
  return () => new Promise((resolve, reject) => {
    if (!program) {
      reject(new TokenCommandError(`${account}: oauth2=command has no command= to run`));
      return;
    }
    execFile(program, args, { timeout: COMMAND_TIMEOUT_MS, maxBuffer: MAX_OUTPUT_BYTES, encoding: 'utf8' }, (error, stdout, stderr) => {
      const said = stderr.trim().split('\n')[0]?.slice(0, 200);
      if (error) {
        const how = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'is not found' : error.killed ? `gave no token within ${COMMAND_TIMEOUT_MS / 1000} s` : `failed (exit ${String(error.code ?? error.signal)})`;
        reject(new TokenCommandError(`the token command ${program} ${how}${said ? `: ${said}` : ''}`));
        return;
      }
      const token = stdout.split('\n')[0]?.trim() ?? '';
      if (token === '' || /\s/.test(token)) reject(new TokenCommandError(`the token command ${program} printed no access token on its first line`));
      else resolve(token);
    });
  });
}
