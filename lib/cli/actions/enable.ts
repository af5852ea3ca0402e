// sr enable / sr disable: a `disabled` marker in the config's state directory. Disabled
// configs are neither started nor restarted by sanity. Unlike sr3 (issue #1283) this works
// on a config that has never run: the state directory is created.
import fs from 'node:fs';
import path from 'node:path';
import { configLabel } from '../../config/components.js';
import { UserError } from '../../config/errors.js';
import { disabledMarker } from '../../config/paths.js';
import { userConfigs } from '../../config/catalog.js';
import type { CliContext } from '../context.js';
import { selectConfigs } from '../selectors.js';
import { isRunning } from '../../supervisor/status.js';

export async function disableAction(context: CliContext, selectors: readonly string[]): Promise<number> {
  const ids = selectConfigs(selectors, userConfigs(context.paths));
  const running = ids.filter((id) => isRunning(context.paths, id));
  if (running.length > 0) throw new UserError(`cannot disable ${running.map(configLabel).join(', ')} while it is running: sr stop it first`);
  for (const id of ids) {
    const marker = disabledMarker(context.paths, id);
    if (fs.existsSync(marker)) {
      context.out(`disable: ${configLabel(id)} is already disabled`);
      continue;
    }
    fs.mkdirSync(path.dirname(marker), { recursive: true });
    fs.writeFileSync(marker, '');
    context.out(`disable: ${configLabel(id)} disabled`);
  }
  return 0;
}

export async function enableAction(context: CliContext, selectors: readonly string[]): Promise<number> {
  for (const id of selectConfigs(selectors, userConfigs(context.paths))) {
    const marker = disabledMarker(context.paths, id);
    if (!fs.existsSync(marker)) {
      context.out(`enable: ${configLabel(id)} is already enabled`);
      continue;
    }
    fs.rmSync(marker);
    context.out(`enable: ${configLabel(id)} enabled`);
  }
  return 0;
}
