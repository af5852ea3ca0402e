// Config options written on the sr command line (`--logLevel debug`, `--instances=2`),
// applied after every config file, and forwarded as they are to started instances.
import { UsageError } from './errors.js';

export type CommandLineOption = readonly [name: string, value: string];

/** `--name value`, `--name=value`, or a bare `--flag` (meaning on, as a bare flag line does). */
export function parseOptionWords(words: readonly string[]): CommandLineOption[] {
  const options: CommandLineOption[] = [];
  for (let index = 0; index < words.length; index += 1) {
    const word = words[index] ?? '';
    if (!word.startsWith('--')) throw new UsageError(`expected an option such as --logLevel debug, got "${word}"`);
    const equals = word.indexOf('=');
    if (equals > 0) {
      options.push([word.slice(2, equals), word.slice(equals + 1)]);
      continue;
    }
    const next = words[index + 1];
    if (next !== undefined && !next.startsWith('--')) {
      options.push([word.slice(2), next]);
      index += 1;
    } else {
      options.push([word.slice(2), '']);
    }
  }
  return options;
}

/** Back to words, for forwarding to an instance process. */
export function optionWords(options: readonly CommandLineOption[]): string[] {
  return options.map(([name, value]) => `--${name}=${value}`);
}
