// sr remove: delete a config and its run state; refused while it runs. Removing several
// configs at once needs --dangerWillRobinson=<how many>, as in sr3.
import fs from 'node:fs';
import { configLabel } from '../../config/components.js';
import { UserError } from '../../config/errors.js';
import { configFile, stateDir } from '../../config/paths.js';
import { userConfigs } from '../../config/catalog.js';
import { isRunning } from '../../supervisor/status.js';
import type { CliContext } from '../context.js';
import { selectConfigs } from '../selectors.js';

export async function removeAction(context: CliContext, selectors: readonly string[], danger: number | undefined): Promise<number> {
  const ids = selectConfigs(selectors, userConfigs(context.paths));
  if (ids.length > 1 && danger !== ids.length) {
    throw new UserError(`sr remove would remove ${ids.length} configs (${ids.map(configLabel).join(', ')}); to confirm, add --dangerWillRobinson=${ids.length}`);
  }
  const running = ids.filter((id) => isRunning(context.paths, id));
  if (running.length > 0) throw new UserError(`cannot remove ${running.map(configLabel).join(', ')} while it is running: sr stop it first`);
  for (const id of ids) {
    fs.rmSync(configFile(context.paths, id), { force: true });
    fs.rmSync(stateDir(context.paths, id), { recursive: true, force: true });
    context.out(`remove: ${configLabel(id)} removed (config and run state)`);
  }
  return 0;
}
