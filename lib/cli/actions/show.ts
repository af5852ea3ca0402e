// sr show: the effective config, in the config language, each value with where it came
// from. Passwords never appear: URL passwords are masked and any credentials.conf
// password is blanked wherever it would show.
import { UserError } from '../../config/errors.js';
import type { Config } from '../../config/load.js';
import { OPTIONS, type OptionSpec, type OptionValue } from '../../config/options.js';
import type { Location } from '../../config/parser.js';
import { formatDuration } from '../../config/values.js';
import { redact } from '../../log/logger.js';
import { type CliContext, loadChecked, loadCredentials, nothingConfigured } from '../context.js';

export async function showAction(context: CliContext, selectors: readonly string[]): Promise<number> {
  const { configs, broken } = loadChecked(context, selectors);
  if (configs.length === 0 && broken.length === 0) context.out(nothingConfigured(context));
  const secrets = credentialSecrets(context);
  for (const config of configs) {
    for (const line of describe(config)) context.out(redact(line, secrets));
    context.out('');
  }
  for (const config of broken) context.err(config.message);
  return broken.length > 0 ? 1 : 0;
}

function credentialSecrets(context: CliContext): readonly string[] {
  try {
    return loadCredentials(context).secrets();
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    context.err(`warning: ${error.message}`);
    return [];
  }
}

function describe(config: Config): string[] {
  const lines = [`# ${config.label}: ${config.file}`];
  const row = (text: string, where: Location | undefined) =>
    lines.push(`${text.padEnd(48)} # ${where ? (where.line > 0 ? `${where.file}:${where.line}` : where.file) : 'default'}`);
  for (const [name, value] of Object.entries(config.env)) row(`declare env ${name}=${value}`, undefined);
  for (const spec of OPTIONS) {
    if (spec.kind === 'mask' || spec.kind === 'subtopic' || spec.kind === 'fileRule') continue;
    const setting = config.settings.get(spec.name);
    if (setting === undefined || setting.value === undefined) continue;
    for (const text of formatValue(spec, setting.value)) row(`${spec.name} ${text}`, setting.where);
  }
  for (const [name, value] of Object.entries(config.headers)) row(`header ${name}=${value}`, undefined);
  for (const binding of config.subtopics) {
    row(`subtopic ${binding.subtopic}  (exchange ${binding.exchange ?? 'default'}, prefix ${binding.topicPrefix})`, binding.where);
  }
  for (const mask of config.masks) {
    row(`${mask.action} ${mask.pattern}${mask.directory ? `  (into ${mask.directory})` : ''}`, mask.where);
  }
  for (const rule of config.fileRules) row(`${rule.action}File ${rule.pattern}`, rule.where);
  return lines;
}

function formatValue(spec: OptionSpec, value: OptionValue): string[] {
  if (Array.isArray(value)) return spec.kind === 'set' ? [value.join(',')] : value.map(String);
  if (typeof value === 'boolean') return [value ? 'on' : 'off'];
  if (spec.kind === 'duration' && typeof value === 'number') return [formatDuration(value)];
  if (spec.kind === 'octal' && typeof value === 'number') return [value.toString(8)];
  return [String(value)];
}
