// A subscribe's IMAP connection to one account: messages are downloaded by UID after the
// folder's UIDVALIDITY and the message's Message-ID are checked, small ones several per
// command, large ones streamed alone; actions go by UID sets, one command for a whole
// batch. The folder stays selected (read-write) between messages, so a run of messages
// from one folder costs no SELECT each.
import { finished, pipeline } from 'node:stream/promises';
import { Transform, type Writable } from 'node:stream';
import type { ImapFlow } from 'imapflow';
import {
  checkMessageId, checkSize, describeCoordinates, type ExpectedMessage, type MailAction, mailActionWords, type MailSource, type MessageCoordinates, MessageGone,
} from '../mailSource.js';
import { findSurplusCopies } from './duplicateCopies.js';
import { closeClient, connectedClient, forgetCommandError, type ImapConnectionSettings, lastCommandError, stillUsable } from './imapMailbox.js';

type ImapCoordinates = Extract<MessageCoordinates, { protocol: 'imap' }>;

/** Messages up to this size are fetched in batches, whole in memory: a few of them at a time. */
const BATCH_MESSAGE_OCTETS = 1024 * 1024;
/** A large message is streamed in partial fetches of this size, each one round trip. */
const DOWNLOAD_CHUNK_OCTETS = 1024 * 1024;

/** A UID means nothing outside its folder's UIDVALIDITY: batches go by both. */
function folderKey(at: ImapCoordinates): string {
  return `${at.uidValidity}\u0000${at.folder}`;
}

/** The items by key, each key's in their order (Map.groupBy, which Node 20 lacks). */
function groupBy<K, T>(items: readonly T[], keyOf: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const group = groups.get(keyOf(item));
    if (group) group.push(item);
    else groups.set(keyOf(item), [item]);
  }
  return groups;
}

interface WaitingDownload {
  readonly uid: number;
  readonly expected: ExpectedMessage;
  readonly sink: Writable;
  readonly resolve: (octets: number) => void;
  readonly reject: (error: unknown) => void;
}

function counter(): Transform & { octets: number } {
  const counting = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      counting.octets += chunk.length;
      done(null, chunk);
    },
  }) as Transform & { octets: number };
  counting.octets = 0;
  return counting;
}

/**
 * An action imapflow answered with `false` (the server refused it) or nothing (no folder was
 * selected): not done, so the messages are not acknowledged. The server's words, when
 * imapflow kept them, go with the error.
 */
function taken(client: ImapFlow, result: unknown, what: string): void {
  if (result === undefined) throw Object.assign(new Error(`${what} was not done: no folder was selected`), { code: 'NoConnection' });
  if (result !== false) return;
  const cause = lastCommandError(client) as { responseText?: string; message?: string } | undefined;
  const said = cause?.responseText ?? cause?.message;
  throw Object.assign(new Error(`${what} was not done${said ? `: the server said "${said}"` : ''}`), { cause });
}

/**
 * Writes the whole message into `sink` and ends it. Not stream.pipeline: each pipeline makes
 * an AbortController and aborts it at its end, and the DOMException of that abort cost a
 * third of a millisecond per message, measured, more than the rest of handing it over.
 */
async function endWith(sink: Writable, data: Buffer): Promise<void> {
  sink.end(data);
  await finished(sink);
}

/** Whether the folder exists, by the server's STATUS of it (imapflow confirms a NO by LIST); undefined when it would not say. */
async function folderExists(client: ImapFlow, folder: string): Promise<boolean | undefined> {
  try {
    return (await client.status(folder, { messages: true })) ? true : undefined;
  } catch (error) {
    if ((error as { code?: string }).code === 'NotFound') return false;
    throw error;
  }
}

export class ImapSource implements MailSource {
  private client: ImapFlow | undefined;
  private connecting: Promise<ImapFlow> | undefined;
  private readonly created = new Set<string>();
  private readonly waitingDownloads = new Map<string, WaitingDownload[]>();
  /** dropped for a stop: no new connection is opened */
  private aborted = false;
  private saidNoUidplus = false;

