// Where a message goes that failed `attempts` times for a reason retrying cannot cure (it
// cannot be decoded, it is over maxMessageSize): its raw form and the reason are kept in
// quarantineDirectory for someone to look at, and on the server it is moved to
// quarantineFolder or marked $Quarantined, so that it is neither lost nor tried forever.
import fs from 'node:fs';
import path from 'node:path';
import { safeFileName } from '../../decode/safeName.js';
import type { MailAction, MailSource, MessageCoordinates } from '../../mail/mailSource.js';
import { partTag, StagedFile, type Staging, syncDirectory } from '../../output/stagedFile.js';
import type { Notification } from '../../message.js';
import type { MailMessageRef } from './mailNotification.js';

const QUARANTINE_KEYWORD = '$Quarantined';

/** The line of a reason file that holds the notification. */
export const NOTIFICATION_LINE = 'notification: ';

/** `<id>.reason.txt` says why; `<id>.eml` beside it is the message, when it could be downloaded. */
export const REASON_SUFFIX = '.reason.txt';

/** What is kept beside `<id>.reason.txt`: the message `<id>.eml`, or a malformed envelope's own file `<id>` (quarantineDirectory/envelopes). */
const COMPANIONS = ['.eml', ''];

/** Removes a quarantined message's files, its reason and its copy (sr quarantine drop, the bounds). */
export function removeQuarantined(directory: string, id: string): void {
  for (const suffix of [REASON_SUFFIX, ...COMPANIONS]) {
    const file = path.join(directory, `${id}${suffix}`);
    if (fs.statSync(file, { throwIfNoEntry: false })?.isFile()) fs.rmSync(file, { force: true });
  }
}

export interface QuarantineBounds {
  /** seconds; 0 keeps entries whatever their age */
  readonly maxAgeSeconds: number;
  /** bytes of all entries together; 0: no bound */
  readonly maxBytes: number;
}

/**
 * quarantineAgeMax and quarantineSizeMax: entries older than the age go, then the oldest
 * until what is left fits the size (the newest is kept even when it alone is over it). Only the local copy goes: the mail stays on its server,
 * flagged $Quarantined or in quarantineFolder. Returns what was removed, and why.
 */
export function pruneQuarantine(directory: string, bounds: QuarantineBounds, now = Date.now()): string[] {
  if (bounds.maxAgeSeconds <= 0 && bounds.maxBytes <= 0) return [];
  let names: string[];
  try {
    names = fs.readdirSync(directory);
  } catch {
    return [];
  }
  const size = (file: string) => { const stat = fs.statSync(path.join(directory, file), { throwIfNoEntry: false }); return stat?.isFile() ? stat.size : 0; };
  const entries = names.filter((name) => name.endsWith(REASON_SUFFIX)).map((name) => {
    const id = name.slice(0, -REASON_SUFFIX.length);
    let when = now;
    try { when = fs.statSync(path.join(directory, name)).mtimeMs; } catch { /* gone meanwhile */ }
    return { id, when, bytes: size(name) + COMPANIONS.reduce((sum, suffix) => sum + size(`${id}${suffix}`), 0) };
  }).sort((a, b) => a.when - b.when);
  let total = entries.reduce((sum, entry) => sum + entry.bytes, 0);
  const removed: string[] = [];
  for (const [index, entry] of entries.entries()) {
    const tooOld = bounds.maxAgeSeconds > 0 && now - entry.when > bounds.maxAgeSeconds * 1000;
    // The newest stays whatever its size: what was just set aside is there to be looked at.
    const tooMuch = bounds.maxBytes > 0 && total > bounds.maxBytes && index < entries.length - 1;
    if (!tooOld && !tooMuch) continue;
    removeQuarantined(directory, entry.id);
    total -= entry.bytes;
    removed.push(`${entry.id} (${tooOld ? 'older than quarantineAgeMax' : 'the quarantine is over quarantineSizeMax'})`);
  }
  return removed;
}

function quarantineAction(folder: string | undefined): MailAction {
  return folder ? { kind: 'move', folder } : { kind: 'flag', keyword: QUARANTINE_KEYWORD };
}

/**
 * Writes `<name>.reason.txt` and, with a mailbox to download it from, `<name>.eml`; returns
 * the reason file. A message too large to ingest is not downloaded here either, and a
 * directory's item, which stays where it is, has nothing to download.
 */
export async function quarantineFiles(directory: string, staging: Staging, ref: Pick<MailMessageRef, 'where' | 'serverKey' | 'expected'>, notification: Notification, reason: string, download: { readonly source: MailSource; readonly at: MessageCoordinates } | undefined): Promise<string> {
  const stem = safeFileName(ref.where.replace(/^[a-z]+:\/\//, ''), 'message');
  const tag = partTag(ref.serverKey, 'quarantine');
  const note = StagedFile.create(directory, `${stem}.reason.txt`, staging);
  let placed: string;
  try {
    // The notification, on one line, is what `sr quarantine retry` sends through again.
    await note.writeAll(Buffer.from(`${ref.where}\nMessage-ID: ${ref.expected.messageId ?? '(none)'}\n${new Date().toISOString()} ${reason.replace(/[\r\n]+/g, ' ')}\n${NOTIFICATION_LINE}${JSON.stringify(notification)}\n`));
    placed = (await note.place(tag)).path;
  } finally {
    note.discard();
  }
  if (download) {
    const raw = StagedFile.create(directory, `${stem}.eml`, staging);
    try {
      await download.source.download(download.at, {}, raw.stream);
      await raw.place(tag);
    } catch {
      // no longer downloadable: the reason file says what is known
    } finally {
      raw.discard();
    }
  }
  await syncDirectory(directory);
  return placed;
}

/** The message is tidied on the server; POP3 has no folders nor keywords, so it stays as it is there. */
export async function quarantineOnServer(source: MailSource, ref: MailMessageRef, folder: string | undefined): Promise<void> {
  if (ref.at.protocol !== 'imap') return;
  await source.apply(quarantineAction(folder), [ref.at]);
}
