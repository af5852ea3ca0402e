// sr foreground: one instance (number 00) attached to the terminal, logging to stderr.
// Refused while the config runs in the background: two consumers of one config in
// different modes is how sr3 users end up with duplicates.
import { spawn } from 'node:child_process';
import { optionWords } from '../../config/commandLine.js';
import { UserError } from '../../config/errors.js';
import { instanceArguments } from '../../supervisor/processes.js';
import { configStatus } from '../../supervisor/status.js';
import { type CliContext, loadCredentials, loadSelectionStrict } from '../context.js';

export async function foregroundAction(context: CliContext, selector: string): Promise<number> {
  const configs = loadSelectionStrict(context, [selector]);
  const [config] = configs;
  if (!config || configs.length > 1) throw new UserError(`sr foreground runs one config; "${selector}" matches ${configs.map((c) => c.label).join(', ')}`);
  loadCredentials(context);
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