  constructor(private readonly settings: ImapConnectionSettings) {}

  get account() {
    return this.settings.account;
  }

  /** The connection, opened once for all the messages in flight that ask for it together. */
  private session(): Promise<ImapFlow> {
    if (this.aborted) return Promise.reject(Object.assign(new Error('the connection was dropped for a stop'), { code: 'NoConnection' }));
    if (this.client && stillUsable(this.client)) return Promise.resolve(this.client);
    if (!this.connecting) {
      this.client?.close();
      this.client = undefined;
      this.connecting = connectedClient(this.settings).then((client) => {
        this.client = client;
        return client;
      }).finally(() => { this.connecting = undefined; });
    }
    return this.connecting;
  }

  /** Runs `work` with the folder selected; a connection that failed is dropped, to be opened again. */
  private async inFolder<T>(folder: string, uidValidity: number | undefined, work: (client: ImapFlow) => Promise<T>): Promise<T> {
    const client = await this.session();
    try {
      const lock = await client.getMailboxLock(folder);
      try {
        let current = client.mailbox ? Number(client.mailbox.uidValidity) : undefined;
        if (uidValidity !== undefined && current !== uidValidity) {
          // The folder kept selected may be one deleted and created again since: imapflow
          // does not select it again by itself. Only a fresh SELECT says what it is now.
          await client.mailboxOpen(folder);
          current = client.mailbox ? Number(client.mailbox.uidValidity) : undefined;
        }
        if (uidValidity !== undefined && current !== uidValidity) {
          throw new MessageGone(`${this.account.label} ${folder}: the folder's UIDVALIDITY is ${current}, the notification's ${uidValidity}: the folder was recreated`);
        }
        return await work(client);
      } finally {
        lock.release();
      }
    } catch (error) {
      if (!client.usable) this.client = undefined;
      throw error;
    }
  }

  /**
   * A message announced small is fetched together with the others waiting for the same
   * folder, in one `UID FETCH 41,42,57 (ENVELOPE BODY.PEEK[])`: one round trip for many. A
   * large one (or one of unknown size) is streamed alone, in chunks, never held in memory.
   */
  download(at: MessageCoordinates, expected: ExpectedMessage, sink: Writable): Promise<number> {
    const coordinates = at as ImapCoordinates;
    const work = expected.size !== undefined && expected.size <= BATCH_MESSAGE_OCTETS
      ? new Promise<number>((resolve, reject) => this.queueDownload(coordinates, { uid: coordinates.uid, expected, sink, resolve, reject }))
      : this.downloadAlone(coordinates, expected, sink);
    // Whatever failed, the sink is not left open.
    return work.catch((error: unknown) => {
      sink.destroy();
      throw error;
    });
  }

  private queueDownload(at: ImapCoordinates, waiting: WaitingDownload): void {
    const key = folderKey(at);
    const queued = this.waitingDownloads.get(key);
    if (queued) {
      queued.push(waiting);
      return;
    }
    this.waitingDownloads.set(key, [waiting]);
    const take = () => {
      const batch = this.waitingDownloads.get(key) ?? [];
      this.waitingDownloads.delete(key);
      return batch;
    };
    // The batch is taken when the folder is ours: what arrives while another command runs joins it.
    let taken: WaitingDownload[] | undefined;
    void this.inFolder(at.folder, at.uidValidity, async (client) => {
      taken = take();
      await this.fetchBatch(client, at, taken);
    }).catch((error: unknown) => {
      for (const failed of taken ?? take()) failed.reject(error);
    });
  }

