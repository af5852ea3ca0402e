// A subscribe's POP3 connection to one account. A POP3 session sees the mailbox as it was
// at login, so the UIDL list is read once per session, and a UIDL it does not hold is
// looked for again in a new session before the message counts as gone. Deletions take
// effect at QUIT (RFC 1939 6), so a delete batch ends the session.
import type { Writable } from 'node:stream';
import {
  checkMessageId, describeCoordinates, type ExpectedMessage, type MailAction, type MailSource, type MessageCoordinates, MessageGone, Serial,
} from '../mailSource.js';
import { Pop3Client, Pop3Error, pop3MessageId, type Pop3Settings } from './pop3Client.js';

type Pop3Coordinates = Extract<MessageCoordinates, { protocol: 'pop3' }>;

interface Session {
  readonly client: Pop3Client;
  readonly numbers: Map<string, number>;
}

export class Pop3Source implements MailSource {
  private current: Session | undefined;
  /** dropped for a stop: no new session is opened */
  private aborted = false;
  private readonly serial = new Serial();

  constructor(private readonly settings: Pop3Settings) {}

  get account() {
    return this.settings.account;
  }

  private async session(): Promise<Session> {
    if (this.aborted) throw new Pop3Error('the connection was dropped for a stop', 'connection');
    // A session left idle may have been cut (the server's autologout, our socket timeout): a new one is opened, no message fails for it.
    if (this.current && !this.current.client.usable) {
      this.current.client.close();
      this.current = undefined;
    }
    if (this.current) return this.current;
    const client = await Pop3Client.connect(this.settings);
    try {
      const numbers = new Map((await client.uidl()).map((entry) => [entry.uidl, entry.number]));
      this.current = { client, numbers };
      return this.current;
    } catch (error) {
      client.close();
      throw error;
    }
  }

  /** The message number of a UIDL, in a fresh session if the current one predates it. */
  private async numberOf(uidl: string): Promise<{ session: Session; number: number } | undefined> {
    const fresh = this.current === undefined;
    let session = await this.session();
    let number = session.numbers.get(uidl);
    if (number === undefined && !fresh) {
      await this.endSession();
      session = await this.session();
      number = session.numbers.get(uidl);
    }
    return number === undefined ? undefined : { session, number };
  }

  private async endSession(): Promise<void> {
    const session = this.current;
    this.current = undefined;
    if (session) await session.client.quit().catch(() => session.client.close());
  }

  /** Runs `work` one at a time; a session that failed is dropped, to be opened again. */
  private run<T>(work: () => Promise<T>): Promise<T> {
    return this.serial.run(async () => {
      try {
        return await work();
      } catch (error) {
        if (!(error instanceof MessageGone) && this.current) {
          this.current.client.close();
          this.current = undefined;
        }
        throw error;
      }
    });
  }

  download(at: MessageCoordinates, expected: ExpectedMessage, sink: Writable): Promise<number> {
    const { uidl } = at as Pop3Coordinates;
    const where = describeCoordinates(this.account, at);
    return this.run(async () => {
      const reused = this.current !== undefined;
      const check = async () => {
        const found = await this.numberOf(uidl);
        if (!found) throw new MessageGone(`${where} is no longer on the server`);
        checkMessageId(where, expected, pop3MessageId(await found.session.client.header(found.number)));
        return found;
      };
      // A kept session the server cut shows at the first command: before anything reached
      // the sink, the message is asked again in a new session, and does not fail for it.
      const found = await check().catch(async (error: unknown) => {
        if (!reused || !(error instanceof Pop3Error) || error.kind !== 'connection') throw error;
        this.current?.client.close();
        this.current = undefined;
        return check();
      });
      const octets = await found.session.client.retrieve(found.number, sink);
      this.settings.onDebug?.(`${this.account.label}: RETR ${found.number} (UIDL ${uidl}): ${octets} octets`);
      await new Promise<void>((resolve, reject) => sink.end((error?: Error | null) => (error ? reject(error) : resolve())));
      // No size check: a server's LIST size may differ from what RETR sends (Dovecot ends a
      // message that lacks it with a CRLF, and counts lines its own way), and the UIDL,
      // never reused (RFC 1939 7), names the message, with its Message-ID checked above.
      return octets;
    });
  }

  apply(action: MailAction, messages: readonly MessageCoordinates[]): Promise<void> {
    if (action.kind === 'none' || messages.length === 0) return Promise.resolve();
    if (action.kind !== 'delete') return Promise.reject(new Error(`POP3 has no "${action.kind}": mailAction is none or delete for pop:// and pops://`));
    return this.run(async () => {
      for (const message of messages as readonly Pop3Coordinates[]) {
        const found = await this.numberOf(message.uidl);
        if (found) await found.session.client.delete(found.number);
        this.settings.onDebug?.(`${this.account.label}: ${found ? `DELE ${found.number}` : 'nothing to delete'} (UIDL ${message.uidl})`);
      }
      await this.endSession(); // QUIT: the deletions take effect now
    });
  }

  abort(): void {
    this.aborted = true;
    const session = this.current;
    this.current = undefined;
    session?.client.close();
  }

  close(): Promise<void> {
    return this.serial.run(() => this.endSession());
  }
}
