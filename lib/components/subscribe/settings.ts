// A subscribe config read into what its work needs, and checked: sr start and each instance
// run checkSubscribe, so a wrong mailAction or directory is reported as file:line at once.
import fs from 'node:fs';
import path from 'node:path';
import type { DeadLetterBounds } from '../../broker/broker.js';
import type { Config } from '../../config/load.js';
import { instanceStem, stateDir, type SrPaths } from '../../config/paths.js';
import { fillTemplate, TemplateError, templateRoot } from '../../decode/templates.js';
import { FileActionError, parseFileAction } from '../../depot/actions.js';
import { type MailAction, MailActionError, parseMailAction } from '../../mail/mailSource.js';
import { ENVELOPE_KINDS } from '../../envelopes/types.js';
import type { SyncMethod } from '../../output/durability.js';
import { envelopeQuarantine, type EnvelopeSettings } from './envelopeParts.js';
import type { IngestSettings } from './ingest.js';

/** mailAction as written, or `delete` for sr3's `delete on`. */
function mailActionOf(config: Config): MailAction {
  return config.flag('delete') ? { kind: 'delete' } : parseMailAction(config.str('mailAction') ?? 'none');
}

/** `instance`: each instance downloads into a directory of its own, which it empties at start. */
export function ingestSettings(config: Config, paths: SrPaths, instance: number, announce: IngestSettings['announce'], syncMethod: SyncMethod): IngestSettings {
  const directory = config.str('directory')!;
  return {
    files: {
      directory,
      layout: config.layout,
      writer: instanceStem(config.id, instance),
      rawDirectory: config.flag('saveRaw') ? config.str('rawDirectory') ?? directory : undefined,
      sidecar: config.flag('sidecar'),
      decodeDepth: config.number('decodeDepth'),
      syncMethod,
      ...envelopeSettings(config, paths),
      policy: {
        attachmentsOnly: config.flag('attachmentsOnly'),
        skipInline: config.str('inline') === 'skip',
        rules: config.fileRules,
        acceptUnmatched: config.flag('acceptUnmatchedFile'),
      },
    },
    mailAction: mailActionOf(config),
    fileAction: parseFileAction(config.str('fileAction') ?? 'leave'),
    maxMessageSize: config.number('maxMessageSize'),
    incomingDirectory: path.join(stateDir(paths, config.id), 'incoming', String(instance)),
    announce,
    ...postUrls(config),
  };
}

/**
 * The baseUrl and base directory of the files announced downstream. Without post_baseUrl,
 * a reader must find each file from its notification alone: `file:` and post_baseDir, as
 * sr3's own `post_baseUrl file:/srv/mail/` + `post_baseDir /srv/mail` pair, or `file:` and
 * the absolute path when there is no post_baseDir.
 */
export function postUrls(config: Config): { postBaseUrl: string; postBaseDir: string | undefined } {
  const postBaseDir = config.str('post_baseDir');
  const written = config.str('post_baseUrl');
  if (written !== undefined) return { postBaseUrl: written, postBaseDir };
  if (postBaseDir === undefined) return { postBaseUrl: 'file:', postBaseDir };
  return { postBaseUrl: `file:${postBaseDir.endsWith('/') ? postBaseDir : `${postBaseDir}/`}`, postBaseDir };
}

/** deadLetterMax and deadLetterAge, as the brokers take them. */
export function deadLetterBounds(config: Config): DeadLetterBounds {
  return { maxCount: config.number('deadLetterMax'), maxAgeSeconds: config.number('deadLetterAge') };
}

/** Where this config's files are staged: the fixed part of every directory it writes to. */
export function stagingRoots(config: Config, paths: SrPaths): string[] {
  // A malformed envelope is staged in quarantineDirectory/envelopes (writeFiles.ts): its leftovers after a kill go too.
  const envelopes = config.list('envelopes').length > 0 ? [envelopeQuarantine(quarantineDirectory(config, paths))] : [];
  const templates = [config.str('directory'), config.str('rawDirectory'), quarantineDirectory(config, paths), ...envelopes, ...config.masks.map((mask) => mask.directory)];
  return [...new Set(templates.filter((template): template is string => template !== undefined).map(templateRoot))];
}

/** The time a message's decoding may take (decodeBudget, plus 1 s per MB). */
export function decodeBudgetMs(config: Config, octets: number): number {
  return (config.number('decodeBudget') + octets / 1e6) * 1000;
}

