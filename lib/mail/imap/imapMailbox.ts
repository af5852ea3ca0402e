// One IMAP account through imapflow, for the poll: which folders to watch, a cheap STATUS
// per folder to tell whether anything is new, and the headers of new messages. Nothing here
// changes the mailbox: folders are opened read-only (EXAMINE) and headers are fetched as
// ENVELOPE, which never sets \Seen.
import { type FetchMessageObject, ImapFlow, type ImapFlowOptions, type ListResponse, type SearchObject } from 'imapflow';
import type { MailAccount } from '../account.js';
import { optional } from '../../system/optional.js';
import { headerDate, headerMessageId, type HeaderProblems, headerText } from '../headerValues.js';
import { type TlsSettings, tlsConnectOptions } from '../tls.js';

export interface WatchedFolder {
  /** the folder's name on the server, decoded from modified UTF-7 */
  readonly path: string;
  /** its hierarchy levels, for relPath and the topic: `INBOX.Invoices` -> INBOX, Invoices */
  readonly levels: readonly string[];
}

export interface FolderStatus {
  readonly uidValidity: number;
  /** undefined when the server did not say (or said nonsense): every pass then searches */
  readonly uidNext: number | undefined;
}

export interface MessageHeader {
  readonly uid: number;
  readonly size: number;
  /** undefined when the server's INTERNALDATE is no date */
  readonly internalDate?: Date;
  readonly messageId?: string;
  readonly subject?: string;
  readonly from?: string;
  readonly to?: string;
  readonly date?: Date;
  /** what the headers said that could not be used: logged once, never a reason to stop */
  readonly problems: HeaderProblems;
}

/** The connection is gone or timed out: the pass fails as a whole, to be tried again. */
function isConnectionFailure(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' && /^(E[A-Z]+|NoConnection|EConnectionClosed|StateLogout|ClosedAfterConnect.*|.*TIMEOUT|LockTimeout)$/.test(code) && code !== 'ETHROTTLE';
}

/** What a header FETCH found: the headers asked for, and the UIDs the server gave none for. */
export interface FetchedHeaders {
  readonly headers: MessageHeader[];
  readonly missing: number[];
}

const SPECIAL_USE = /^\\[A-Za-z]+$/;

/**
 * The names a configured folder may have on the server: as written, then inside the
 * personal namespace (`Processed` is `INBOX.Processed` on Cyrus and Courier), as imapflow
 * resolves the target of a move, so that `folder` and `mailAction move` name the same folder.
 */
export function folderNames(namespace: { prefix?: string } | undefined, name: string): string[] {
  const prefix = namespace?.prefix ?? '';
  return prefix && name.toUpperCase() !== 'INBOX' && !name.startsWith(prefix) ? [name, `${prefix}${name}`] : [name];
}

function addresses(list: ReadonlyArray<{ name?: string; address?: string }> | undefined): string | undefined {
  if (!list || list.length === 0) return undefined;
  return list.map((a) => (a.name ? `${a.name} <${a.address ?? ''}>` : a.address ?? '')).join(', ');
}

type Envelope = NonNullable<FetchMessageObject['envelope']>;

/** A message's header from its FETCH answer, whatever the sender put in it. */
function messageHeader(uid: number, size: number, internalDate: unknown, envelope: Envelope): MessageHeader {
  const problems: HeaderProblems = [];
  return {
    uid,
    size,
    ...optional('internalDate', headerDate(internalDate, 'INTERNALDATE', problems)),
    ...optional('messageId', headerMessageId(envelope.messageId, problems)),
    ...optional('subject', headerText(envelope.subject, 'Subject', problems)),
    ...optional('from', headerText(addresses(envelope.from), 'From', problems)),
    ...optional('to', headerText(addresses(envelope.to), 'To', problems)),
    ...optional('date', headerDate(envelope.date, 'Date', problems)),
    problems,
  };
}

export interface ImapConnectionSettings {
  readonly account: MailAccount;
  readonly password: string;
  /** OAuth2 (credentials.conf oauth2=): an access token for each connection, instead of the password; `refused`: the one just refused */
  readonly accessToken?: (refused?: string) => Promise<string>;
  /** when the last token given expires: the connection is renewed a minute before (Exchange ends it then) */
  readonly tokenExpiresAt?: () => number | undefined;
  /** the SASL mechanism credentials.conf's sasl= asks for; else imapflow's choice (OAUTHBEARER where offered) */
  readonly sasl?: 'XOAUTH2' | 'OAUTHBEARER';
  readonly tls: TlsSettings;
  readonly timeoutMs: number;
  /** COMPRESS=DEFLATE where the server offers it (option imapCompress); off when absent */
  readonly compress?: boolean;
  /** more imapflow options: the poll benchmark passes a logger that counts commands */
  readonly clientOptions?: Partial<ImapFlowOptions>;
  /** a line the account's owner should read once (what the server lacks) */
  readonly onNotice?: (line: string) => void;
  /** the commands' summaries, for logLevel debug (never a password nor a message's bytes) */
  readonly onDebug?: (line: string) => void;
}

