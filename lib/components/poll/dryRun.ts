// sr foreground --dry_run poll/x (sr3's flag): the passes the poll would make now, on a copy
// of its state, listing each message it would announce and how many per folder, then
// nothing kept: no notification published, no cursor moved, the mailbox only read
// (EXAMINE; POP3 UIDL and TOP).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { CredentialsStore } from '../../config/credentials.js';
import type { Config } from '../../config/load.js';
import { pop3LoginsFile, type SrPaths, stateDir } from '../../config/paths.js';
import { depotLocation, isDepotUrl } from '../../depot/location.js';
import type { Logger } from '../../log/logger.js';
import { accountSignIn, mailAccount } from '../../mail/account.js';
import { parseSearchKeys } from '../../mail/imap/search.js';
import { LoginGate } from '../../mail/pop3/loginGate.js';
import { accountTls, tlsSettings } from '../../mail/tls.js';
import { PollState } from '../../state/pollState.js';
import { firstPassOf, describeFirstPass } from './firstPass.js';
import { DirectoryPoll } from './directoryPoll.js';
import { ImapPoll } from './imapPoll.js';
import type { MailboxPoll, PollContext } from './mailboxPoll.js';
import { Pop3Poll } from './pop3Poll.js';

/** A pass that still leaves messages (batch) is followed by another, up to this many. */
const MAX_PASSES = 10_000;

/** The poll's state as it is now, in a file of its own that the dry run may change. */
function stateCopy(paths: SrPaths, config: Config, scratch: string): PollState {
  const file = path.join(stateDir(paths, config.id), 'poll.sqlite');
  const copy = path.join(scratch, 'poll.sqlite');
  if (fs.existsSync(file)) {
    // VACUUM INTO: a consistent copy, the write-ahead log included, while the file is left as it is.
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      db.exec(`VACUUM INTO '${copy.replaceAll("'", "''")}'`);
    } finally {
      db.close();
    }
  }
  return PollState.open(copy);
}

export async function dryRunPoll(config: Config, paths: SrPaths, credentials: CredentialsStore, logger: Logger, out: (line: string) => void): Promise<number> {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mailpump-dry-run-'));
  let gate: LoginGate | undefined;
  try {
    const state = stateCopy(paths, config, scratch);
    const search = config.str('mailSearch') === undefined ? undefined : parseSearchKeys(config.str('mailSearch')!);
    const tls = tlsSettings(config);
    const perFolder = new Map<string, number>();
    let total = 0;
    try {
      for (const url of config.list('pollUrl')) {
        const context: PollContext = {
          // A dry run prints what it would announce, and says nothing of steps it does not take.
          config, state, logger, search, events: () => undefined,
          announce: async (notification) => {
            const folder = `${notification.baseUrl}${notification.mail?.folder ?? ''}`;
            perFolder.set(folder, (perFolder.get(folder) ?? 0) + 1);
            total += 1;
            const { subject, from, date } = notification.mail ?? {};
            out(`would announce ${notification.baseUrl}${notification.relPath} ${notification.size ?? '?'} bytes${date ? `, ${date}` : ''}${from ? `, from ${from}` : ''}${subject ? `: ${subject}` : ''}`);
          },
          stopping: () => false,
          count: () => undefined,
          handled: () => undefined,
        };
        let poll: MailboxPoll;
        let known: boolean;
        if (isDepotUrl(url)) {
          poll = new DirectoryPoll(depotLocation(url), context);
          known = state.knowsDepot(poll.label);
        } else {
          const account = mailAccount(url);
          const signIn = accountSignIn(account, credentials);
          const own = accountTls(config, tls, credentials.lookup(account.url));
          poll = account.protocol === 'imap'
            ? new ImapPoll(account, signIn, own, context)
            : new Pop3Poll(account, signIn, own, context, (gate ??= LoginGate.open(pop3LoginsFile(paths))));
          known = account.protocol === 'imap' ? state.knowsImapAccount(account.label) : state.knowsPopAccount(account.label);
        }
        out(`${poll.label}: ${known ? 'polled before: what is new since its last pass' : `first pass (firstPass ${config.str('firstPass')}): ${describeFirstPass(firstPassOf(config))}`}`);
        try {
          for (let passes = 0; passes < MAX_PASSES && (await poll.pass()).remaining > 0; passes += 1);
        } finally {
          await poll.close();
        }
      }
    } finally {
      state.close();
    }
    for (const [folder, count] of perFolder) out(`${folder}: ${count} would be announced`);
    out(`dry run of ${config.label}: ${total} messages would be announced; nothing was published, nothing recorded, the mailboxes were only read`);
    return 0;
  } finally {
    gate?.close();
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}
