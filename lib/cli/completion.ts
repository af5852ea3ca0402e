// Shell completion (sr completion > ~/.local/share/bash-completion/completions/sr, or the zsh
// equivalent): actions and their flags as yargs knows them, config names after an action
// that takes configs, config options after `--`.
import { configLabel } from '../config/components.js';
import { userConfigs } from '../config/catalog.js';
import { knownWords } from '../config/options.js';
import type { SrPaths } from '../config/paths.js';

/** yargs's own word for asking completions, which the config options must let through. */
export const COMPLETION_FLAG = 'get-yargs-completions';

type Done = (completions: string[]) => void;

/** A completion function in yargs's shape: (current word, argv so far, yargs's own completions, done). */
export function completer(paths: SrPaths) {
  return (current: string, argv: { _: Array<string | number> }, defaults: (done: (error: Error | null, completions: string[] | undefined) => void) => void, done: Done): void => {
    if (current.startsWith('--')) {
      const words = [...new Set(knownWords())].map((word) => `--${word}`).filter((word) => word.startsWith(current));
      defaults((_error, own) => done([...(own ?? []).filter((word) => word.startsWith(current)), ...words]));
      return;
    }
    // argv._ is ['sr', <action>, ..., <current word>]: after an action, what comes is configs.
    if (argv._.length >= 3) {
      const labels = userConfigs(paths).map(configLabel).filter((label) => label.startsWith(current));
      if (labels.length > 0) {
        done(labels);
        return;
      }
    }
    defaults((_error, own) => done(own ?? []));
  };
}
