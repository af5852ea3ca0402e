// What every action gets: where things are, where to print, and the config options
// written on the command line.
import type { CommandLineOption } from '../config/commandLine.js';
import { type ConfigId, configLabel } from '../config/components.js';
import { CredentialsStore } from '../config/credentials.js';
import { ConfigErrors, UserError } from '../config/errors.js';
import { type Config, loadConfig } from '../config/load.js';
import { credentialsFile, type SrPaths } from '../config/paths.js';
import { userConfigs } from '../config/catalog.js';
import { validateConfig } from '../components/validate.js';
import { selectConfigs } from './selectors.js';

/** Where a long action draws its progress line (progress.ts): process.stderr when it is a terminal. */
export interface Terminal {
  write(text: string): unknown;
  readonly columns?: number;
}

export interface CliContext {
  readonly paths: SrPaths;
  readonly commandLine: readonly CommandLineOption[];
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  /** stderr when it is a terminal: long actions draw their progress there (progress.ts) */
  readonly terminal?: Terminal;
}

export interface BrokenConfig {
  readonly id: ConfigId;
  readonly label: string;
  readonly message: string;
}

export interface Selection {
  readonly configs: Config[];
  readonly broken: BrokenConfig[];
}

/**
 * Reads every selected config; those that cannot be read are returned apart, with why. The
 * lines read without effect (sr3 options) are said on stderr, each once (a default.conf line
 * is read for every config), unless `quiet`: sr status and sr sanity run from cron.
 */
export function loadSelection(context: CliContext, selectors: readonly string[], quiet = false): Selection {
  const selection: Selection = { configs: [], broken: [] };
  for (const id of selectConfigs(selectors, userConfigs(context.paths))) {
    try {
      selection.configs.push(loadConfig(context.paths, id, context.commandLine));
    } catch (error) {
      if (!(error instanceof ConfigErrors)) throw error;
      selection.broken.push({ id, label: configLabel(id), message: error.message });
    }
  }
  if (!quiet) for (const warning of new Set(selection.configs.flatMap((config) => config.warnings))) context.err(`warning: ${warning}`);
  return selection;
}

/**
 * loadSelection, with every check `sr start` makes of a config (validateConfig): `sr show`,
 * `sr edit` and `sr status` accept nothing that `sr start` would refuse.
 */
export function loadChecked(context: CliContext, selectors: readonly string[], quiet = false): Selection {
  const { configs, broken } = loadSelection(context, selectors, quiet);
  const checked: Selection = { configs: [], broken: [...broken] };
  for (const config of configs) {
    try {
      validateConfig(config);
      checked.configs.push(config);
    } catch (error) {
      if (!(error instanceof ConfigErrors)) throw error;
      checked.broken.push({ id: config.id, label: config.label, message: error.message });
    }
  }
  return checked;
}

/** What to say when there is no config at all, and how to begin. */
export function nothingConfigured(context: CliContext): string {
  return `no configs yet in ${context.paths.configDir}; to begin: sr list examples, then sr add poll/mail.conf subscribe/mail.conf (README, Quick start)`;
}

/** For actions that must not act on half a selection: any unreadable config fails the command. */
export function loadSelectionStrict(context: CliContext, selectors: readonly string[]): Config[] {
  const { configs, broken } = loadSelection(context, selectors);
  if (broken.length > 0) throw new UserError(broken.map((config) => config.message).join('\n'));
  return configs;
}

/** The subscribe configs the selectors name (every subscribe without one); none is a UserError naming `action`. */
export function selectedSubscribes(context: CliContext, selectors: readonly string[], action: string, why: string): Config[] {
  const configs = loadSelectionStrict(context, selectors.length > 0 ? selectors : ['subscribe/*']).filter((config) => config.id.component === 'subscribe');
  if (configs.length === 0) throw new UserError(`${action}: no subscribe config selected (${why})`);
  return configs;
}

export function loadCredentials(context: CliContext): CredentialsStore {
  return CredentialsStore.load(credentialsFile(context.paths), 'credentials.conf');
}
