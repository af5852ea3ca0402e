// Header values read from mail as what they are: text a sender chose. A date may not parse,
// a field may be 400,000 characters long. Nothing here throws; what cannot be used is left
// out and said, so that one message's headers never stop a poll.

/** RFC 5322's line limit: a Message-ID longer than this is no identifier a server keeps. */
export const MAX_MESSAGE_ID = 998;
/** Subject, From, To in a notification: enough to read, bounded so a notification stays small. */
export const MAX_HEADER_TEXT = 1000;

/** What a header said that could not be used, for one log line per message. */
export type HeaderProblems = string[];

/** The date if it is one (a Date from `Invalid time value` text is not). */
export function validDate(value: unknown): Date | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const date = value instanceof Date ? value : new Date(value as string | number);
  return Number.isFinite(date.getTime()) ? date : undefined;
}

/** A header date, or undefined with the problem noted. */
export function headerDate(value: unknown, name: string, problems: HeaderProblems): Date | undefined {
  const date = validDate(value);
  if (date === undefined && value !== undefined && value !== null && value !== '') problems.push(`its ${name} "${shortQuote(String(value))}" is not a date`);
  return date;
}

/** A header text cut to `max` characters (with a mark that it was cut), or undefined when empty. */
export function headerText(value: unknown, name: string, problems: HeaderProblems, max = MAX_HEADER_TEXT): string | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  if (value.length <= max) return value;
  problems.push(`its ${name} is ${value.length} characters long, cut to ${max}`);
  return `${value.slice(0, max - 1)}…`;
}

/** A Message-ID usable as a key, or undefined (and noted) when it is too long to be one. */
export function headerMessageId(value: unknown, problems: HeaderProblems): string | undefined {
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const id = value.trim();
  if (id.length <= MAX_MESSAGE_ID) return id;
  problems.push(`its Message-ID is ${id.length} characters long, left out`);
  return undefined;
}

/** A value quoted in a log line: at most 80 characters, control characters shown as `?`. */
export function shortQuote(text: string): string {
  const printable = text.slice(0, 81).replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  return printable.length > 80 ? `${printable.slice(0, 80)}...` : printable;
}
