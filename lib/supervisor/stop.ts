// Stopping a config's instances: SIGTERM, time to finish the message in hand, then
// SIGKILL. Only processes verified to be this config's instances are signalled (sr3
// signals every sr3 process of the user: sr3.md 1.3).
import type { ConfigId } from '../config/components.js';
import { pidFile, type SrPaths } from '../config/paths.js';
import { removeFile } from './instanceFiles.js';
import { isInstanceProcess } from './processes.js';
import { instancesOf, type InstanceStatus } from './status.js';

export interface StopOutcome {
  /** instances that ended after SIGTERM */
  readonly stopped: number[];
  /** instances that had to be SIGKILLed */
  readonly killed: number[];
  /** instances still alive after SIGKILL: the stop failed */
  readonly survivors: number[];
  /** pid files whose process was already gone, now removed */
  readonly stale: number[];
  /** a foreground instance, left alone: it belongs to a terminal */
  readonly foreground: InstanceStatus | undefined;
}

const KILL_GRACE_MS = 5000;

/** Takes an id, not a parsed config: a config broken by an edit must still be stoppable. */
export async function stopConfig(paths: SrPaths, id: ConfigId, stopTimeoutSeconds: number, onKill?: (instances: number[]) => void): Promise<StopOutcome> {
  const all = instancesOf(paths, id, Number.POSITIVE_INFINITY);
  const foreground = all.find((status) => status.instance === 0 && status.alive);
  const background = all.filter((status) => status.instance > 0);
  const stale = background.filter((status) => !status.alive).map((status) => status.instance);
  for (const instance of stale) removeFile(pidFile(paths, id, instance));
  const live = background.filter((status) => status.alive);

  signal(live, 'SIGTERM');
  let remaining = await waitForExit(id, live, stopTimeoutSeconds * 1000);
  const stopped = live.filter((status) => !remaining.includes(status)).map((status) => status.instance);
  const killed = remaining.map((status) => status.instance);
  if (remaining.length > 0) {
    onKill?.(killed);
    remaining = await killInstances(id, remaining);
  }
  const survivors = remaining.map((status) => status.instance);
  for (const status of live) {
    if (!survivors.includes(status.instance)) removeFile(pidFile(paths, id, status.instance));
  }
  return { stopped, killed: killed.filter((n) => !survivors.includes(n)), survivors, stale, foreground };
}

/** SIGKILL without asking first (a hung instance cannot answer SIGTERM); the survivors are returned. */
export async function killInstances(id: ConfigId, instances: readonly InstanceStatus[]): Promise<InstanceStatus[]> {
  signal(instances, 'SIGKILL');
  return waitForExit(id, instances, KILL_GRACE_MS);
}

function signal(instances: readonly InstanceStatus[], name: NodeJS.Signals): void {
  for (const status of instances) {
    try {
      if (status.pid !== undefined) process.kill(status.pid, name);
    } catch {
      // gone between the check and the signal: that is what we wanted
    }
  }
}

async function waitForExit(id: ConfigId, instances: readonly InstanceStatus[], timeoutMs: number): Promise<InstanceStatus[]> {
  const deadline = Date.now() + timeoutMs;
  let alive = [...instances];
  for (;;) {
    alive = alive.filter((status) => status.pid !== undefined && isInstanceProcess(status.pid, id, status.instance));
    if (alive.length === 0 || Date.now() >= deadline) return alive;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
