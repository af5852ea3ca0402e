// IMAP IDLE on one folder, on a connection of its own: the server tells it at once when a
// message arrives, and it wakes the poll, which then does an ordinary pass. IDLE is
// restarted every few minutes (servers drop it at 30, RFC 2177), a connection that breaks or
// goes silent is replaced, and the poll's scheduled passes go on regardless, so a stalled
// IDLE never delays mail by more than one pass.
import type { ImapFlow } from 'imapflow';
import { isTokenExpiredBye } from '../mailErrors.js';
import { closeClient, connectedClient, type ImapConnectionSettings, renewalTime } from './imapMailbox.js';

const IDLE_RESTART_MS = 5 * 60_000;
const MAX_RECONNECT_DELAY_MS = 60_000;

export class IdleWatcher {
  private client: ImapFlow | undefined;
  private stopped = false;
  private readonly loop: Promise<void>;

  constructor(
    private readonly settings: ImapConnectionSettings,
    readonly folder: string,
    private readonly onNewMail: () => void,
  ) {
    this.loop = this.watch();
  }

  private async watch(): Promise<void> {
    let failures = 0;
    let connectedBefore = false;
    while (!this.stopped) {
      let client: ImapFlow | undefined;
      let renewing = false;
      let renewal: NodeJS.Timeout | undefined;
      try {
        client = await connectedClient(this.settings, { maxIdleTime: IDLE_RESTART_MS }, (opening) => { opening.on('exists', () => this.onNewMail()); });
        this.client = client;
        // An OAuth2 token ends the session when it expires (Exchange): a new connection, with a new token, before.
        const renewAt = renewalTime(client);
        if (renewAt !== undefined) {
          const ending = client;
          renewal = setTimeout(() => { renewing = true; ending.close(); }, Math.max(0, renewAt - Date.now()));
        }
        await client.mailboxOpen(this.folder, { readOnly: true });
        // Mail that came while the connection was away (a server restart) makes no EXISTS
        // now: a pass looks for it at once rather than at the next scheduled one.
        if (connectedBefore) this.onNewMail();
        connectedBefore = true;
        failures = 0;
        while (!this.stopped && client.usable) await client.idle();
      } catch (error) {
        // Ended for its token (renewed on time, or by Exchange's BYE): a new connection at once, no failure.
        if (isTokenExpiredBye(error)) renewing = true;
        if (!renewing) failures += 1; // the poll's own pass reports what is wrong with the account
      } finally {
        clearTimeout(renewal);
        if (client) await closeClient(client);
      }
      if (renewing) {
        this.onNewMail(); // what came while the connections changed
        continue;
      }
      if (!this.stopped) await new Promise((resolve) => setTimeout(resolve, Math.min(MAX_RECONNECT_DELAY_MS, 1000 * 2 ** failures)));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.client) await closeClient(this.client);
    await this.loop;
  }
}
