// What a watched directory holds that is ready to be announced: each file at its top, and
// each Pastell deposit directory once its `fichier_termine.txt` exists (Pastell writes it
// last: before that the directory is still being written). Links are never followed, names
// starting with a dot and ending in .tmp are files still being written (sr3's inflight
// conventions), other directories are not looked into.
import fs from 'node:fs';
import path from 'node:path';

/** The file Pastell's GED connectors write last into a deposit directory. */
export const DEPOSIT_MARKER = 'fichier_termine.txt';

export interface DepotItem {
  /** its name in the directory */
  readonly name: string;
  readonly entry: 'file' | 'deposit';
  /** octets: the file's, or the sum of the deposit's files */
  readonly size: number;
  /** the file's modification time, or the marker's for a deposit */
  readonly mtimeMs: number;
  /** what the item is known by: a file replaced under the same name is another item */
  readonly key: string;
}

/** The directory cannot be listed: said with its path and what to do. */
export class DepotUnreadable extends Error {}

/** A name the writer has not finished with (sr3 inflight: `.` prefix, `.tmp` suffix). */
export function isInflightName(name: string): boolean {
  return name.startsWith('.') || name.endsWith('.tmp');
}

export function itemKey(entry: DepotItem['entry'], size: number, mtimeMs: number): string {
  return `${entry}|${size}|${Math.trunc(mtimeMs)}`;
}

export interface DepositFile {
  readonly name: string;
  readonly path: string;
  readonly size: number;
}

/**
 * The regular files at a deposit's root, by name. What else it holds (a link, a
 * subdirectory, a device) is named in `strange`: a deposit is files only, and a link could
 * make it read a file it does not hold.
 */
export function depositFiles(directory: string): { files: DepositFile[]; strange: string[] } {
  const files: DepositFile[] = [];
  const strange: string[] = [];
  for (const entry of fs.readdirSync(directory, { withFileTypes: true })) {
    const at = path.join(directory, entry.name);
    const stat = entry.isFile() ? fs.lstatSync(at, { throwIfNoEntry: false }) : undefined;
    if (stat?.isFile()) files.push({ name: entry.name, path: at, size: stat.size });
    else strange.push(entry.name);
  }
  files.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { files, strange };
}

/** A deposit directory, once its marker is there. */
export function depositItem(directory: string, name: string): DepotItem | undefined {
  const marker = fs.lstatSync(path.join(directory, DEPOSIT_MARKER), { throwIfNoEntry: false });
  if (!marker?.isFile()) return undefined;
  const size = depositFiles(directory).files.reduce((sum, file) => sum + file.size, 0);
  return { name, entry: 'deposit', size, mtimeMs: marker.mtimeMs, key: itemKey('deposit', size, marker.mtimeMs) };
}

export interface Listing {
  readonly ready: DepotItem[];
  /** files seen but not ready yet, by name: modified more recently than the age asked for */
  readonly young: ReadonlySet<string>;
}

/**
 * The items of `root`, oldest first. `minAgeMs`: a file modified more recently than that is
 * left for a later pass (one still being copied in changes its mtime as it grows).
 */
export function listDepot(root: string, minAgeMs: number, now = Date.now()): Listing {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(root, { withFileTypes: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : code === 'ENOTDIR' ? 'is not a directory' : code === 'EACCES' ? 'cannot be read by this user' : `cannot be listed (${code ?? (error as Error).message})`;
    throw new DepotUnreadable(`the directory ${root} ${why}`);
  }
  const ready: DepotItem[] = [];
  const young = new Set<string>();
  for (const entry of entries) {
    if (isInflightName(entry.name)) continue;
    const at = path.join(root, entry.name);
    // Dirent types come from readdir, without following links: a symbolic link is neither.
    if (entry.isFile()) {
      const stat = fs.lstatSync(at, { throwIfNoEntry: false });
      if (!stat?.isFile()) continue; // gone meanwhile
      if (now - stat.mtimeMs < minAgeMs) {
        young.add(entry.name);
        continue;
      }
      ready.push({ name: entry.name, entry: 'file', size: stat.size, mtimeMs: stat.mtimeMs, key: itemKey('file', stat.size, stat.mtimeMs) });
    } else if (entry.isDirectory()) {
      // Without its marker, a deposit still being written, or a directory of another use (done/).
      const deposit = depositItem(at, entry.name);
      if (deposit) ready.push(deposit);
    }
  }
  ready.sort((a, b) => a.mtimeMs - b.mtimeMs || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { ready, young };
}
