// What a subscribe does with a directory item once its files are durable and announced
// (fileAction): leave it, move it into a done directory, or delete it. Each is one rename
// made durable, so that a crash leaves the item either where it was or where it goes, and
// the action repeated after a crash finds it done.
import fs from 'node:fs';
import path from 'node:path';
import { syncDirectory } from '../output/stagedFile.js';
import { ItemGone } from './item.js';

export type FileAction =
  | { readonly kind: 'leave' }
  | { readonly kind: 'move'; readonly directory: string }
  | { readonly kind: 'delete' };

export class FileActionError extends Error {}

/** `leave`, `move <directory>` or `delete`, as written in fileAction. */
export function parseFileAction(text: string): FileAction {
  const [word = '', ...rest] = text.trim().split(' ');
  const argument = rest.join(' ').trim();
  switch (word) {
    case 'leave': case 'delete':
      if (argument !== '') throw new FileActionError(`"${word}" takes nothing after it, got "${argument}"`);
      return { kind: word };
    case 'move':
      if (argument === '') throw new FileActionError('"move" needs a directory, absolute or inside the watched one, e.g. fileAction move done');
      return { kind: 'move', directory: argument };
    default:
      throw new FileActionError(`needs leave, move <directory> or delete, got "${text}"`);
  }
}

export function fileActionWords(action: FileAction): string {
  return action.kind === 'move' ? `move ${action.directory}` : action.kind;
}

/** Where a deleted item waits for its removal: a dot name, which no poll lists. */
function trashName(name: string): string {
  return `.mailpump-deleting-${name}`;
}

/** The done directory of `move`: a relative one is inside the watched directory. */
export function doneDirectory(action: Extract<FileAction, { kind: 'move' }>, root: string): string {
  return path.resolve(root, action.directory);
}

/** `name`, or `name.1`, `name.2`... : the first that the done directory does not hold. */
function freeName(directory: string, name: string): string {
  for (let n = 0; ; n += 1) {
    const candidate = n === 0 ? name : `${name}.${n}`;
    if (!fs.existsSync(path.join(directory, candidate))) return candidate;
  }
}

/** Applies the action to the item `name` of `root`; throws ItemGone when it is not there (and not half deleted). */
export async function applyFileAction(action: FileAction, root: string, name: string): Promise<void> {
  const at = path.join(root, name);
  if (action.kind === 'leave') return;
  if (action.kind === 'move') {
    if (!fs.existsSync(at)) throw new ItemGone(`${at} is no longer there`);
    const done = doneDirectory(action, root);
    fs.mkdirSync(done, { recursive: true });
    try {
      fs.renameSync(at, path.join(done, freeName(done, name)));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EXDEV') throw new FileActionError(`fileAction move ${action.directory}: ${done} is on another file system than ${root}; a move must be a rename, so that a crash cannot leave the item in both places`);
      throw error;
    }
    await syncDirectory(done);
    await syncDirectory(root);
    return;
  }
  // delete: renamed aside first (one durable step: the poll never sees it again), then removed.
  const trash = path.join(root, trashName(name));
  if (fs.existsSync(at)) {
    fs.rmSync(trash, { recursive: true, force: true });
    fs.renameSync(at, trash);
    await syncDirectory(root);
  } else if (!fs.existsSync(trash)) {
    throw new ItemGone(`${at} is no longer there`);
  }
  fs.rmSync(trash, { recursive: true, force: true });
}
