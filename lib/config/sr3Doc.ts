// docs/sr3.md and its French twin docs/fr/sr3.md: every option keyword of sr3 and what
// mailpump does with it. The keywords come from the vendored sr3 (scripts/sr3-keywords.py),
// so the page says the truth about that sr3.
import { findOption, knownWords, negatedOption } from './options.js';
import type { Language } from './optionsDoc.js';
import { sr3KeywordsWithoutEffect } from './sr3Options.js';

export interface Sr3Status {
  readonly implemented: number;
  readonly withoutEffect: number;
}

const STATUS_WORDS = {
  en: { implemented: 'implemented', as: 'implemented, as', all: 'all components', directive: 'implemented (a directive of the config language)', noEffect: 'no effect, read with a warning:' },
  fr: { implemented: 'pris en charge', as: 'pris en charge, comme', all: 'tous les composants', directive: 'pris en charge (une directive du langage de config)', noEffect: 'sans effet, lu avec un avertissement :' },
} as const;

function statusOf(keyword: string, language: Language = 'en'): { kind: 'implemented' | 'withoutEffect'; text: string } {
  const words = STATUS_WORDS[language];
  const spec = findOption(keyword, 'subscribe') ?? findOption(keyword, 'poll');
  if (spec) return { kind: 'implemented', text: spec.name === keyword ? `${words.implemented} (${spec.components?.join(', ') ?? words.all})` : `${words.as} \`${spec.name}\`` };
  const negated = negatedOption(keyword);
  if (negated) return { kind: 'implemented', text: `${words.as} \`${negated} off\`` };
  if (knownWords().includes(keyword)) return { kind: 'implemented', text: words.directive };
  const why = sr3KeywordsWithoutEffect(language).get(keyword);
  if (why === undefined) throw new Error(`sr3 keyword "${keyword}" is not classified (lib/config/sr3Options.ts)`);
  return { kind: 'withoutEffect', text: `${words.noEffect} ${why}` };
}

export function sr3Counts(keywords: readonly string[]): Sr3Status {
  const kinds = keywords.map((keyword) => statusOf(keyword).kind);
  return { implemented: kinds.filter((k) => k === 'implemented').length, withoutEffect: kinds.filter((k) => k === 'withoutEffect').length };
}

export function renderSr3Doc(keywords: readonly string[], language: Language = 'en'): string {
  const counts = sr3Counts(keywords);
  const rows = keywords.map((keyword) => `| \`${keyword}\` | ${statusOf(keyword, language).text} |`);
  if (language === 'fr') {
    return [
      '# Les options de sr3 dans mailpump',
      '',
      'English: [../sr3.md](../sr3.md).',
      '',
      'Produit à partir du sr3 fourni (`../shared/vendor/sr3/`, par `scripts/sr3-keywords.py`) et des tables de mailpump par',
      '`npm run docs:sr3` ; un test échoue quand cette page n\'est plus à jour.',
      '',
      'Une config écrite pour sr3 se charge dans mailpump : chaque mot-clé de sr3 est une option que mailpump prend en charge, ou est lu avec un',
      'avertissement qui nomme la ligne et dit pourquoi il est sans effet ici. Un mot que sr3 ne connaît pas non plus est refusé, avec une suggestion.',
      'Une option de sr3 que mailpump ne prend que dans un autre composant (`directory` dans un poll) est lue avec un avertissement aussi.',
      '',
      `${keywords.length} mots-clés : ${counts.implemented} pris en charge, ${counts.withoutEffect} sans effet pour le courrier, aucun refusé.`,
      '',
      'Les `accept` et `reject` d\'un poll portent sur l\'URL de la notification, comme dans sr3 : `imaps://utilisateur@hôte:993/` suivi du',
      'dossier et de `<uid>.eml`. Pour choisir le courrier par son sujet, son expéditeur ou sa date, utilisez `mailSearch` (clés IMAP SEARCH,',
      'vérifiées par le serveur).',
      '',
      '| mot-clé | dans mailpump |',
      '| --- | --- |',
      ...rows,
      '',
    ].join('\n');
  }
  return [
    '# sr3 options in mailpump',
    '',
    'French: [fr/sr3.md](fr/sr3.md).',
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
