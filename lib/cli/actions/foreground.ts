// sr foreground: one instance (number 00) attached to the terminal, logging to stderr; with
// --dry_run, what a poll would announce now (components/poll/dryRun.ts).
// Refused while the config runs in the background: two consumers of one config in
// different modes is how sr3 users end up with duplicates.
import { spawn } from 'node:child_process';
import { optionWords } from '../../config/commandLine.js';
import { UserError } from '../../config/errors.js';
import { instanceArguments } from '../../supervisor/processes.js';
import { configStatus } from '../../supervisor/status.js';
import { dryRunPoll } from '../../components/poll/dryRun.js';
import { checkCredentials, validateConfig } from '../../components/validate.js';
import { closeLogger, createConsoleLogger } from '../../log/logger.js';
import { type CliContext, loadCredentials, loadSelectionStrict } from '../context.js';

export async function foregroundAction(context: CliContext, selector: string, dryRun = false): Promise<number> {
  const configs = loadSelectionStrict(context, [selector]);
  const [config] = configs;
  if (!config || configs.length > 1) throw new UserError(`sr foreground runs one config; "${selector}" matches ${configs.map((c) => c.label).join(', ')}`);
  const credentials = loadCredentials(context);
  if (dryRun) {
    // In this process: it publishes nothing and keeps nothing, so it may run beside the config's instances.
    if (config.id.component !== 'poll') throw new UserError(`--dry_run lists what a poll would announce; ${config.label} is a ${config.id.component}`);
    validateConfig(config);
    checkCredentials(config, credentials);
    const logger = createConsoleLogger('warning', credentials.secrets());
    try {
      return await dryRunPoll(config, context.paths, credentials, logger, context.out);
    } finally {
      await closeLogger(logger);
    }
  }
  const status = configStatus(context.paths, config);
  if (status.state === 'disabled') throw new UserError(`${config.label} is disabled (sr enable ${config.label} to allow it)`);
  if (status.instances.some((i) => i.alive)) throw new UserError(`${config.label} is running (${status.state}): sr stop ${config.label} first`);
  const child = spawn(process.execPath, [...instanceArguments(config.id, 0), ...optionWords(context.commandLine)], { stdio: 'inherit' });
  // Ctrl-C reaches the child through the terminal; a SIGTERM sent to sr is passed on.
  const forward = () => child.kill('SIGTERM');
  process.on('SIGTERM', forward);
  process.on('SIGINT', () => undefined);
  const code = await new Promise<number>((resolve) => child.on('exit', (exitCode, signal) => resolve(exitCode ?? (signal ? 1 : 0))));
  process.off('SIGTERM', forward);
  return code;
}
