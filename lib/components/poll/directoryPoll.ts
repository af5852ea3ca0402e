// One watched directory of a poll (pollUrl file:/srv/depot/): each pass lists it, announces
// every item not announced in its present version (a file, or a Pastell deposit directory
// once complete), oldest first, `batch` at a time, and records each once the broker
// confirmed it. Nothing in the directory changes: the subscribe acts on the items.
import type { DepotLocation } from '../../depot/location.js';
import { type DepotItem, listDepot } from '../../depot/listing.js';
import { formatPubTime, type Notification } from '../../message.js';
import { acceptedNotification, announceInOrder } from './announce.js';
import { describeFirstPass, firstPassOf } from './firstPass.js';
import type { MailboxPoll, PassResult, PollContext } from './mailboxPoll.js';

/**
 * A file modified within this time is left for a later pass, whatever fileAgeMin says: one
 * being copied in keeps changing, and a copy that pauses longer than this is rare; a writer
 * that wants no doubt writes under a dot or .tmp name and renames.
 */
const SETTLE_MS = 2000;

/** The notification of an item; `depot` carries what the subscribe checks it against. */
export function depotNotification(location: DepotLocation, item: DepotItem): Notification {
  return {
    pubTime: formatPubTime(new Date()),
    baseUrl: location.label,
    // A deposit is a directory: its relPath ends with a slash, as a directory's URL does.
    relPath: `${item.name}${item.entry === 'deposit' ? '/' : ''}`,
    size: item.size,
    mtime: formatPubTime(new Date(item.mtimeMs)),
    ...(item.entry === 'deposit' ? { contentType: 'inode/directory' } : {}),
    depot: { name: item.name, entry: item.entry, item: item.key },
  };
}

export class DirectoryPoll implements MailboxPoll {
  readonly label: string;

  constructor(readonly location: DepotLocation, private readonly poll: PollContext) {
    this.label = location.label;
  }

  async pass(): Promise<PassResult> {
    const { state, config, logger } = this.poll;
    const minAgeMs = Math.max(SETTLE_MS, config.number('fileAgeMin') * 1000);
    const listing = listDepot(this.location.root, minAgeMs);
    if (!state.knowsDepot(this.label)) {
      const policy = firstPassOf(config);
      const skipped = policy.kind === 'new' ? listing.ready : policy.kind === 'since' ? listing.ready.filter((item) => item.mtimeMs < policy.date.getTime()) : [];
      state.firstDepotPass(this.label, skipped);
      logger.info(`${this.label}: first pass (firstPass ${config.str('firstPass')}): it takes ${describeFirstPass(policy).replace('messages', 'items')}`);
    }
    const announced = state.depotAnnounced(this.label);
    const present = new Set(listing.ready.map((item) => item.name));
    // Only what a complete listing no longer shows: a file being rewritten is still there, waiting.
    const gone = [...announced.keys()].filter((name) => !present.has(name) && !listing.young.has(name));
    if (gone.length > 0) state.forgetDepotItems(this.label, gone);
    const fresh = listing.ready.filter((item) => announced.get(item.name) !== item.key);
    const batch = fresh.slice(0, Math.max(1, config.number('batch')));
    const pending = new Set<string>();
    const steps = batch.map((item) => ({ item, notification: acceptedNotification(this.poll, depotNotification(this.location, item), pending) }));
    const count = await announceInOrder(this.poll, steps, (step) => state.recordDepotItem(this.label, step.item.name, step.item.key));
    const remaining = fresh.length - steps.length + listing.young.size;
    if (count > 0 || remaining > 0) logger.info(`${this.label}: ${count} announced, ${remaining} remaining${listing.young.size > 0 ? ` (${listing.young.size} modified too recently, taken later)` : ''}`);
    return { announced: count, remaining, handled: steps.length };
  }

  async close(): Promise<void> {
    // nothing held between passes
  }
}
