// What state a config is in, from its pid files, its processes and their heartbeats.
// Unlike sr3 (sr3.md 2.6) "hung" is judged on the heartbeat, which instances write on a
// timer whatever the log level, so a quiet instance is never mistaken for a hung one.
import fs from 'node:fs';
import { type ConfigId, configLabel } from '../config/components.js';
import type { Config } from '../config/load.js';
import { disabledMarker, heartbeatFile, instanceStem, pidFile, type SrPaths, stateDir } from '../config/paths.js';
import { type Heartbeat, instancesWithPidFiles, mailboxState, readHeartbeat, readPid } from './instanceFiles.js';
import { isInstanceProcess } from './processes.js';

export type ConfigState = 'running' | 'partial' | 'stopped' | 'disabled' | 'hung' | 'crashed' | 'foreground' | 'retrying' | 'failing' | 'waitVip' | 'error';

export interface InstanceStatus {
  readonly instance: number;
  readonly pid: number | undefined;
  /** the pid file names a live process that is this instance */
  readonly alive: boolean;
  /** alive, but its heartbeat is older than runStateThreshold_hung */
  readonly hung: boolean;
  readonly heartbeat: Heartbeat | undefined;
}

export interface ConfigStatus {
  readonly id: ConfigId;
  readonly label: string;
  readonly state: ConfigState;
  readonly expected: number;
  readonly running: number;
  readonly instances: readonly InstanceStatus[];
  /** the config could not be read: the message says where */
  readonly error?: string;
}

export function instanceStatus(paths: SrPaths, id: ConfigId, instance: number, hungAfterSeconds: number, now = Date.now()): InstanceStatus {
  const pid = readPid(pidFile(paths, id, instance));
  const alive = pid !== undefined && isInstanceProcess(pid, id, instance);
  const written = alive ? readHeartbeat(heartbeatFile(paths, id, instance)) : undefined;
  // A heartbeat left by an earlier process of this instance says nothing about this one.
  const heartbeat = written?.pid === pid ? written : undefined;
  // An instance that has not written its first heartbeat yet counts from its pid file.
  const since = heartbeat ? Date.parse(heartbeat.updatedAt) : pidFileTime(paths, id, instance);
  const hung = alive && now - since > hungAfterSeconds * 1000;
  return { instance, pid, alive, hung, heartbeat };
}

function pidFileTime(paths: SrPaths, id: ConfigId, instance: number): number {
  try {
    return fs.statSync(pidFile(paths, id, instance)).mtimeMs;
  } catch {
    return Date.now();
  }
}

export function isDisabled(paths: SrPaths, id: ConfigId): boolean {
  return fs.existsSync(disabledMarker(paths, id));
}

/** Any instance of the config alive, foreground included. */
export function isRunning(paths: SrPaths, id: ConfigId): boolean {
  return instancesOf(paths, id, Number.POSITIVE_INFINITY).some((status) => status.alive);
}

/** Every instance that has a pid file, foreground (00) included. */
export function instancesOf(paths: SrPaths, id: ConfigId, hungAfterSeconds: number): InstanceStatus[] {
  const stem = instanceStem(id, 0).slice(0, -'_00'.length);
  return instancesWithPidFiles(stateDir(paths, id), stem).map((n) => instanceStatus(paths, id, n, hungAfterSeconds));
}

export function configStatus(paths: SrPaths, config: Config): ConfigStatus {
  const id = config.id;
  const expected = config.instances;
  const instances = instancesOf(paths, id, config.number('runStateThreshold_hung'));
  const background = instances.filter((status) => status.instance > 0);
  const running = background.filter((status) => status.alive).length;
  const base = { id, label: configLabel(id), expected, running, instances };
  const foreground = instances.find((status) => status.instance === 0 && status.alive);
  // A pid file whose process is gone is an instance that died without stopping: crashed,
  // even when others still run. failing: running, but a mailbox it serves fails. partial is fewer instances than configured, none dead
  // (the config asked for more since it was started).
  const now = Date.now();
  const mailboxStates = background.filter((status) => status.alive).flatMap((status) => status.heartbeat?.mailboxes ?? []).map((mailbox) => mailboxState(mailbox, now));
  let state: ConfigState;
  if (background.some((status) => status.hung)) state = 'hung';
  else if (background.some((status) => !status.alive)) state = 'crashed';
  // Running is not all well while a mailbox it serves fails: that is what needs attention.
  else if (running > 0 && mailboxStates.includes('failing')) state = 'failing';
  else if (running > 0 && mailboxStates.includes('retrying')) state = 'retrying';
  // sr3's wVip: running, and rightly idle while another host holds the vip.
  else if (running > 0 && running >= expected && background.every((status) => !status.alive || status.heartbeat?.standby !== undefined)) state = 'waitVip';
  else if (running > 0 && running >= expected) state = 'running';
  else if (running > 0) state = 'partial';
  else if (foreground) state = 'foreground';
  else state = isDisabled(paths, id) ? 'disabled' : 'stopped';
  return { ...base, state };
}

/** The status row of a config that cannot be read: the others are still shown. */
export function brokenConfigStatus(paths: SrPaths, id: ConfigId, error: string): ConfigStatus {
  const instances = instancesOf(paths, id, Number.POSITIVE_INFINITY);
  return {
    id, label: configLabel(id), state: 'error', expected: 0,
    running: instances.filter((status) => status.alive && status.instance > 0).length,
    instances, error,
  };
}
