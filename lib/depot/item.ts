// One item of a watched directory as a subscribe reads it: still the one announced (same
// kind, size and time), and for a deposit, the files at its root.
import fs from 'node:fs';
import path from 'node:path';
import { depositItem, type DepotItem, itemKey } from './listing.js';

/** The item is no longer there (another subscribe took it, someone removed it). */
export class ItemGone extends Error {}
/** The item was replaced or changed since it was announced: its new version is announced on its own. */
export class ItemChanged extends Error {}

/** Throws ItemGone or ItemChanged unless the item at `at` is the one announced: `entry`, in its version `key`. */
export function checkItem(at: string, entry: DepotItem['entry'], key: string): void {
  const stat = fs.lstatSync(at, { throwIfNoEntry: false });
  if (!stat) throw new ItemGone(`${at} is no longer there`);
  const found = stat.isDirectory() ? 'deposit' : stat.isFile() ? 'file' : undefined;
  if (found !== entry) throw new ItemChanged(`${at} is no longer the ${entry === 'file' ? 'file' : 'deposit directory'} announced`);
  const now = found === 'file' ? itemKey('file', stat.size, stat.mtimeMs) : depositItem(at, path.basename(at))?.key;
  if (now !== key) throw new ItemChanged(`${at} changed since it was announced (${key}, now ${now ?? 'without its marker'})`);
}
