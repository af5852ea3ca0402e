// The downstream notification of a file a subscribe wrote (sr3.md 5.1): its URL from
// post_baseUrl and post_baseDir, its sha512 identity computed while it was written, and
// the mail it came from, so a consumer downstream can trace every file to its message.
import path from 'node:path';
import type { MessagePart } from '../../decode/mimeParts.js';
import { isInside } from '../../decode/templates.js';
import { formatPubTime, type Notification } from '../../message.js';
import type { PlacedFile } from '../../output/stagedFile.js';
import type { EnvelopeInfo } from './envelopeParts.js';
import type { Origin } from './origin.js';

export interface PostSettings {
  readonly postBaseUrl: string;
  readonly postBaseDir: string | undefined;
}

/**
 * The file's URL as baseUrl and relPath: its path relative to post_baseDir under
 * post_baseUrl; without post_baseDir, its absolute path; outside post_baseDir (a directory
 * that is not below it), `file:` and its absolute path, the one URL that still finds it.
 */
function urlOf(settings: PostSettings, file: string): { baseUrl: string; relPath: string } {
  if (settings.postBaseDir === undefined) return { baseUrl: settings.postBaseUrl, relPath: file };
  if (!isInside(settings.postBaseDir, file)) return { baseUrl: 'file:', relPath: file };
  return { baseUrl: settings.postBaseUrl, relPath: path.relative(settings.postBaseDir, file).split(path.sep).join('/') };
}

/** `from`: the field that traces the file to its source (`mail`: the message; `depot`: the directory's item), with its values. */
export function fileNotification(settings: PostSettings, from: Origin['announced'], part: MessagePart, file: PlacedFile, envelope?: EnvelopeInfo): Notification {
  // The file was written just now: its mtime is the notification's time.
  const now = formatPubTime(new Date());
  return {
    pubTime: now,
    ...urlOf(settings, file.path),
    size: file.size,
    identity: { method: 'sha512', value: file.sha512 },
    mtime: now,
    contentType: part.contentType,
    [from.field]: { ...from.values, partPath: part.partPath, ...(part.declaredName ? { declaredName: part.declaredName } : {}) },
    // An importer downstream indexes the dossier from the notification alone.
    ...(envelope ? { envelope } : {}),
  };
}
