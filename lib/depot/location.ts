// A directory a poll watches, as pollUrl names it (`file:/srv/depot/`): EzGED's "chemin
// d'origine", where Pastell and other tools drop files and deposit directories.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../config/errors.js';

export interface DepotLocation {
  /** the directory, absolute, without a trailing slash */
  readonly root: string;
  /** `file:/srv/depot/`: the notification baseUrl, and the directory's name in logs and state */
  readonly label: string;
}

export function isDepotUrl(url: string): boolean {
  return /^file:/i.test(url);
}

export function depotLocation(url: string): DepotLocation {
  let root: string;
  try {
    // file:/srv/depot/ and file:///srv/depot/ alike; %20 and the like decoded once.
    root = fileURLToPath(new URL(url));
  } catch (error) {
    throw new UserError(`${url}: not a local directory URL (${(error as Error).message}); write file:/srv/depot/`);
  }
  if (!path.isAbsolute(root)) throw new UserError(`${url}: the directory must be an absolute path, e.g. file:/srv/depot/`);
  const normal = path.resolve(root);
  return { root: normal, label: `file:${normal === '/' ? '/' : `${normal}/`}` };
}

/**
 * The directory as topic words after the topic prefix: `file.srv.depot`, so that one
 * subtopic line selects it (`subtopic file.srv.depot.#`), as a mailbox is by host and user.
 */
export function depotTopic(location: DepotLocation): string {
  const word = (text: string) => text.replaceAll('#', '%23').replaceAll('*', '%22').replaceAll('.', '%2E');
  return ['file', ...location.root.split('/').filter((level) => level !== '').map(word)].join('.');
}
