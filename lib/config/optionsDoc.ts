// docs/options.md, written from the option table (npm run docs:options; a test checks it is current).
import { COMPONENTS, type Component } from './components.js';
import { defaultValue, OPTIONS, type OptionSpec, type OptionValue } from './options.js';
import { formatDuration } from './values.js';

const KIND_WORDS: Record<OptionSpec['kind'], string> = {
  flag: 'on/off', duration: 'duration', count: 'number', size: 'size', octal: 'octal mode', str: 'text',
  url: 'URL', enum: 'one of', set: 'set', list: 'text, repeatable', urlList: 'URL, repeatable',
  mask: 'regex, order matters', subtopic: 'topic, order matters', fileRule: 'regex, order matters',
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

export function renderOptionsDoc(): string {
  const rows = OPTIONS.map((spec) => {
    const kind = spec.kind === 'enum' ? `one of ${spec.choices?.join(', ')}` : KIND_WORDS[spec.kind];
    return `| \`${spec.name}\` | ${cell(kind)} | ${cell(defaults(spec)) || ' '} | ${spec.components?.join(', ') ?? 'all'} | ${spec.aliases?.map((a) => `\`${a}\``).join(', ') ?? ''} | ${cell(spec.help)} |`;
  });
  return [
    '# Options',
    '',
    'Generated from the option table (`lib/config/options.ts`) by `npm run docs:options`; a test fails when this page is out of date.',
    '',
    'A config file is `option value` lines; `#` starts a comment line. Values: on/off flags (`on off yes no true false 1 0`, a bare flag is on),',
    'durations (`30`, `30s`, `5m`, `1h30m`, `1w3d`), sizes (`10k` = 10000, `10kb` = `10KiB` = 10240), `${VAR}` substitution.',
    'The effective config is: these defaults, `default.conf`, `<component>.conf`, `<component>/<config>.conf`, then options given',
    'on the command line (`sr --logLevel debug start poll/mail`). `sr show` prints it with where each value was set.',
    '',
    'Besides options, a config may hold `include <file>`, `declare env NAME=value` and `header name=value` lines.',
    '',
    '| option | kind | default | components | aliases | meaning |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}
