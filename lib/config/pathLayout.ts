// sr3's mirror, strip and flatten (sr3.md 3.4): how the notification's relPath shapes the
// place of the files written. Each accept line keeps the values written above it, so
// they are read here, where the parser makes masks, as well as for the whole config.
import { ValueError } from './values.js';

/** `strip N` leaves out N leading levels; any other text is a regex whose first match goes. */
export type Strip = { readonly count: number } | { readonly pattern: RegExp };

export interface PathLayout {
  readonly mirror: boolean;
  readonly strip: Strip;
  readonly flatten: string;
}

/** sr3 reads a number as a count, anything else as a pattern without its leading `/`. */
export function parseStrip(text: string): Strip {
  if (/^\d+$/.test(text)) return { count: Number(text) };
  const pattern = text.startsWith('/') ? text.slice(1) : text;
  try {
    return { pattern: new RegExp(pattern) };
  } catch (error) {
    throw new ValueError(`needs a count or a regular expression; "${text}" is neither: ${(error as Error).message.replace(/^Invalid regular expression: /, '')}`);
  }
}

/** The layout from option values as the parser holds them (their defaults already in). */
export function pathLayout(value: (name: string) => unknown): PathLayout {
  const text = (name: string, fallback: string) => {
    const found = value(name);
    return typeof found === 'string' ? found : fallback;
  };
  return { mirror: value('mirror') === true, strip: parseStrip(text('strip', '0')), flatten: text('flatten', '/') };
}

/** sr3's subscribe defaults: every file straight in the directory under its own name. */
export const FLAT_LAYOUT: PathLayout = { mirror: false, strip: { count: 0 }, flatten: '/' };