/**
 * imapflow answers a refused MOVE, COPY, STORE or EXPUNGE with `false`, the server's error
 * only logged: the last one is kept here, by client, for the caller to throw.
 */
const lastCommandErrors = new WeakMap<ImapFlow, unknown>();

export function lastCommandError(client: ImapFlow): unknown {
  return lastCommandErrors.get(client);
}

export function forgetCommandError(client: ImapFlow): void {
  lastCommandErrors.delete(client);
}

/**
 * An imapflow client for the account, not yet connected. STARTTLS is required on imap://
 * unless `tls off`. With OAuth2, imapflow signs in with `token` by AUTHENTICATE OAUTHBEARER,
 * or XOAUTH2 where only that is offered.
 */
function imapClient(settings: ImapConnectionSettings, extra: Partial<ImapFlowOptions>, token: string | undefined): ImapFlow {
  const { account, tls, timeoutMs } = settings;
  const auth = token !== undefined ? { user: account.user, accessToken: token } : { user: account.user, pass: settings.password };
  const ignore = () => undefined;
  const logger = {
    debug: ignore, info: ignore, error: ignore,
    warn: (entry: { err?: unknown }) => { if (entry?.err) lastCommandErrors.set(client, entry.err); },
  };
  const client: ImapFlow = new ImapFlow({
    host: account.host,
    port: account.port,
    secure: account.implicitTls,
    ...(account.implicitTls ? {} : { doSTARTTLS: tls.required }),
    tls: tlsConnectOptions(tls, account.host),
    auth,
    logger,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: Math.max(timeoutMs, 5 * 60 * 1000),
    disableAutoIdle: true,
    // imapflow turns COMPRESS=DEFLATE on wherever offered: on loopback a fetch of 80 MB took
    // 2.8-3.5 s compressed against 0.4-0.5 s plain, so it is asked for only on request.
    disableCompression: settings.compress !== true,
    ...settings.clientOptions,
    ...extra,
  });
  // imapflow reports a broken connection as an 'error' event: unhandled, it would end the process.
  client.on('error', () => undefined);
  if (token !== undefined && settings.sasl) onlyMechanism(client, settings.sasl);
  return client;
}

/**
 * imapflow takes OAUTHBEARER where the server offers it, else XOAUTH2, with no option to
 * choose: the other mechanism is hidden from it just before it authenticates (sasl=).
 */
function onlyMechanism(client: ImapFlow, mechanism: 'XOAUTH2' | 'OAUTHBEARER'): void {
  const hidden = mechanism === 'XOAUTH2' ? ['AUTH=OAUTHBEARER'] : ['AUTH=XOAUTH', 'AUTH=XOAUTH2'];
  // run() is imapflow's internal command runner (not in its types): connect() calls run('AUTHENTICATE').
  const internal = client as unknown as { run: (command: string, ...args: unknown[]) => Promise<unknown> };
  const run = internal.run.bind(client);
  internal.run = (command, ...args) => {
    if (command === 'AUTHENTICATE') for (const capability of hidden) client.capabilities.delete(capability);
    return run(command, ...args);
  };
}

/** Before its token expires, a connection is replaced: a minute in hand. */
const RENEW_BEFORE_EXPIRY_MS = 60_000;
const renewals = new WeakMap<ImapFlow, number>();

/**
 * A connected, signed-in client. With OAuth2 a token the server refuses is not tried again:
 * a fresh one is asked for and tried once; a fresh token refused is the mail server's
 * configuration (tagged `freshTokenRefused`, for describeMailError). `prepare` attaches
 * listeners before the connection opens.
 */
