// The files an instance leaves in its config's state directory: its pid file (sr3's
// format: the decimal pid, no newline) and its heartbeat with counters.
import fs from 'node:fs';
import path from 'node:path';

/** How a mailbox an instance serves is doing: in trouble with its cause, and when it is tried next. */
export interface MailboxReport {
  readonly account: string;
  readonly state: 'ok' | 'failing';
  /** ISO time of the first failure of this run of failures */
  readonly since?: string;
  readonly cause?: string;
  /** ISO time of the next try */
  readonly nextTry?: string;
  /** the cause will not pass by itself (a refused login, an untrusted certificate): the operator's to fix */
  readonly lasting?: boolean;
  /** a poll: messages found new on the server and not announced yet (batch) */
  readonly remaining?: number;
  /** ISO time of the last pass (a poll) or message (a subscribe) that worked with this mailbox */
  readonly lastSuccess?: string;
}

/**
 * How long trouble that may pass by itself (a server restarting, a network blip) is shown as
 * `retrying` before it is `failing` and sr status exits 1: long enough for a restart, short
 * enough that an outage is reported within minutes.
 */
export const RETRYING_FOR_MS = 2 * 60_000;

/** When `remaining` is done at `ratePerMinute` (ms since the epoch); undefined when nothing remains or nothing moves. */
export function backlogEnd(remaining: number | undefined, ratePerMinute: number, now = Date.now()): number | undefined {
  return remaining && remaining > 0 && ratePerMinute > 0 ? now + (remaining / ratePerMinute) * 60_000 : undefined;
}

/** What sr status says of a mailbox: ok, retrying (trouble that may pass, for now) or failing. */
export function mailboxState(report: MailboxReport, now: number): 'ok' | 'retrying' | 'failing' {
  if (report.state === 'ok') return 'ok';
  const since = report.since ? Date.parse(report.since) : Number.NaN;
  return !report.lasting && now - since < RETRYING_FOR_MS ? 'retrying' : 'failing';
}

export interface Heartbeat {
  readonly pid: number;
  readonly instance: number;
  /** ISO times */
  readonly startedAt: string;
  readonly updatedAt: string;
  /** when the instance last did work (a message, a pass); absent while it has done none */
  readonly lastActivity?: string;
  readonly counters: Readonly<Record<string, number>>;
  /** one-line summaries the instance wants sr status to show (connection state, progress) */
  readonly notes?: readonly string[];
  /** the instance's broker: connection state and, for a subscribe, its queue and depth */
  readonly broker?: { readonly label: string; readonly state: string; readonly queue?: string; readonly depth?: number };
  /** the mailboxes the instance serves, as far as it knows them */
  readonly mailboxes?: readonly MailboxReport[];
  /** notifications handled (subscribe) or announced (poll) per minute, over the last minute */
  readonly ratePerMinute?: number;
  /** vip: the instance stands by while another host polls, and why */
  readonly standby?: string;
}

/** Writes a file whole or not at all: readers never see half of it. */
export function writeFileAtomic(file: string, text: string, mode = 0o644): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, text, { mode });
  fs.renameSync(temporary, file);
}

export function writePid(file: string, pid: number): void {
  writeFileAtomic(file, String(pid));
}

export function readPid(file: string): number | undefined {
  try {
    const pid = Number.parseInt(fs.readFileSync(file, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function removeFile(file: string): void {
  fs.rmSync(file, { force: true });
}

export function writeHeartbeat(file: string, heartbeat: Heartbeat): void {
  writeFileAtomic(file, `${JSON.stringify(heartbeat)}\n`);
}

export function readHeartbeat(file: string): Heartbeat | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Heartbeat;
  } catch {
    return undefined;
  }
}

/** Instance numbers that have a pid file in the state directory (`poll_mail_03.pid` -> 3). */
export function instancesWithPidFiles(dir: string, stemPrefix: string): number[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const pattern = new RegExp(`^${stemPrefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}_(\\d{2,})\\.pid$`);
  return names.map((name) => pattern.exec(name)?.[1]).filter((n): n is string => n !== undefined).map(Number).sort((a, b) => a - b);
}
