// sr log: show an instance's log and follow it across rotations (tail -F follows the
// <stem>.log symlink as it is moved to each new file).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { configLabel } from '../../config/components.js';
import { UserError } from '../../config/errors.js';
import { logFile } from '../../config/paths.js';
import { userConfigs } from '../../config/catalog.js';
import type { CliContext } from '../context.js';
import { selectConfigs } from '../selectors.js';

export interface LogOptions {
  readonly instance: number;
  readonly lines: number;
  readonly follow: boolean;
}

export async function logAction(context: CliContext, selector: string, options: LogOptions): Promise<number> {
  const ids = selectConfigs([selector], userConfigs(context.paths));
  const [id] = ids;
  if (!id || ids.length > 1) throw new UserError(`sr log shows one config; "${selector}" matches ${ids.map(configLabel).join(', ')}`);
  const file = logFile(context.paths, id, options.instance);
  if (!fs.existsSync(file)) throw new UserError(`${configLabel(id)} instance ${options.instance} has no log yet (${file}): has it run?`);
  const args = ['-n', String(options.lines), ...(options.follow ? ['-F'] : []), file];
  const child = spawn('tail', args, { stdio: 'inherit' });
  return new Promise<number>((resolve, reject) => {
    child.on('error', (error) => reject(new UserError(`cannot run tail to show ${file}: ${error.message}`)));
    child.on('exit', (code, signal) => resolve(signal === 'SIGINT' || signal === 'SIGTERM' ? 0 : code ?? 1));
  });
}