export async function connectedClient(settings: ImapConnectionSettings, extra: Partial<ImapFlowOptions> = {}, prepare: (client: ImapFlow) => void = () => undefined): Promise<ImapFlow> {
  const attempt = async (token: string | undefined) => {
    const client = imapClient(settings, extra, token);
    prepare(client);
    try {
      await client.connect();
    } catch (error) {
      client.close();
      throw error;
    }
    const expiry = token !== undefined ? settings.tokenExpiresAt?.() : undefined;
    // A minute in hand, or half of what is left for a short-lived token.
    if (expiry !== undefined) renewals.set(client, Math.max(expiry - RENEW_BEFORE_EXPIRY_MS, Date.now() + (expiry - Date.now()) / 2));
    return client;
  };
  if (!settings.accessToken) return attempt(undefined);
  const first = await settings.accessToken();
  try {
    return await attempt(first);
  } catch (error) {
    if (!(error as { authenticationFailed?: boolean }).authenticationFailed) throw error;
    try {
      return await attempt(await settings.accessToken(first));
    } catch (second) {
      if ((second as { authenticationFailed?: boolean }).authenticationFailed) Object.assign(second as object, { freshTokenRefused: true });
      throw second;
    }
  }
}

/** When the connection must be replaced for its token's sake (ms since the epoch), if it must. */
export function renewalTime(client: ImapFlow): number | undefined {
  return renewals.get(client);
}

/** Usable, and its token not about to expire. */
export function stillUsable(client: ImapFlow | undefined): boolean {
  return client?.usable === true && (renewals.get(client) ?? Infinity) > Date.now();
}

const LOGOUT_WAIT_MS = 3000;

/** LOGOUT, but no longer than LOGOUT_WAIT_MS: then the socket is closed. */
export async function closeClient(client: ImapFlow): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([client.logout().catch(() => undefined), new Promise((resolve) => { timer = setTimeout(resolve, LOGOUT_WAIT_MS); })]);
  clearTimeout(timer);
  client.close();
}

function watchedFolder(box: ListResponse): WatchedFolder {
  return { path: box.path, levels: box.delimiter ? box.path.split(box.delimiter) : [box.path] };
}

export class ImapMailbox {
  private client: ImapFlow | undefined;

  constructor(private readonly settings: ImapConnectionSettings) {}

  get account(): MailAccount {
    return this.settings.account;
  }

  async connect(): Promise<void> {
    this.client = await connectedClient(this.settings);
  }

  get connected(): boolean {
    return stillUsable(this.client);
  }

  private get session(): ImapFlow {
    if (!this.client) throw new Error(`${this.account.label}: not connected`);
    return this.client;
  }

  /**
   * The folders to watch: each configured one (a name, or a special-use name such as
   * \Junk), and with `recursive` every folder below it at any depth.
   */
  async watchedFolders(configured: readonly string[], recursive: boolean): Promise<WatchedFolder[]> {
    const listed = await this.session.list();
    const chosen = new Map<string, ListResponse>();
    for (const wanted of configured.length > 0 ? configured : ['INBOX']) {
      const names = folderNames(this.session.namespace, wanted);
      const match = listed.find((box) => (SPECIAL_USE.test(wanted)
        ? box.specialUse?.toLowerCase() === wanted.toLowerCase() || (wanted.toLowerCase() === '\\inbox' && box.path.toUpperCase() === 'INBOX')
        : names.includes(box.path) || (wanted.toUpperCase() === 'INBOX' && box.path.toUpperCase() === 'INBOX')));
      if (!match) {
        const tried = SPECIAL_USE.test(wanted) ? `no folder is marked ${wanted}` : `tried ${names.map((name) => `"${name}"`).join(' and ')}`;
        throw new Error(`${this.account.label}: no folder "${wanted}" (${tried}; the server has ${listed.map((b) => b.path).join(', ')})`);
      }
      chosen.set(match.path, match);
      if (recursive) {
        for (const box of listed) if (box.delimiter && box.path.startsWith(`${match.path}${box.delimiter}`)) chosen.set(box.path, box);
      }
    }
    return [...chosen.values()].map(watchedFolder);
  }

  /** Every folder of the account (sr reingest finds a message's folder by its levels). */
  async allFolders(): Promise<WatchedFolder[]> {
    const listed = await this.session.list();
    return listed.map(watchedFolder);
  }

  /** One round trip whatever the folder's size. */
  async status(folder: string): Promise<FolderStatus> {
    const status = await this.session.status(folder, { uidValidity: true, uidNext: true });
    if (!status) throw new Error(`${this.account.label}: STATUS ${folder} failed`);
    const uidValidity = Number(status.uidValidity);
    if (!Number.isSafeInteger(uidValidity) || uidValidity <= 0) throw new Error(`${this.account.label}: the server gave ${folder} no UIDVALIDITY (it said ${String(status.uidValidity)})`);
    const uidNext = Number(status.uidNext);
    return { uidValidity, uidNext: Number.isSafeInteger(uidNext) && uidNext > 0 ? uidNext : undefined };
  }

