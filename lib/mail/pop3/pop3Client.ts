// A POP3 client: RFC 1939 (USER/PASS, STAT, LIST, UIDL, TOP, RETR, DELE, QUIT), RFC 2449
// CAPA, RFC 2595 STLS, RFC 6856 UTF8. Written here because node-pop3 0.11 does not read POP3 correctly
// (docs/decisions.md). Replies are read as bytes, line by line across network reads,
// multi-line data is dot-unstuffed, and RETR streams the message to a writable.
import net from 'node:net';
import tls from 'node:tls';
import type { Writable } from 'node:stream';
import type { MailAccount } from '../account.js';
import { type TlsSettings, tlsConnectOptions } from '../tls.js';
import type { LoginGate } from './loginGate.js';

export interface Pop3Settings {
  readonly account: MailAccount;
  readonly password: string;
  /** OAuth2 (credentials.conf oauth2=): a fresh access token for each session, instead of the password */
  readonly accessToken?: (refused?: string) => Promise<string>;
  /** the mechanism to use (credentials.conf sasl=); else OAUTHBEARER where offered, else XOAUTH2 */
  readonly sasl?: 'XOAUTH2' | 'OAUTHBEARER';
  readonly tls: TlsSettings;
  readonly timeoutMs: number;
  /** the logins of every process of this host that uses the account, kept LOGIN-DELAY apart */
  readonly gate?: LoginGate;
  /** ends a wait for the gate (a stop) */
  readonly stopped?: () => boolean;
  /** told when a login waits for the server's LOGIN-DELAY */
  readonly onWait?: (line: string) => void;
  /** the commands' summaries, for logLevel debug (never a password nor a message's bytes) */
  readonly onDebug?: (line: string) => void;
}

/**
 * What failed: `auth` the password, `busy` a refusal that passes (RFC 2449 LOGIN-DELAY,
 * IN-USE, SYS/TEMP: a login too soon, the maildrop locked, the server's own trouble).
 */
export class Pop3Error extends Error {
  constructor(message: string, readonly kind: 'auth' | 'busy' | 'tls' | 'protocol' | 'connection') {
    super(message);
  }
}

const CRLF = Buffer.from('\r\n');
/** The header kept of a message: more than any real one; a hostile one is cut there. */
const MAX_HEADER_BYTES = 256 * 1024;

/** Bytes buffered from the socket before it is paused: what a slow sink may have waiting. */
const HIGH_WATER = 1024 * 1024;
/** A line longer than this is handed on in pieces (a base64 body without line breaks). */
const MAX_PIECE = 1024 * 1024;

/** A line, or a piece of one too long to hold: `ended` says whether its CRLF came. */
interface LinePiece {
  readonly data: Buffer;
  readonly ended: boolean;
}

/**
 * Lines from a socket, whatever the network reads look like. Each byte is looked at once
 * (a line spread over many reads is not searched again from its start) and at most about
 * HIGH_WATER + MAX_PIECE bytes are held: past that the socket is paused until they are taken.
 */
class LineReader {
  private chunks: Buffer[] = [];
  private held = 0;
  /** where the search for CRLF goes on: chunks before `searchChunk` hold none */
  private searchChunk = 0;
  private waiting: (() => void) | undefined;
  private failure: Error | undefined;

  constructor(private socket: net.Socket, private readonly timeoutMs: number) {
    this.attach(socket);
  }

