// `mailSearch` is written as IMAP SEARCH keys (RFC 3501 6.4.4), as users know them from
// their server's documentation: `UNSEEN SINCE 1-Nov-2026 FROM billing@example.org`.
// imapflow takes a query object, so the keys are read into one here; an unknown key or a
// missing argument is a config error, not a silently wider search.
import type { SearchObject } from 'imapflow';

export class SearchSyntaxError extends Error {}

const FLAG_KEYS: Record<string, [keyof SearchObject, boolean]> = {
  SEEN: ['seen', true], UNSEEN: ['seen', false], ANSWERED: ['answered', true], UNANSWERED: ['answered', false],
  FLAGGED: ['flagged', true], UNFLAGGED: ['flagged', false], DELETED: ['deleted', true], UNDELETED: ['deleted', false],
  DRAFT: ['draft', true], UNDRAFT: ['draft', false],
};
const STRING_KEYS: Record<string, keyof SearchObject> = {
  FROM: 'from', TO: 'to', CC: 'cc', BCC: 'bcc', SUBJECT: 'subject', BODY: 'body', TEXT: 'text',
};
const DATE_KEYS: Record<string, keyof SearchObject> = {
  SINCE: 'since', BEFORE: 'before', ON: 'on', SENTSINCE: 'sentSince', SENTBEFORE: 'sentBefore', SENTON: 'sentOn',
};
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/** Words, with "double quoted strings" kept whole. */
function tokenize(text: string): string[] {
  const tokens: string[] = [];
  const pattern = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (let match = pattern.exec(text); match; match = pattern.exec(text)) tokens.push(match[1] !== undefined ? match[1].replace(/\\(.)/g, '$1') : match[2] ?? '');
  return tokens;
}

/** IMAP dates are `1-Nov-2026`; the day is what the server compares, in UTC here. */
function imapDate(word: string): Date {
  const match = /^(\d{1,2})-([A-Za-z]{3})-(\d{4})$/.exec(word);
  const month = match ? MONTHS.indexOf((match[2] ?? '').toLowerCase()) : -1;
  if (!match || month < 0) throw new SearchSyntaxError(`"${word}" is not an IMAP date such as 1-Nov-2026`);
  return new Date(Date.UTC(Number(match[3]), month, Number(match[1])));
}

export function parseSearchKeys(text: string): SearchObject {
  const tokens = tokenize(text);
  let position = 0;
  const take = (key: string): string => {
    const word = tokens[position];
    if (word === undefined) throw new SearchSyntaxError(`${key} needs an argument`);
    position += 1;
    return word;
  };
  const readKey = (query: SearchObject): void => {
    const word = take('search');
    const key = word.toUpperCase();
    const flag = FLAG_KEYS[key];
    const text = STRING_KEYS[key];
    const date = DATE_KEYS[key];
    const target = query as Record<string, unknown>;
    if (flag) target[flag[0]] = flag[1];
    else if (text) target[text] = take(key);
    else if (date) target[date] = imapDate(take(key));
    else if (key === 'ALL' || key === 'NEW' || key === 'OLD' || key === 'RECENT') target[key.toLowerCase()] = true;
    else if (key === 'LARGER' || key === 'SMALLER') {
      const size = Number(take(key));
      if (!Number.isInteger(size) || size < 0) throw new SearchSyntaxError(`${key} needs a size in bytes`);
      target[key.toLowerCase()] = size;
    } else if (key === 'KEYWORD') target.keyword = take(key);
    else if (key === 'UNKEYWORD') target.unKeyword = take(key);
    else if (key === 'HEADER') {
      const name = take(key);
      target.header = { ...(target.header as Record<string, string> | undefined), [name]: take(key) };
    } else if (key === 'NOT') {
      const inner: SearchObject = {};
      readKey(inner);
      target.not = inner;
    } else if (key === 'OR') {
      const left: SearchObject = {};
      const right: SearchObject = {};
      readKey(left);
      readKey(right);
      target.or = [left, right];
    } else throw new SearchSyntaxError(`unknown search key "${word}"`);
  };
  const query: SearchObject = {};
  if (tokens.length === 0) throw new SearchSyntaxError('needs at least one search key');
  while (position < tokens.length) readKey(query);
  return query;
}
