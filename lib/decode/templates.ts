// Per-message `${...}` fields in `directory` and `rawDirectory`: dates (`${%Y%m%d}`, and
// sr3's `${YYYYMMDD}`, `${YYYYMMDD-1D}` forms, in UTC as sr3 does) and message fields
// (`${FOLDER}`, `${FROM}`, `${SUBJECT}`, `${UID}`, `${UIDL}`, `${MSGID}`, `${ACCOUNT}`).
// A field's value comes from the mail, so it is made a safe name first: whatever a sender
// writes in a subject, the result stays below the directory the config names.
import path from 'node:path';
import { MAX_NAME_BYTES, safeFileName } from './safeName.js';

export interface TemplateFields {
  readonly folder?: string;
  /** the folder's hierarchy separator, so that `${FOLDER}` of INBOX.Invoices is INBOX/Invoices */
  readonly folderLevels?: readonly string[];
  readonly from?: string;
  readonly subject?: string;
  readonly uid?: number;
  readonly uidl?: string;
  readonly messageId?: string;
  readonly account?: string;
  /** an envelope's kind (acte_nature, helios, chorus_fact), or mail for a file that is none */
  readonly kind?: string;
}

export class TemplateError extends Error {}

const pad = (value: number, width = 2) => String(value).padStart(width, '0');

function dayOfYear(date: Date): number {
  return Math.floor((date.getTime() - Date.UTC(date.getUTCFullYear(), 0, 1)) / 86_400_000) + 1;
}

/** strftime's common conversions, in UTC. */
function strftime(format: string, date: Date): string {
  return format.replace(/%([YmdHMSjy%])/g, (_whole, code: string) => {
    switch (code) {
      case 'Y': return String(date.getUTCFullYear());
      case 'y': return pad(date.getUTCFullYear() % 100);
      case 'm': return pad(date.getUTCMonth() + 1);
      case 'd': return pad(date.getUTCDate());
      case 'H': return pad(date.getUTCHours());
      case 'M': return pad(date.getUTCMinutes());
      case 'S': return pad(date.getUTCSeconds());
      case 'j': return pad(dayOfYear(date), 3);
      default: return '%';
    }
  });
}

/** sr3 v2 dates: `YYYYMMDD`, `YYYY`, `MM`, `DD`, `HH`, `JJJ`, optionally `-<n>D` or `-<n>H`. */
function sr3Date(name: string, now: Date): string | undefined {
  const match = /^(YYYYMMDD|YYYY|MM|DD|HH|JJJ)(?:-(\d+)([DH]))?$/.exec(name);
  if (!match) return undefined;
  const offset = match[2] ? Number(match[2]) * (match[3] === 'D' ? 86_400_000 : 3_600_000) : 0;
  const date = new Date(now.getTime() - offset);
  const formats: Record<string, string> = { YYYYMMDD: '%Y%m%d', YYYY: '%Y', MM: '%m', DD: '%d', HH: '%H', JJJ: '%j' };
  return strftime(formats[match[1]!]!, date);
}

/** Bytes a directory level made from mail text may take. */
const LEVEL_BYTES = 100;

/** One path level from mail text: never empty, never a path, never `..`, at most LEVEL_BYTES. */
export function level(text: string | undefined): string {
  // Only the start of a long text can end up in the level: the rest is not looked at.
  return safeFileName((text ?? '').slice(0, LEVEL_BYTES * 2), '_', MAX_NAME_BYTES - LEVEL_BYTES);
}

function messageField(name: string, fields: TemplateFields): string | undefined {
  switch (name) {
    case 'FOLDER': return (fields.folderLevels ?? [fields.folder ?? 'INBOX']).map(level).join('/');
    case 'FROM': return level(/<([^>]*)>/.exec(fields.from ?? '')?.[1] ?? fields.from);
    case 'SUBJECT': return level(fields.subject);
    case 'UID': return level(fields.uid === undefined ? undefined : String(fields.uid));
    case 'UIDL': return level(fields.uidl);
    case 'MSGID': return level(fields.messageId?.replace(/^<|>$/g, ''));
    case 'ACCOUNT': return level(fields.account);
    case 'KIND': return level(fields.kind ?? 'mail');
    default: return undefined;
  }
}

/** The template with every per-message field filled in; an unknown field is an error naming it. */
export function fillTemplate(template: string, fields: TemplateFields, now: Date): string {
  return template.replace(/\$\{([^}]+)\}/g, (_whole, name: string) => {
    if (name.startsWith('%')) return strftime(name, now);
    const value = sr3Date(name, now) ?? messageField(name, fields);
    if (value === undefined) throw new TemplateError(`\${${name}} is not a field mailpump fills in (dates like \${%Y%m%d} or \${YYYYMMDD}, or FOLDER, FROM, SUBJECT, UID, UIDL, MSGID, ACCOUNT, KIND)`);
    return value;
  });
}

/** The absolute directory a template names for a message. */
/** The template filled in, with `levels` (mirror's folders, from the mail server) below it, each made a safe level. */
export function templateDirectory(template: string, fields: TemplateFields, now: Date, levels: readonly string[] = []): string {
  return path.resolve(fillTemplate(template, fields, now), ...levels.map(level));
}

/** Placed under `root`, and not `root` itself climbed out of? A last guard before writing. `..x` is a name, not a climb. */
export function isInside(root: string, candidate: string): boolean {
  const relative = path.relative(root, candidate);
  return relative !== '' && relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative);
}

/**
 * The fixed part of a directory template: the directories above its first `${...}`
 * (`/data/in/${%Y%m%d}` -> `/data/in`), where files written under it can be staged.
 */
export function templateRoot(template: string): string {
  const field = template.indexOf('${');
  if (field < 0) return path.resolve(template);
  const before = template.slice(0, field);
  return path.resolve(before.slice(0, before.lastIndexOf('/') + 1) || '/');
}