  /**
   * The UIDs above `afterUid` that match the search, and the headers of the first `limit` of
   * them, under one EXAMINE. The folder is closed again: a server answers STATUS for a
   * folder its session has selected from the session's own, unsynchronised view.
   */
  /** The UIDs above `afterUid` (up to `untilUid` when given) that match, and the headers of the first `limit`. */
  async newMessages(folder: string, afterUid: number, search: SearchObject | undefined, limit: number, untilUid?: number): Promise<{ uids: number[] } & FetchedHeaders> {
    return this.withFolder(folder, async (client) => {
      const found = await client.search({ ...search, uid: `${afterUid + 1}:${untilUid ?? '*'}` }, { uid: true });
      // `n:*` always includes the highest UID, even when it is below n.
      const uids = (found || []).filter((uid) => Number.isSafeInteger(uid) && uid > afterUid && (untilUid === undefined || uid <= untilUid)).sort((a, b) => a - b);
      const wanted = uids.slice(0, limit);
      const first = await this.fetchHeaders(wanted);
      // A server may leave a UID out of one answer (busy, or a response cut short): asked once more.
      const again = first.missing.length > 0 ? await this.fetchHeaders(first.missing) : { headers: [], missing: [] };
      return { uids, headers: [...first.headers, ...again.headers].sort((a, b) => a.uid - b.uid), missing: again.missing };
    });
  }

  /** Runs `work` with the folder opened read-only (EXAMINE: nothing is marked), and closes it after. */
  async withFolder<T>(folder: string, work: (client: ImapFlow) => Promise<T>): Promise<T> {
    const lock = await this.session.getMailboxLock(folder, { readOnly: true });
    try {
      return await work(this.session);
    } finally {
      lock.release();
      await this.session.mailboxClose();
    }
  }

  /**
   * Only the answers to this FETCH: while another session marks messages \\Seen, the server
   * also sends `* n FETCH (FLAGS ...)` updates, which carry no UID, size or envelope. A
   * header is made only from a response that has the UID asked for and every field asked.
   * A FETCH the client cannot read (an envelope past its parser's limits) is asked again
   * one UID at a time, so that one message's header never stops the others.
   */
  private async fetchHeaders(uids: readonly number[]): Promise<FetchedHeaders> {
    if (uids.length === 0) return { headers: [], missing: [] };
    try {
      return await this.fetchTogether(uids);
    } catch (error) {
      if (isConnectionFailure(error) || uids.length === 1) throw error;
      const alone = await Promise.all(uids.map(async (uid) => this.fetchTogether([uid]).catch((failure: unknown) => {
        if (isConnectionFailure(failure)) throw failure;
        return this.sizeOnly(uid, failure);
      })));
      return { headers: alone.flatMap((found) => found.headers), missing: alone.flatMap((found) => found.missing) };
    }
  }

  private async fetchTogether(uids: readonly number[]): Promise<FetchedHeaders> {
    const wanted = new Set(uids);
    const headers = new Map<number, MessageHeader>();
    for await (const message of this.session.fetch(uids.join(','), { uid: true, size: true, internalDate: true, envelope: true }, { uid: true })) {
      const uid = message.uid;
      if (typeof uid !== 'number' || !wanted.has(uid) || headers.has(uid)) continue;
      if (typeof message.size !== 'number' || !message.envelope) continue;
      headers.set(uid, messageHeader(uid, message.size, message.internalDate, message.envelope));
    }
    return { headers: [...headers.values()], missing: uids.filter((uid) => !headers.has(uid)) };
  }

  /** The header of a message whose envelope could not be read: its UID and size are enough to ingest it. */
  private async sizeOnly(uid: number, failure: unknown): Promise<FetchedHeaders> {
    const found = await this.session.fetchOne(String(uid), { uid: true, size: true }, { uid: true }).catch(() => false as const);
    if (!found || typeof found.size !== 'number') return { headers: [], missing: [uid] };
    const problems = [`its envelope could not be read (${(failure as Error)?.message ?? String(failure)})`];
    return { headers: [{ uid, size: found.size, problems }], missing: [] };
  }

  /** Logs out, or closes the connection when the server does not answer within a few seconds (a stop must not wait on it). */
  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) await closeClient(client);
  }
}
