// Where a message's files go below the directory, from the notification's relPath and
// the accepting rule's mirror, strip and flatten, as sr3 places a file (its
// updateFieldsAccepted): the relPath's last level is the message (42.eml), so what sr3
// does to a file name is done to each of the message's file names.
import type { PathLayout } from '../config/pathLayout.js';

export interface Placement {
  /** folders below the directory (mirror on), as the mail server names them */
  readonly levels: readonly string[];
  /** folders that start every file name, joined by `flatten` (flatten other than /) */
  readonly nameLevels: readonly string[];
  readonly flatten: string;
}

/** A relPath level as the folder names it: the poll escaped `/` and `%` in it (poll/notification.ts). */
export function relPathWord(word: string): string {
  return word.replaceAll('%2F', '/').replaceAll('%25', '%');
}

/** The relPath's levels once strip is applied, the message's own level last. */
function strippedLevels(relPath: string, layout: PathLayout): string[] {
  const levels = relPath.split('/');
  const strip = layout.strip;
  if ('count' in strip) return strip.count > 0 && strip.count < levels.length ? levels.slice(strip.count) : levels;
  const last = levels[levels.length - 1] ?? '';
  const stripped = relPath.replace(strip.pattern, '');
  // sr3: a pattern that ate the message's own name leaves only that name.
  return stripped.includes(last) ? stripped.split('/') : [last];
}

export function placementOf(relPath: string, layout: PathLayout): Placement {
  const levels = strippedLevels(relPath, layout);
  const folders = levels.slice(0, -1).filter((level) => level !== '').map(relPathWord);
  return { levels: layout.mirror ? folders : [], nameLevels: layout.flatten !== '/' ? folders : [], flatten: layout.flatten };
}
