// The v03 notification (sr3.md 5.1): what a poll announces and a subscribe reads, as JSON
// on the broker. Unknown fields are kept and forwarded untouched; the legacy names
// `integrity` and `retPath` are read; internal fields never leave the process.

export interface Identity {
  readonly method: string;
  readonly value: string;
}

/** Provenance of a mail notification (design.md "The mail notification"). */
export interface MailFields {
  readonly uidValidity?: number;
  readonly uid?: number;
  readonly uidl?: string;
  readonly messageId?: string;
  readonly subject?: string;
  readonly from?: string;
  readonly to?: string;
  readonly date?: string;
  readonly folder?: string;
  readonly [field: string]: unknown;
}

export interface Notification {
  readonly pubTime: string;
  readonly baseUrl: string;
  readonly relPath: string;
  readonly identity?: Identity;
  readonly retrievePath?: string;
  readonly size?: number;
  readonly mtime?: string;
  readonly contentType?: string;
  readonly source?: string;
  readonly mail?: MailFields;
  /** any other field, forwarded as it came */
  readonly [field: string]: unknown;
}

export class MalformedMessage extends Error {}

/**
 * A config's `header name=value` lines, as fields of each notification it announces (sr3).
 * A field the notification has already (baseUrl, mail, ...) is never replaced.
 */
export function withHeaders(notification: Notification, headers: Readonly<Record<string, string>>): Notification {
  const extra = Object.entries(headers).filter(([name]) => name !== '' && !(name in notification));
  return extra.length === 0 ? notification : { ...notification, ...Object.fromEntries(extra) };
}

export const V03_CONTENT_TYPE = 'application/json';
const MAX_TOPIC_BYTES = 255;

/** Fields sr3 treats as internal: never published (sr3.md 5.1). */
const INTERNAL_FIELD = /^(new_|old_|_)|^(topic|noDupe|ack_id|exchange|subtopic|local_offset|post_format)$/;

/** `YYYYMMDDTHHMMSS.fff` in UTC, with 3 to 9 fraction digits. */
export function formatPubTime(date: Date, fractionDigits = 3): string {
  if (fractionDigits < 3 || fractionDigits > 9) throw new RangeError('pubTime has 3 to 9 fraction digits');
  const iso = date.toISOString(); // 2026-11-22T08:49:58.332Z
  const fraction = iso.slice(20, 23).padEnd(fractionDigits, '0');
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}.${fraction}`;
}

/** Reads sr3 times: `YYYYMMDDTHHMMSS[.fraction]` (v03) or without the T (v02), UTC. */
export function parsePubTime(text: string): Date {
  const match = /^(\d{4})(\d{2})(\d{2})T?(\d{2})(\d{2})(\d{2})(?:\.(\d+))?$/.exec(text);
  if (!match) throw new MalformedMessage(`pubTime "${text}" is not YYYYMMDDTHHMMSS[.fraction]`);
  const [, y, mo, d, h, mi, s, fraction = '0'] = match;
  const millis = Math.round(Number(`0.${fraction}`) * 1000);
  return new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), millis));
}

/** sr3 escapes only the AMQP wildcards in topic words (sr3.md 5.4). */
function escapeWord(word: string): string {
  return word.replaceAll('#', '%23').replaceAll('*', '%22');
}

/** Cuts a topic to 255 UTF-8 bytes on a character boundary (linear in the topic). */
function fitTopic(topic: string): string {
  if (Buffer.byteLength(topic) <= MAX_TOPIC_BYTES) return topic;
  let used = 0;
  let end = 0;
  for (const character of topic) {
    used += Buffer.byteLength(character);
    if (used > MAX_TOPIC_BYTES) break;
    end += character.length;
  }
  return topic.slice(0, end);
}

/** The routing key: the prefix words, then the directory words of relPath (the file name is not part of it). */
export function topicOf(topicPrefix: string, relPath: string): string {
  const prefix = topicPrefix.includes('/') ? topicPrefix.split('/') : topicPrefix.split('.');
  const directories = relPath.split('/').filter((word) => word !== '').slice(0, -1);
  return fitTopic([...prefix, ...directories.map(escapeWord)].filter((word) => word !== '').join('.'));
}

export function encodeNotification(notification: Notification): Buffer {
  const body: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(notification)) {
    if (!INTERNAL_FIELD.test(field) && value !== undefined) body[field] = value;
  }
  return Buffer.from(JSON.stringify(body));
}

/** Decodes a v03 body; throws MalformedMessage saying what is wrong. v02 bodies are refused by name. */
export function decodeNotification(body: Buffer, contentType?: string): Notification {
  const text = body.toString('utf8');
  if (contentType === 'text/plain' || !text.trimStart().startsWith('{')) {
    throw new MalformedMessage('not a v03 notification (v02 and other formats are not read)');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new MalformedMessage(`not valid JSON: ${(error as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new MalformedMessage('not a JSON object');
  const fields: Record<string, unknown> = { ...(parsed as Record<string, unknown>) };
  if (fields.identity === undefined && fields.integrity !== undefined) fields.identity = fields.integrity;
  delete fields.integrity;
  if (fields.retrievePath === undefined && fields.retPath !== undefined) fields.retrievePath = fields.retPath;
  delete fields.retPath;
  for (const field of ['pubTime', 'baseUrl', 'relPath']) {
    if (typeof fields[field] !== 'string' || fields[field] === '') throw new MalformedMessage(`has no ${field}`);
  }
  parsePubTime(fields.pubTime as string);
  if (typeof fields.size === 'string' && /^\d+$/.test(fields.size)) fields.size = Number(fields.size);
  if (fields.size !== undefined && typeof fields.size !== 'number') throw new MalformedMessage('size is not a number');
  const identity = fields.identity as Partial<Identity> | undefined;
  if (identity !== undefined && (typeof identity !== 'object' || typeof identity.method !== 'string')) {
    throw new MalformedMessage('identity is not {"method": ..., "value": ...}');
  }
  return fields as Notification;
}

/** The start of a body, printable, for a log line about a message that could not be read. */
export function excerpt(body: Buffer, length = 120): string {
  const text = body.subarray(0, length).toString('utf8').replace(/[^\x20-\x7e]/g, '?');
  return body.length > length ? `${text}...` : text;
}