  /** `folder`: the coordinates of any message of the batch, which all share its folder and UIDVALIDITY. */
  private async fetchBatch(client: ImapFlow, folder: ImapCoordinates, batch: readonly WaitingDownload[]): Promise<void> {
    const where = (uid: number) => describeCoordinates(this.account, { ...folder, uid });
    // One UID may be waited for twice (the same message in hand twice): each waiter has its copy.
    const byUid = groupBy(batch, (waiting) => waiting.uid);
    const rejectAll = (error: (uid: number) => unknown) => {
      for (const [uid, waiters] of byUid) for (const waiting of waiters) waiting.reject(error(uid));
    };
    const fetchWaiting = async () => {
      this.settings.onDebug?.(`${this.account.label} ${folder.folder}: UID FETCH ${[...byUid.keys()].join(',')} (ENVELOPE BODY.PEEK[])`);
      for await (const message of client.fetch([...byUid.keys()].join(','), { uid: true, envelope: true, source: true }, { uid: true })) {
        const waiters = typeof message.uid === 'number' ? byUid.get(message.uid) : undefined;
        if (!waiters || !message.source) continue;
        byUid.delete(message.uid);
        const here = where(message.uid);
        for (const waiting of waiters) {
          try {
            checkMessageId(here, waiting.expected, message.envelope?.messageId);
            checkSize(here, waiting.expected, message.source.length);
            await endWith(waiting.sink, message.source);
            waiting.resolve(message.source.length);
          } catch (error) {
            waiting.reject(error);
          }
        }
      }
    };
    try {
      await fetchWaiting();
      if (byUid.size > 0) {
        // Mail appended while the folder was selected is not in the session's view until the
        // server says so: a NOOP brings its EXISTS, and what is still missing is asked again.
        await client.noop();
        await fetchWaiting();
      }
    } catch (error) {
      rejectAll(() => error);
      throw error;
    }
    rejectAll((uid) => new MessageGone(`${where(uid)} is no longer on the server (asked again after a NOOP)`));
  }

  private async downloadAlone(at: ImapCoordinates, expected: ExpectedMessage, sink: Writable): Promise<number> {
    const { folder, uidValidity, uid } = at;
    const where = describeCoordinates(this.account, at);
    const counting = counter();
    await this.inFolder(folder, uidValidity, async (client) => {
      // As in fetchBatch: a message the session does not see yet may come with a NOOP.
      const found = await client.fetchOne(String(uid), { uid: true, envelope: true }, { uid: true })
        || await client.noop().then(() => client.fetchOne(String(uid), { uid: true, envelope: true }, { uid: true }));
      if (!found) throw new MessageGone(`${where} is no longer on the server (asked again after a NOOP)`);
      checkMessageId(where, expected, found.envelope?.messageId);
      const download = await client.download(String(uid), undefined, { uid: true, chunkSize: DOWNLOAD_CHUNK_OCTETS });
      if (!('content' in download) || !download.content) throw new MessageGone(`${where} is no longer on the server`);
      await pipeline(download.content, counting, sink);
    });
    checkSize(where, expected, counting.octets);
    return counting.octets;
  }

  async apply(action: MailAction, messages: readonly MessageCoordinates[]): Promise<void> {
    if (action.kind === 'none' || messages.length === 0) return;
    // One command per folder and UIDVALIDITY.
    for (const group of groupBy(messages as readonly ImapCoordinates[], folderKey).values()) {
      const { folder, uidValidity } = group[0]!;
      const uids = group.map((message) => message.uid).join(',');
      if (action.kind === 'move') await this.ensureFolder(action.folder);
      let copies: number[] = [];
      try {
        await this.inFolder(folder, uidValidity, async (client) => {
          forgetCommandError(client);
          const done = (what: string) => (result: unknown) => taken(client, result, `${what} ${uids} in ${folder}`);
          switch (action.kind) {
            case 'seen': done('UID STORE +FLAGS \\Seen')(await client.messageFlagsAdd(uids, ['\\Seen'], { uid: true })); break;
            case 'flag': done(`UID STORE +FLAGS ${action.keyword}`)(await client.messageFlagsAdd(uids, [action.keyword], { uid: true })); break;
            case 'delete': await this.expungeOnly(client, uids); break;
            case 'move': {
              const moving = client.capabilities.has('MOVE');
              const result = moving ? await client.messageMove(uids, action.folder, { uid: true }) : await client.messageCopy(uids, action.folder, { uid: true });
              done(`UID ${moving ? 'MOVE' : 'COPY'} to ${action.folder} of`)(result);
              if (!moving) await this.expungeOnly(client, uids);
              // The server's COPYUID (UIDPLUS): which copies this command made, if any.
              copies = result && result.uidMap ? [...result.uidMap.values()] : [];
              break;
            }
          }
          this.settings.onDebug?.(`${this.account.label} ${folder}: mailAction ${mailActionWords(action)} of UIDs ${uids} done${copies.length > 0 ? ` (copies UIDs ${copies.join(',')} in ${action.kind === 'move' ? action.folder : ''})` : ''}`);
        });
      } catch (error) {
        // The folder recreated since: none of these UIDs names our messages any more; nothing to tidy.
        if (!(error instanceof MessageGone)) throw error;
      }
      if (action.kind === 'move') await this.removeSurplusCopies(action.folder, copies);
    }
  }