/** The envelopes option: `adullact` is all three kinds. */
function envelopeSettings(config: Config, paths: SrPaths): { envelopes?: EnvelopeSettings } {
  const asked = config.list('envelopes');
  if (asked.length === 0) return {};
  const kinds = asked.includes('adullact') ? [...ENVELOPE_KINDS] : ENVELOPE_KINDS.filter((kind) => asked.includes(kind));
  return { envelopes: { kinds, source: config.flag('envelopeSource'), quarantineDirectory: envelopeQuarantine(quarantineDirectory(config, paths)) } };
}

export function quarantineDirectory(config: Config, paths: SrPaths): string {
  return config.str('quarantineDirectory') ?? path.join(stateDir(paths, config.id), 'quarantine');
}

/** A sample of every field, to try a template before any message comes. */
const SAMPLE_FIELDS = { folder: 'INBOX', folderLevels: ['INBOX'], from: 'a@b', subject: 's', uid: 1, uidl: 'u', messageId: '<m@b>', account: 'a@b' };

/**
 * Why files cannot be written below `directory`, or undefined: its nearest existing
 * ancestor must be a directory this user may write to (`/dev/null/out` never works).
 */
function unwritable(directory: string): string | undefined {
  for (let at = directory; ; at = path.dirname(at)) {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(at);
    } catch (error) {
      // ENOTDIR: a file on the way (`/dev/null/out`): the ancestor says which.
      const code = (error as NodeJS.ErrnoException).code;
      if ((code === 'ENOENT' || code === 'ENOTDIR') && path.dirname(at) !== at) continue;
      return `${at} cannot be looked at (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`;
    }
    if (!stat.isDirectory()) return `${at} is not a directory`;
    try {
      fs.accessSync(at, fs.constants.W_OK | fs.constants.X_OK);
    } catch {
      return `${at} is not writable by this user`;
    }
    return undefined;
  }
}

export function checkSubscribe(config: Config, at: (option: string, message: string) => void): void {
  if (!config.flag('download')) {
    // A relay (forwardWorker.ts): it announces, and must not tidy mail nothing ingested.
    if (config.str('post_broker') === undefined) at('download', '"download off" announces again what it takes, on post_broker: add a post_broker line (and post_exchange)');
    if ((config.str('fileAction') ?? 'leave') !== 'leave') at('fileAction', 'a fileAction with "download off" would move or delete files that nothing ingested: remove it, the subscribes downstream act');
    if ((config.str('mailAction') ?? 'none') !== 'none' || config.flag('delete')) at(config.flag('delete') ? 'delete' : 'mailAction', 'a mail action with "download off" would tidy mail that nothing ingested: remove it, the subscribes downstream tidy');
    return;
  }
  const directory = config.str('directory');
  if (directory === undefined) at('directory', 'a subscribe needs a directory to write files to, e.g. directory /var/spool/mailpump/${%Y%m%d}');
  for (const option of ['directory', 'rawDirectory', 'quarantineDirectory', 'post_baseDir']) {
    const template = config.str(option);
    if (template === undefined) continue;
    try {
      if (!path.isAbsolute(fillTemplate(template, SAMPLE_FIELDS, new Date()))) at(option, `"${option}" must be an absolute path, got "${template}"`);
      else if (option !== 'post_baseDir') {
        const problem = unwritable(templateRoot(template));
        if (problem) at(option, `"${option}" ${template}: ${problem}`);
      }
    } catch (error) {
      if (!(error instanceof TemplateError)) throw error;
      at(option, `"${option}" ${error.message}`);
    }
  }
  const baseUrl = config.str('post_baseUrl');
  const baseDir = config.str('post_baseDir');
  if (baseDir !== undefined && baseUrl !== undefined && /^file:\/*$/i.test(baseUrl)) {
    at('post_baseUrl', `"post_baseUrl ${baseUrl}" with "post_baseDir ${baseDir}" announces paths relative to ${baseDir} that no reader can find: write post_baseUrl file:${baseDir.endsWith('/') ? baseDir : `${baseDir}/`}, or remove the post_baseUrl line (that is its default)`);
  }
  try {
    parseFileAction(config.str('fileAction') ?? 'leave');
  } catch (error) {
    if (!(error instanceof FileActionError)) throw error;
    at('fileAction', `"fileAction" ${error.message}`);
  }
  try {
    const action = parseMailAction(config.str('mailAction') ?? 'none');
    if (config.flag('delete') && action.kind !== 'none' && action.kind !== 'delete') {
      at('delete', `"delete on" (mailAction delete) contradicts "mailAction ${config.str('mailAction')}": keep one`);
    }
  } catch (error) {
    if (!(error instanceof MailActionError)) throw error;
    at('mailAction', `"mailAction" ${error.message}`);
  }
}
