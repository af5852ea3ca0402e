// What the first pass of a poll over a mailbox takes (option firstPass): every message
// (all, the default), the unread ones only (unseen), none of those already there (new:
// mail arriving from now on), or those that arrived since a date (since YYYY-MM-DD). It
// decides once, when the poll first sees the mailbox: every folder found then gets its
// cursor in one transaction, so a stop in the middle of a first pass changes nothing; a
// folder created later is taken whole, as mail arriving from then on.
import type { Config } from '../../config/load.js';
import type { SearchObject } from 'imapflow';

export type FirstPass =
  | { readonly kind: 'all' }
  | { readonly kind: 'unseen' }
  | { readonly kind: 'new' }
  | { readonly kind: 'since'; readonly date: Date };

export class FirstPassError extends Error {}

export function parseFirstPass(text: string): FirstPass {
  const words = text.trim().split(/\s+/);
  if (words.length === 1 && (words[0] === 'all' || words[0] === 'unseen' || words[0] === 'new')) return { kind: words[0] };
  const date = words[0] === 'since' && words.length === 2 && /^\d{4}-\d{2}-\d{2}$/.test(words[1]!) ? new Date(`${words[1]}T00:00:00Z`) : undefined;
  if (date && !Number.isNaN(date.getTime()) && date.toISOString().startsWith(words[1]!)) return { kind: 'since', date };
  throw new FirstPassError(`"firstPass" needs all, unseen, new or since YYYY-MM-DD, got "${text}"`);
}

export function firstPassOf(config: Config): FirstPass {
  return parseFirstPass(config.str('firstPass') ?? 'all');
}

export function describeFirstPass(policy: FirstPass): string {
  switch (policy.kind) {
    case 'all': return 'every message already there';
    case 'unseen': return 'the unread messages already there';
    case 'new': return 'none of the messages already there, only mail arriving from now on';
    case 'since': return `the messages already there that arrived since ${policy.date.toISOString().slice(0, 10)}`;
  }
}

/**
 * The search of a first pass over the messages that were there at first sight: the config's
 * mailSearch and the policy's keys together (the later of two SINCE dates).
 */
export function firstPassSearch(policy: FirstPass, search: SearchObject | undefined): SearchObject | undefined {
  if (policy.kind === 'unseen') return { ...search, seen: false };
  if (policy.kind === 'since') {
    const written = search?.since instanceof Date ? search.since : undefined;
    return { ...search, since: written && written > policy.date ? written : policy.date };
  }
  return search;
}
