// sr sanity: restart instances that died (their pid file names no live instance) and kill
// then restart hung ones (no heartbeat for runStateThreshold_hung). Configs that are
// stopped or disabled are left alone: sanity repairs, it does not start (sr3.md 2.6).
import { pidFile } from '../../config/paths.js';
import { removeFile } from '../../supervisor/instanceFiles.js';
import { configStatus, isDisabled } from '../../supervisor/status.js';
import { killInstances } from '../../supervisor/stop.js';
import { type CliContext, loadSelection } from '../context.js';
import { startInstances } from './lifecycle.js';
import { formatDuration } from '../../config/values.js';

export async function sanityAction(context: CliContext, selectors: readonly string[]): Promise<number> {
  const { configs, broken } = loadSelection(context, selectors, true);
  let failed = false;
  let repaired = 0;
  for (const config of configs) {
    const status = configStatus(context.paths, config);
    const background = status.instances.filter((i) => i.instance > 0);
    if (background.length === 0 || isDisabled(context.paths, config.id)) continue;
    const dead = background.filter((i) => !i.alive);
    const hung = background.filter((i) => i.hung);
    for (const instance of dead) {
      context.out(`sanity: ${config.label} instance ${instance.instance} (pid ${instance.pid ?? '?'}) has died`);
      removeFile(pidFile(context.paths, config.id, instance.instance));
    }
    for (const instance of hung) {
      context.out(`sanity: ${config.label} instance ${instance.instance} (pid ${instance.pid}) is hung (no heartbeat for over ${formatDuration(config.number('runStateThreshold_hung'))}): killing it`);
      await killInstances(config.id, [instance]);
    }
    // Instance numbers that should run and do not: the dead, the hung, and any never started.
    const alive = new Set(background.filter((i) => i.alive && !i.hung).map((i) => i.instance));
    const restart = Array.from({ length: config.instances }, (_, index) => index + 1).filter((n) => !alive.has(n));
    if (restart.length === 0) continue;
    repaired += restart.length;
    if (!(await startInstances(context, config, restart))) failed = true;
  }
  for (const config of broken) context.err(`sanity: cannot check ${config.label}: ${config.message}`);
  if (repaired === 0 && !failed) context.out('sanity: nothing to repair');
  return failed || broken.length > 0 ? 1 : 0;
}
