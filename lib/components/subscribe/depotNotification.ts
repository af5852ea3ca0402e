// What a subscribe reads from the notification of a watched directory's item
// (directoryPoll.ts): the directory (baseUrl), the item's name and kind, the version
// announced, and the key it is remembered by. A notification may come from anyone who can
// publish on the exchange: only directories a poll of this host watches are read, and only
// a plain name in them, never a path.
import path from 'node:path';
import { type DepotLocation, depotLocation } from '../../depot/location.js';
import type { Notification } from '../../message.js';
import { NotMailNotification } from './mailNotification.js';

export interface DepotItemRef {
  readonly location: DepotLocation;
  /** as sr status and the counters name the source: the directory's label */
  readonly account: { readonly label: string };
  readonly name: string;
  readonly entry: 'file' | 'deposit';
  /** the version announced (listing.ts itemKey) */
  readonly item: string;
  /** the item's absolute path */
  readonly path: string;
  /** `file:/srv/depot/x.xml`, for logs */
  readonly where: string;
  /** the item in its version: a file replaced under the same name is another item */
  readonly serverKey: string;
  readonly claimKey: string;
  readonly expected: { readonly size?: number; readonly messageId?: undefined };
  readonly reingest?: undefined;
}

/** A name in the directory itself: no separator, no climb, nothing a path could hide. */
function plainName(name: unknown): name is string {
  return typeof name === 'string' && name !== '' && name !== '.' && name !== '..' && !name.includes('/') && !name.includes('\0');
}

/** `watched`: the labels of the directories this host's polls watch (file: pollUrls). */
export function depotItemRef(notification: Notification, watched: ReadonlySet<string>): DepotItemRef {
  let location: DepotLocation;
  try {
    location = depotLocation(notification.baseUrl);
  } catch (error) {
    throw new NotMailNotification(`baseUrl ${notification.baseUrl} is not a directory (${(error as Error).message})`);
  }
  const url = `${notification.baseUrl}${notification.relPath}`;
  if (!watched.has(location.label)) {
    throw new NotMailNotification(`${url}: ${location.root} is not a directory that a poll of this host watches (pollUrl file:${location.root}/): it is not read`);
  }
  const depot = (notification as { depot?: { name?: unknown; entry?: unknown; item?: unknown } }).depot ?? {};
  if (!plainName(depot.name)) throw new NotMailNotification(`${url}: depot.name ${JSON.stringify(depot.name)?.slice(0, 60)} is not a name in the directory`);
  if (depot.entry !== 'file' && depot.entry !== 'deposit') throw new NotMailNotification(`${url}: depot.entry is ${JSON.stringify(depot.entry)?.slice(0, 40)}, not file or deposit`);
  if (typeof depot.item !== 'string' || depot.item === '') throw new NotMailNotification(`${url}: depot.item is missing`);
  const serverKey = `${location.label}|${depot.name}|${depot.item}`;
  return {
    location, account: { label: location.label }, name: depot.name, entry: depot.entry, item: depot.item,
    path: path.join(location.root, depot.name), where: `${location.label}${depot.name}`, serverKey, claimKey: serverKey,
    expected: typeof notification.size === 'number' ? { size: notification.size } : {},
  };
}
