// sr remove: clean up (the config's queue, its run state), then delete the config; refused
// while it runs. Removing several configs at once needs --dangerWillRobinson=<how many>.
import fs from 'node:fs';
import { configFile, stateDir } from '../../config/paths.js';
import { type CliContext, loadSelectionStrict } from '../context.js';
import { guardDestructive, removeConfigs } from './brokerActions.js';

export async function removeAction(context: CliContext, selectors: readonly string[], danger: number | undefined): Promise<number> {
  const configs = loadSelectionStrict(context, selectors);
  guardDestructive(context, 'remove', configs, danger);
  await removeConfigs(context, configs, (config) => {
    fs.rmSync(configFile(context.paths, config.id), { force: true });
    fs.rmSync(stateDir(context.paths, config.id), { recursive: true, force: true });
    context.out(`remove: ${config.label} removed (config and run state)`);
  });
  return 0;
}
