// docs/options.md and its French twin docs/fr/options.md, written from the option table
// (npm run docs:options; a test checks both are current).
import { COMPONENTS, type Component } from './components.js';
import { defaultValue, OPTIONS, type OptionSpec, type OptionValue } from './options.js';
import { formatDuration } from './values.js';

export type Language = 'en' | 'fr';

const KIND_WORDS: Record<Language, Record<OptionSpec['kind'], string>> = {
  en: {
    flag: 'on/off', duration: 'duration', count: 'number', size: 'size', octal: 'octal mode', str: 'text',
    url: 'URL', enum: 'one of', set: 'set', list: 'text, repeatable', urlList: 'URL, repeatable',
    mask: 'regex, order matters', subtopic: 'topic, order matters', fileRule: 'regex, order matters',
  },
  fr: {
    flag: 'on/off', duration: 'durée', count: 'nombre', size: 'taille', octal: 'mode octal', str: 'texte',
    url: 'URL', enum: 'un de', set: 'ensemble', list: 'texte, répétable', urlList: 'URL, répétable',
    mask: 'regex, l\'ordre compte', subtopic: 'topic, l\'ordre compte', fileRule: 'regex, l\'ordre compte',
  },
};

const WORDS = {
  en: { all: 'all', oneOf: 'one of', header: '| option | kind | default | components | aliases | meaning |' },
  fr: { all: 'tous', oneOf: 'un de', header: '| option | genre | défaut | composants | alias | sens |' },
} as const;

const INTRO: Record<Language, readonly string[]> = {
  en: [
    '# Options',
    '',
    'French: [fr/options.md](fr/options.md).',
    '',
    'Generated from the option table (`lib/config/options.ts`) by `npm run docs:options`; a test fails when this page is out of date.',
    '',
    'A config file is `option value` lines; `#` starts a comment line. Values: on/off flags (`on off yes no true false 1 0`, a bare flag is on),',
    'durations (`30`, `30s`, `5m`, `1h30m`, `1w3d`), sizes (`10k` = 10000, `10kb` = `10KiB` = 10240), `${VAR}` substitution.',
    'The effective config is: these defaults, `default.conf`, `<component>.conf`, `<component>/<config>.conf`, then options given',
    'on the command line (`sr --logLevel debug start poll/mail`). `sr show` prints it with where each value was set.',
    '',
    'Besides options, a config may hold `include <file>`, `declare env NAME=value` and `header name=value` lines.',
  ],
  fr: [
    '# Options',
    '',
    'English: [../options.md](../options.md).',
    '',
    'Produit à partir de la table des options (`lib/config/options.ts`) par `npm run docs:options` ; un test échoue quand cette page n\'est plus à jour.',
    '',
    'Un fichier de config est fait de lignes `option valeur` ; `#` commence une ligne de commentaire. Valeurs : drapeaux on/off (`on off yes no true false 1 0`,',
    'un drapeau seul vaut on), durées (`30`, `30s`, `5m`, `1h30m`, `1w3d`), tailles (`10k` = 10000, `10kb` = `10KiB` = 10240), substitution `${VAR}`.',
    'La config effective est : ces valeurs par défaut, `default.conf`, `<composant>.conf`, `<composant>/<config>.conf`, puis les options données',
    'sur la ligne de commande (`sr --logLevel debug start poll/mail`). `sr show` l\'affiche avec l\'endroit où chaque valeur a été donnée.',
    '',
    'En plus des options, une config peut contenir des lignes `include <fichier>`, `declare env NOM=valeur` et `header nom=valeur`.',
  ],
};

function shown(spec: OptionSpec, value: OptionValue): string {
  if (value === undefined) return '';
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  if (spec.kind === 'duration' && typeof value === 'number') return formatDuration(value);
  return Array.isArray(value) ? value.join(',') : String(value);
}

function defaults(spec: OptionSpec): string {
  const applicable = COMPONENTS.filter((c) => !spec.components || spec.components.includes(c));
  const values = applicable.map((component: Component) => [component, shown(spec, defaultValue(spec, component))] as const);
  const distinct = new Set(values.map(([, value]) => value));
  if (distinct.size === 1) return values[0]?.[1] ?? '';
  return values.map(([component, value]) => `${component}: ${value || '-'}`).join(', ');
}

const cell = (text: string) => text.replaceAll('|', '\\|');

export function renderOptionsDoc(language: Language = 'en'): string {
  const words = WORDS[language];
  const rows = OPTIONS.map((spec) => {
    const kind = spec.kind === 'enum' ? `${words.oneOf} ${spec.choices?.join(', ')}` : KIND_WORDS[language][spec.kind];
    const help = language === 'fr' ? spec.helpFr : spec.help;
    return `| \`${spec.name}\` | ${cell(kind)} | ${cell(defaults(spec)) || ' '} | ${spec.components?.join(', ') ?? words.all} | ${spec.aliases?.map((a) => `\`${a}\``).join(', ') ?? ''} | ${cell(help)} |`;
  });
  return [
    ...INTRO[language],
    '',
    words.header,
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}
