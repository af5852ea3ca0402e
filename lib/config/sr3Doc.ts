// docs/sr3.md: every option keyword of sr3 and what mailpump does with it. The keywords come
// from the vendored sr3 (scripts/sr3-keywords.py), so the page says the truth about that sr3.
import { findOption, knownWords, negatedOption } from './options.js';
import { sr3KeywordsWithoutEffect } from './sr3Options.js';

export interface Sr3Status {
  readonly implemented: number;
  readonly withoutEffect: number;
}

function statusOf(keyword: string): { kind: 'implemented' | 'withoutEffect'; text: string } {
  const spec = findOption(keyword, 'subscribe') ?? findOption(keyword, 'poll');
  if (spec) return { kind: 'implemented', text: spec.name === keyword ? `implemented (${spec.components?.join(', ') ?? 'all components'})` : `implemented, as \`${spec.name}\`` };
  const negated = negatedOption(keyword);
  if (negated) return { kind: 'implemented', text: `implemented, as \`${negated} off\`` };
  if (knownWords().includes(keyword)) return { kind: 'implemented', text: 'implemented (a directive of the config language)' };
  const why = sr3KeywordsWithoutEffect().get(keyword);
  if (why === undefined) throw new Error(`sr3 keyword "${keyword}" is not classified (lib/config/sr3Options.ts)`);
  return { kind: 'withoutEffect', text: `no effect, read with a warning: ${why}` };
}

export function sr3Counts(keywords: readonly string[]): Sr3Status {
  const kinds = keywords.map((keyword) => statusOf(keyword).kind);
  return { implemented: kinds.filter((k) => k === 'implemented').length, withoutEffect: kinds.filter((k) => k === 'withoutEffect').length };
}

export function renderSr3Doc(keywords: readonly string[]): string {
  const counts = sr3Counts(keywords);
  const rows = keywords.map((keyword) => `| \`${keyword}\` | ${statusOf(keyword).text} |`);
  return [
    '# sr3 options in mailpump',
    '',
    'Generated from the vendored sr3 (`../shared/vendor/sr3/`, by `scripts/sr3-keywords.py`) and mailpump\'s tables by',
    '`npm run docs:sr3`; a test fails when this page is out of date.',
    '',
    'A config written for sr3 loads in mailpump: every sr3 keyword is an option mailpump implements, or is read with one',
    'warning naming the line and why it has no effect here. A word sr3 does not know either is refused, with a suggestion.',
    'An option of sr3 that mailpump takes in another component only (`directory` in a poll) is read with a warning too.',
    '',
    `${keywords.length} keywords: ${counts.implemented} implemented, ${counts.withoutEffect} with no effect for mail, none refused.`,
    '',
    'A poll\'s `accept` and `reject` match the notification URL, as in sr3: `imaps://user@host:993/` followed by the',
    'folder and `<uid>.eml`. To choose mail by its subject, sender or date, use `mailSearch` (IMAP SEARCH keys, checked',
    'by the server).',
    '',
    '| keyword | in mailpump |',
    '| --- | --- |',
    ...rows,
    '',
  ].join('\n');
}
