// Parsers for the value kinds of the sr3 configuration language (sr3.md 3.3).
// Each returns the parsed value or throws ValueError with a sentence that the
// parser prefixes with `file:line: "option"`.

export class ValueError extends Error {}

const TRUE_WORDS = new Set(['true', 'yes', 'on', '1']);
const FALSE_WORDS = new Set(['false', 'no', 'off', '0']);

/** sr3 treats any unknown word as false; a typo silently disabling a flag is a trap, so we refuse it. */
export function parseFlag(text: string | undefined): boolean {
  if (text === undefined || text === '') return true;
  const word = text.toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  throw new ValueError(`needs on or off, got "${text}"`);
}

const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
const DURATION_TERM = /(\d+(?:\.\d+)?|\.\d+)([smhdw]?)/giy;

/** Seconds, from `30`, `30s`, `1.5h`, `1h30m`, `1w3d`; `none`/`off`/`false` mean 0 as in sr3. */
export function parseDuration(text: string): number {
  const word = text.trim().toLowerCase();
  if (word === 'none' || word === 'off' || word === 'false') return 0;
  if (word === '') throw new ValueError('needs a duration, got nothing');
  let seconds = 0;
  let position = 0;
  DURATION_TERM.lastIndex = 0;
  for (let match = DURATION_TERM.exec(word); match; match = DURATION_TERM.exec(word)) {
    const amount = Number(match[1]);
    const unit = match[2] ?? '';
    seconds += amount * (DURATION_UNITS[unit] ?? 1);
    position = DURATION_TERM.lastIndex;
    if (unit === '' && position < word.length) break; // a bare number must be the last term
  }
  if (position !== word.length) throw new ValueError(`needs a duration (such as 30s, 5m, 1h30m), got "${text}"`);
  return seconds;
}

const DECIMAL_SUFFIX: Record<string, number> = { '': 1, b: 1, k: 1e3, m: 1e6, g: 1e9, t: 1e12 };
const BINARY_SUFFIX: Record<string, number> = { k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 };
const SIZE = /^(-?\d+(?:\.\d+)?|-?\.\d+)\s*([kmgt]?)(i?b?|ib)$/i;

/** sr3 (humanfriendly) sizes: `1k` = 1000, `1kb` = `1ki` = `1KiB` = 1024. Fractions are truncated. */
export function parseSize(text: string): number {
  const match = SIZE.exec(text.trim());
  if (!match) throw new ValueError(`needs a size (such as 512, 10k, 25MiB), got "${text}"`);
  const amount = Number(match[1]);
  const prefix = (match[2] ?? '').toLowerCase();
  const tail = (match[3] ?? '').toLowerCase();
  const binary = prefix !== '' && tail !== '';
  const factor = binary ? BINARY_SUFFIX[prefix] : DECIMAL_SUFFIX[prefix];
  if (factor === undefined || (prefix === '' && tail !== '' && tail !== 'b')) {
    throw new ValueError(`needs a size (such as 512, 10k, 25MiB), got "${text}"`);
  }
  return Math.trunc(amount * factor);
}

/** A whole number, written plain or with a size suffix as sr3 allows (`instances 2`, `batch 1k`). */
export function parseCount(text: string): number {
  let count: number;
  try {
    count = parseSize(text);
  } catch {
    throw new ValueError(`needs a whole number, got "${text}"`);
  }
  if (count < 0 || !Number.isSafeInteger(count)) throw new ValueError(`needs a whole number of 0 or more, got "${text}"`);
  return count;
}

/** A size or a duration can be no less than nothing. */
function notNegative(parse: (text: string) => number): (text: string) => number {
  return (text) => {
    const value = parse(text);
    if (value < 0 || !Number.isFinite(value)) throw new ValueError(`needs a value of 0 or more, got "${text}"`);
    return value;
  };
}

/** Sizes and durations as options take them: never negative. */
export const parseOptionSize = notNegative(parseSize);

export function parseOctal(text: string): number {
  if (!/^[0-7]+$/.test(text.trim())) throw new ValueError(`needs an octal mode (such as 644), got "${text}"`);
  return Number.parseInt(text.trim(), 8);
}

/**
 * sr3 sets: a plain value replaces the set, `+a,b` adds, `-a` removes, `None` empties,
 * `all` takes every allowed value. Items are separated by commas or `|`.
 */
export function applySetValue(current: readonly string[], text: string, allowed?: readonly string[]): string[] {
  const trimmed = text.trim();
  if (trimmed === 'None' || trimmed === '') return [];
  const mode = trimmed[0] === '+' ? 'add' : trimmed[0] === '-' ? 'remove' : 'replace';
  const body = mode === 'replace' ? trimmed : trimmed.slice(1);
  let items = body.split(/[,|]/).map((item) => item.trim()).filter((item) => item !== '');
  if (items.length === 1 && items[0] === 'all' && allowed) items = [...allowed];
  if (allowed) {
    const unknown = items.filter((item) => !allowed.includes(item));
    if (unknown.length > 0) throw new ValueError(`does not know ${unknown.map((u) => `"${u}"`).join(', ')}; choose from ${allowed.join(', ')}`);
  }
  if (mode === 'add') return [...current, ...items.filter((item) => !current.includes(item))];
  if (mode === 'remove') return current.filter((item) => !items.includes(item));
  return items;
}

/** Formats seconds back to the shortest sr3 duration (`90` -> `1m30s`) for `sr show` and tables. */
export function formatDuration(seconds: number): string {
  if (seconds === 0) return '0s';
  if (!Number.isInteger(seconds)) return `${seconds}s`;
  let rest = seconds;
  let text = '';
  for (const [unit, size] of [['w', 604800], ['d', 86400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    const amount = Math.floor(rest / size);
    if (amount > 0) {
      text += `${amount}${unit}`;
      rest -= amount * size;
    }
  }
  return text;
}