  attach(socket: net.Socket): void {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.held += chunk.length;
      if (this.held > HIGH_WATER) socket.pause();
      this.wake();
    });
    const fail = (error: Error) => {
      this.failure ??= error;
      this.wake();
    };
    socket.on('error', (error) => fail(new Pop3Error(error.message, 'connection')));
    socket.on('close', () => fail(new Pop3Error('the server closed the connection', 'connection')));
    socket.setTimeout(this.timeoutMs, () => {
      fail(new Pop3Error(`no answer for ${Math.round(this.timeoutMs / 1000)}s`, 'connection'));
      socket.destroy();
    });
  }

  /** Stops reading this socket (before STLS wraps it); bytes already read must not exist. */
  detach(): Buffer {
    this.socket.removeAllListeners('data');
    this.socket.removeAllListeners('error');
    this.socket.removeAllListeners('close');
    this.socket.setTimeout(0);
    const rest = Buffer.concat(this.chunks);
    this.chunks = [];
    this.held = 0;
    this.searchChunk = 0;
    return rest;
  }

  private wake(): void {
    const waiter = this.waiting;
    this.waiting = undefined;
    waiter?.();
  }

  /** Takes the first `length` bytes held, and drops `skip` more (the CRLF); copies only what it takes. */
  private take(length: number, skip: number): Buffer {
    const parts: Buffer[] = [];
    const consume = (count: number, keep: boolean) => {
      for (let left = count; left > 0;) {
        const chunk = this.chunks[0]!;
        const used = Math.min(left, chunk.length);
        if (keep) parts.push(chunk.subarray(0, used));
        if (used === chunk.length) this.chunks.shift();
        else this.chunks[0] = chunk.subarray(used);
        left -= used;
      }
    };
    consume(length, true);
    consume(skip, false);
    this.held -= length + skip;
    this.searchChunk = 0;
    if (this.held <= HIGH_WATER) this.socket.resume();
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }

  /** Where the first CRLF starts in what is held, or -1. */
  private findCrlf(): number {
    let offset = 0;
    for (let index = 0; index < this.chunks.length; index += 1) {
      const chunk = this.chunks[index]!;
      if (index >= this.searchChunk) {
        const found = chunk.indexOf(CRLF);
        if (found >= 0) return offset + found;
        const next = this.chunks[index + 1];
        if (chunk[chunk.length - 1] === 0x0d && next && next[0] === 0x0a) return offset + chunk.length - 1;
        // The last chunk may end in CR, its LF still to come: it is looked at again.
        if (index < this.chunks.length - 1) this.searchChunk = index + 1;
      }
      offset += chunk.length;
    }
    return -1;
  }

  /** The next line without its CRLF, or with `pieces` a piece of a long one. */
  async piece(pieces: boolean): Promise<LinePiece> {
    for (;;) {
      const end = this.findCrlf();
      if (end >= 0) return { data: this.take(end, 2), ended: true };
      // A piece never ends in CR: the CR and its LF may be split across reads.
      if (pieces && this.held >= MAX_PIECE) return { data: this.take(this.held - 1, 0), ended: false };
      if (this.failure) throw this.failure;
      await new Promise<void>((resolve) => { this.waiting = resolve; });
    }
  }

  async line(): Promise<Buffer> {
    return (await this.piece(false)).data;
  }
}

/**
 * The Message-ID of a raw header block (unfolded, trimmed), as both the poll announces it
 * and the subscribe checks it: one reading on both sides, whatever mailparser would make of it.
 */
export function pop3MessageId(header: Buffer): string | undefined {
  const text = header.toString('latin1');
  return /^message-id:[ \t]*(.*(?:\r\n[ \t].*)*)/im.exec(text)?.[1]?.replace(/\r\n[ \t]+/g, ' ').trim() || undefined;
}

export class Pop3Client {
  private reader: LineReader;
  /** CAPA's names, each with its arguments (`LOGIN-DELAY` -> `60`) */
  private capabilities = new Map<string, string>();

  private constructor(private socket: net.Socket, private readonly settings: Pop3Settings) {
    this.reader = new LineReader(socket, settings.timeoutMs);
  }

