// Two sessions that move the same message at once each copy it: Dovecot's UID MOVE is a copy
// then an expunge, and two MOVEs of the same UIDs running together leave two copies of every
// message in the target folder (measured: 200 messages, 400 copies, every time). The same
// goes for COPY + UID EXPUNGE, and for a subscribe killed between its COPY and its EXPUNGE.
// It happens to mailpump when a message is announced twice and two instances take one
// notification each, or when a notification is redelivered while the dead holder's command
// is still running on the server. No IMAP command moves a message only if nobody else does,
// so the copies are put right afterwards: each mover looks, in the target folder, for copies
// of what it has just moved, and keeps the one with the lowest UID.
//
// Why every mover converges on the same copy: UIDs are given in the order copies are
// committed, and a mover looks after its own command has finished, so of two movers the one
// whose copy came last sees both, whichever of them keeps the lowest UID.
import type { ImapFlow } from 'imapflow';

/** How far below its own copies a mover looks: the copies other movers made meanwhile. */
export const COPIES_LOOKED_BELOW = 1000;
/** Message-IDs per SEARCH, so that a batch of long (or hostile) ones stays a modest command. */
const IDS_PER_SEARCH = 50;

/** What makes two messages of the folder copies of one: the same Message-ID, size and arrival time. */
export interface CopyIdentity {
  readonly uid: number;
  readonly messageId: string | undefined;
  readonly size: number | undefined;
  readonly internalDate: string | undefined;
}

/**
 * The UIDs to remove: in each set of copies of one message that holds one of ours, all but
 * the lowest UID. A message without Message-ID, size or date is never taken for a copy of
 * another; copies that hold none of ours are another mover's to settle.
 */
export function surplusCopies(ours: readonly number[], found: readonly CopyIdentity[]): number[] {
  const mine = new Set(ours);
  const groups = new Map<string, number[]>();
  for (const copy of found) {
    if (!copy.messageId || copy.size === undefined || !copy.internalDate) continue;
    const key = JSON.stringify([copy.messageId, copy.size, copy.internalDate]);
    const uids = groups.get(key) ?? [];
    if (!uids.includes(copy.uid)) uids.push(copy.uid);
    groups.set(key, uids);
  }
  const surplus: number[] = [];
  for (const uids of groups.values()) {
    if (uids.length < 2 || !uids.some((uid) => mine.has(uid))) continue;
    const keep = Math.min(...uids);
    surplus.push(...uids.filter((uid) => uid !== keep));
  }
  return surplus.sort((a, b) => a - b);
}

async function identities(client: ImapFlow, uids: readonly number[]): Promise<CopyIdentity[]> {
  if (uids.length === 0) return [];
  const messages = await client.fetchAll(uids.join(','), { uid: true, size: true, internalDate: true, envelope: true }, { uid: true });
  return messages.map((message) => ({
    uid: message.uid,
    messageId: message.envelope?.messageId,
    size: message.size,
    internalDate: message.internalDate ? new Date(message.internalDate).toISOString() : undefined,
  }));
}

/**
 * With the target folder selected, after copies `ours` were made in it: the other copies of
 * the same messages, found by Message-ID among the UIDs from COPIES_LOOKED_BELOW under ours,
 * and which of all of them are surplus.
 */
export async function findSurplusCopies(client: ImapFlow, ours: readonly number[]): Promise<number[]> {
  if (ours.length === 0) return [];
  const own = await identities(client, ours);
  const messageIds = [...new Set(own.map((copy) => copy.messageId).filter((id): id is string => !!id))];
  const from = Math.max(1, Math.min(...ours) - COPIES_LOOKED_BELOW);
  const mine = new Set(ours);
  const others = new Set<number>();
  for (let start = 0; start < messageIds.length; start += IDS_PER_SEARCH) {
    const terms = messageIds.slice(start, start + IDS_PER_SEARCH).map((id) => ({ header: { 'message-id': id } }));
    const hits = await client.search({ uid: `${from}:*`, ...(terms.length === 1 ? terms[0] : { or: terms }) }, { uid: true });
    for (const uid of hits || []) if (!mine.has(uid)) others.add(uid);
  }
  return surplusCopies(ours, [...own, ...await identities(client, [...others])]);
}