  /**
   * Another session may have moved the same messages at the same moment (duplicateCopies.ts):
   * the target folder is asked for their copies, and all but one of each are removed. The
   * move itself is done whatever happens here: a failure is said, not thrown, since trying
   * the move again would not look for the copies again.
   */
  private async removeSurplusCopies(folder: string, copies: readonly number[]): Promise<void> {
    if (copies.length === 0) return;
    try {
      await this.inFolder(folder, undefined, async (client) => {
        const surplus = await findSurplusCopies(client, copies);
        if (surplus.length === 0) return;
        await this.expungeOnly(client, surplus.join(','));
        this.settings.onNotice?.(`${this.account.label} ${folder}: ${surplus.length} copies of messages moved there by two sessions at once were removed (UIDs ${surplus.join(',')})`);
      });
    } catch (error) {
      this.settings.onNotice?.(`${this.account.label} ${folder}: could not look for copies made by another session moving the same messages: ${(error as Error)?.message ?? String(error)}`);
    }
  }

  /**
   * Removes exactly these UIDs: \\Deleted, then UID EXPUNGE (UIDPLUS). Never a plain
   * EXPUNGE, which removes every \\Deleted message of the folder, another client's too
   * (imapflow falls back to it without UIDPLUS): there the messages stay marked \\Deleted,
   * for the server or the user to expunge, and that is said once.
   */
  private async expungeOnly(client: ImapFlow, uids: string): Promise<void> {
    if (client.capabilities.has('UIDPLUS')) {
      taken(client, await client.messageDelete(uids, { uid: true }), `UID EXPUNGE of ${uids}`);
      return;
    }
    taken(client, await client.messageFlagsAdd(uids, ['\\Deleted'], { uid: true }), `UID STORE +FLAGS \\Deleted of ${uids}`);
    if (!this.saidNoUidplus) {
      this.saidNoUidplus = true;
      this.settings.onNotice?.(`${this.account.label}: the server has no UIDPLUS, so tidied messages are marked \\Deleted and left for it to expunge (a plain EXPUNGE would remove other clients' deleted mail too)`);
    }
  }

  /**
   * Creates the target folder of a move the first time it is needed. Whether it exists is
   * asked of the server (STATUS), before and after a CREATE that fails, never read from the
   * words of the refusal: Courier says `NO Cannot create this folder.` of one that exists.
   */
  private async ensureFolder(folder: string): Promise<void> {
    if (this.created.has(folder)) return;
    const client = await this.session();
    try {
      if (await folderExists(client, folder) !== true) {
        try {
          await client.mailboxCreate(folder);
        } catch (error) {
          // Created meanwhile by another subscribe, or there all along: the server says which.
          if (await folderExists(client, folder) !== true) {
            const answer = (error as { responseText?: string }).responseText;
            throw Object.assign(new Error(`cannot create the folder "${folder}" for mailAction move${answer ? `: the server said "${answer}"` : ''}`), { cause: error });
          }
        }
      }
    } catch (error) {
      if (!client.usable) this.client = undefined;
      throw error;
    }
    this.created.add(folder);
  }

  abort(): void {
    this.aborted = true;
    const client = this.client;
    this.client = undefined;
    client?.close();
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) await closeClient(client);
  }
}