  /**
   * Connects, upgrades with STLS on pop:// (required unless `tls off`), and logs in; with a
   * gate, not before this process's turn, so logins stay LOGIN-DELAY apart.
   */
  static async connect(settings: Pop3Settings): Promise<Pop3Client> {
    const { account, gate } = settings;
    if (gate) {
      const onWait = (seconds: number) => settings.onWait?.(`${account.label}: the server wants POP3 logins of ${account.user} at least ${gate.delayOf(account.label)} s apart (LOGIN-DELAY): waiting ${seconds} s for the next`);
      if (!await gate.turn(account.label, settings.stopped ?? (() => false), onWait)) throw new Pop3Error('the login was given up for a stop', 'connection');
    }
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const options = { host: account.host, port: account.port, timeout: settings.timeoutMs };
      const opened = account.implicitTls
        ? tls.connect({ ...options, ...tlsConnectOptions(settings.tls, account.host) }, () => resolve(opened))
        : net.connect(options, () => resolve(opened));
      opened.once('error', (error) => reject(new Pop3Error(error.message, 'connection')));
    });
    const client = new Pop3Client(socket, settings);
    try {
      await client.status();
      await client.readCapabilities();
      if (!account.implicitTls && settings.tls.required) await client.startTls();
      gate?.learn(account.label, client.loginDelaySeconds);
      await client.utf8();
      try {
        await client.login();
      } finally {
        gate?.loggedIn(account.label);
      }
      return client;
    } catch (error) {
      client.socket.destroy();
      throw error;
    }
  }

  /**
   * RFC 6856 UTF8 where offered: without it Courier hands a message whose header is UTF-8
   * (RFC 6532) over as a "Cannot display Unicode content" report with the mail inside, and
   * its attachments are lost to whoever reads it. A refusal changes nothing.
   */
  private async utf8(): Promise<void> {
    if (!this.capabilities.has('UTF8')) return;
    await this.command('UTF8').catch((error: unknown) => {
      if (!(error instanceof Pop3Error) || error.kind !== 'protocol') throw error;
    });
  }

  /** The seconds the server wants between logins (CAPA LOGIN-DELAY), 0 when it said nothing. */
  get loginDelaySeconds(): number {
    const delay = Number.parseInt(this.capabilities.get('LOGIN-DELAY') ?? '', 10);
    return Number.isSafeInteger(delay) && delay > 0 ? delay : 0;
  }

  /** Whether the connection can still carry a command (our socket timeout or the server may have cut it). */
  get usable(): boolean {
    return !this.socket.destroyed && this.socket.writable;
  }

  private async send(command: string): Promise<void> {
    // Node's own words for a write to a closed socket ("Cannot call write after a stream was destroyed") say nothing to a user.
    if (!this.usable) throw new Pop3Error('the connection was closed (by the server, or after no answer within timeout)', 'connection');
    await new Promise<void>((resolve, reject) => this.socket.write(`${command}\r\n`, (error) => (error ? reject(new Pop3Error(error.message, 'connection')) : resolve())));
  }

  /** Reads a status line: the text after +OK, or a Pop3Error with the server's words after -ERR. */
  private async status(what = 'the greeting'): Promise<string> {
    const line = (await this.reader.line()).toString('latin1');
    if (line.startsWith('+OK')) return line.slice(3).trim();
    if (line.startsWith('-ERR')) throw new Pop3Error(`${what}: ${line.slice(4).trim() || 'refused'}`, 'protocol');
    throw new Pop3Error(`${what}: the server answered "${line.slice(0, 80)}", which is not POP3`, 'protocol');
  }

  private async command(command: string, shown = command): Promise<string> {
    await this.send(command);
    return this.status(shown);
  }

  /**
   * Multi-line data after a +OK, dot-unstuffed, each line given with its CRLF; a line over
   * MAX_PIECE comes in pieces, the last with the CRLF, so memory stays bounded.
   */
  private async readData(onLine: (line: Buffer) => Promise<void> | void): Promise<void> {
    let lineStart = true;
    for (;;) {
      const { data, ended } = await this.reader.piece(true);
      if (lineStart && ended && data.length === 1 && data[0] === 0x2e) return;
      // RFC 1939 3: a line starting with "." was sent with one more "."
      const content = lineStart && data[0] === 0x2e ? data.subarray(1) : data;
      await onLine(ended ? Buffer.concat([content, CRLF]) : content);
      lineStart = ended;
    }
  }

  private async readCapabilities(): Promise<void> {
    this.capabilities = new Map();
    await this.send('CAPA');
    try {
      await this.status('CAPA');
    } catch (error) {
      if (error instanceof Pop3Error && error.kind === 'protocol') return; // a server without CAPA (RFC 1939 only)
      throw error;
    }
    await this.readData((line) => {
      const [name = '', ...args] = line.toString('latin1').trim().split(/\s+/);
      this.capabilities.set(name.toUpperCase(), args.join(' '));
    });
  }

  private async startTls(): Promise<void> {
    const { account } = this.settings;
    if (!this.capabilities.has('STLS')) throw new Pop3Error('the server does not offer STLS, so the password would travel in clear', 'tls');
    await this.command('STLS');
    // Anything the server sent after its +OK and before the handshake was injected on the way.
    if (this.reader.detach().length > 0) throw new Pop3Error('data after the STLS answer, before TLS: refused', 'tls');
    const secure = await new Promise<tls.TLSSocket>((resolve, reject) => {
      const upgraded = tls.connect({ socket: this.socket, ...tlsConnectOptions(this.settings.tls, account.host) }, () => resolve(upgraded));
      upgraded.once('error', (error) => reject(new Pop3Error(error.message, 'tls')));
    });
    this.socket = secure;
    this.reader = new LineReader(secure, this.settings.timeoutMs);
    await this.readCapabilities(); // RFC 2595 4: what was said in clear is forgotten
  }

  private async login(): Promise<void> {
    const { account } = this.settings;
    if (this.settings.accessToken) return this.loginWithToken(this.settings.accessToken);
    try {
      await this.command(`USER ${account.user}`);
      await this.command(`PASS ${this.settings.password}`, 'PASS');
    } catch (error) {
      if (!(error instanceof Pop3Error) || error.kind !== 'protocol') throw error;
      const answer = error.message.replace(/^(USER|PASS[^:]*): /, '');
      // RFC 2449 8: these response codes say the password was not the reason.
      if (/^\[(LOGIN-DELAY|IN-USE|SYS\/TEMP)\]/i.test(answer)) throw new Pop3Error(`the server refused the login of ${account.user} for now: ${answer}`, 'busy');
      throw new Pop3Error(`login failed for ${account.user}: ${answer}`, 'auth');
    }
  }

  /**
   * SASL OAUTHBEARER (RFC 7628), or XOAUTH2 where only that is offered, in the two-line form
   * (RFC 5034 forbids a first line this long, though Dovecot takes it). A refusal comes as a
   * challenge with the server's JSON, which is answered (or the server waits for ever) and
   * shown; the token never is.
   */
  private async loginWithToken(accessToken: (refused?: string) => Promise<string>): Promise<void> {
    const { account } = this.settings;
    const offered = (this.capabilities.get('SASL') ?? '').toUpperCase().split(/\s+/).filter(Boolean);
    const wanted = this.settings.sasl;
    if (wanted && !offered.includes(wanted)) throw new Pop3Error(`the server does not offer AUTH ${wanted}, which sasl= asks for (its CAPA SASL says: ${offered.join(' ') || 'nothing'})`, 'auth');
    const mechanism = wanted ?? (offered.includes('OAUTHBEARER') ? 'OAUTHBEARER' : offered.includes('XOAUTH2') ? 'XOAUTH2' : undefined);
    if (!mechanism) throw new Pop3Error(`the server offers no OAuth2 sign-in (its CAPA SASL says: ${offered.join(' ') || 'nothing'}): oauth2= needs XOAUTH2 or OAUTHBEARER`, 'auth');
    const first = await accessToken();
    const refusal = await this.authenticate(mechanism, first);
    if (refusal === undefined) return;
    // A refused token is not tried again: a fresh one is, once, in the same session (RFC 5034 allows another AUTH).
    const again = await this.authenticate(mechanism, await accessToken(first));
    if (again === undefined) return;
    throw Object.assign(new Pop3Error(`the server refused the OAuth2 token for ${account.user} (AUTH ${mechanism}): ${again}`, 'auth'), { freshTokenRefused: true });
  }

  /** One AUTH exchange: undefined when accepted, else what the server said. */
  private async authenticate(mechanism: 'OAUTHBEARER' | 'XOAUTH2', token: string): Promise<string | undefined> {
    const { account } = this.settings;
    const payload = mechanism === 'XOAUTH2'
      ? `user=${account.user}\x01auth=Bearer ${token}\x01\x01`
      : `n,a=${account.user},\x01host=${account.host}\x01port=${account.port}\x01auth=Bearer ${token}\x01\x01`;
    await this.send(`AUTH ${mechanism}`);
    let line = (await this.reader.line()).toString('latin1');
    if (line.startsWith('+') && !line.startsWith('+OK')) {
      await this.send(Buffer.from(payload).toString('base64'));
      line = (await this.reader.line()).toString('latin1');
    }
    if (line.startsWith('+OK')) return undefined;
    let said = line.startsWith('-ERR') ? line.slice(4).trim() : '';
    if (line.startsWith('+')) {
      // The error challenge: its JSON says why (`{"status":"401",...}`); an empty answer ends the exchange.
      said = Buffer.from(line.slice(1).trim(), 'base64').toString('utf8').slice(0, 200);
      await this.send(mechanism === 'OAUTHBEARER' ? Buffer.from('\x01').toString('base64') : '');
      const end = (await this.reader.line()).toString('latin1');
      said = `${said}${end.startsWith('-ERR') ? ` ${end.slice(4).trim()}` : ''}`;
    }
    return said || 'refused';
  }

  /** Message numbers and their unique ids. */
  async uidl(): Promise<Array<{ number: number; uidl: string }>> {
    await this.command('UIDL');
    const list: Array<{ number: number; uidl: string }> = [];
    await this.readData((line) => {
      const [number, uidl] = line.toString('latin1').trim().split(/\s+/);
      list.push({ number: Number(number), uidl: uidl ?? '' });
    });
    return list;
  }

  /** Message numbers and their sizes in octets. */
  async list(): Promise<Map<number, number>> {
    await this.command('LIST');
    const sizes = new Map<number, number>();
    await this.readData((line) => {
      const [number, size] = line.toString('latin1').trim().split(/\s+/);
      sizes.set(Number(number), Number(size));
    });
    return sizes;
  }

  /**
   * The header of a message (TOP n 0): never marks anything on the server. At most
   * `maxBytes` of it are kept (whole lines); the rest is read and dropped.
   */
  async header(number: number, maxBytes = MAX_HEADER_BYTES): Promise<Buffer> {
    await this.command(`TOP ${number} 0`);
    const lines: Buffer[] = [];
    let kept = 0;
    let full = false;
    await this.readData((line) => {
      full ||= kept + line.length > maxBytes;
      if (full) return;
      lines.push(line);
      kept += line.length;
    });
    return Buffer.concat(lines);
  }

  /** Streams a whole message into `sink`, respecting its backpressure; returns the octets written. */
  async retrieve(number: number, sink: Writable): Promise<number> {
    await this.command(`RETR ${number}`);
    let octets = 0;
    await this.readData(async (line) => {
      octets += line.length;
      if (!sink.write(line)) await new Promise((resolve) => sink.once('drain', resolve));
    });
    return octets;
  }

  async delete(number: number): Promise<void> {
    await this.command(`DELE ${number}`);
  }

  /** Ends the session (deletions take effect now, RFC 1939 6). */
  async quit(): Promise<void> {
    try {
      await this.command('QUIT');
    } finally {
      this.socket.end();
    }
  }

  close(): void {
    this.socket.destroy();
  }
}
