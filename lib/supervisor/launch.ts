// Starting instances: one detached Node process per instance, its stdout and stderr
// appended to the instance log, its pid file written at once so that a `sr status` run
// right after `sr start` already sees it.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import type { Config } from '../config/load.js';
import { heartbeatFile, instanceStem, logFile, pidFile, type SrPaths, stateDir } from '../config/paths.js';
import { instanceLogTransport } from '../log/logger.js';
import { readHeartbeat, writePid } from './instanceFiles.js';
import { instanceArguments, isInstanceProcess } from './processes.js';

/** Options given on the sr command line, forwarded to every instance (`--logLevel debug`). */
export type ForwardedOptions = readonly string[];

export function launchInstance(paths: SrPaths, config: Config, instance: number, forwarded: ForwardedOptions): number {
  fs.mkdirSync(stateDir(paths, config.id), { recursive: true });
  const log = openInstanceLog(paths, config, instance);
  try {
    const child = spawn(process.execPath, [...instanceArguments(config.id, instance), ...forwarded], {
      detached: true,
      stdio: ['ignore', log, log],
      env: process.env,
    });
    if (child.pid === undefined) throw new Error(`could not start ${config.label} instance ${instance}`);
    writePid(pidFile(paths, config.id, instance), child.pid);
    child.unref();
    return child.pid;
  } finally {
    fs.closeSync(log);
  }
}

/**
 * Opens the instance's current log file for appending. The rotating transport is created
 * once here so the `<stem>.log` symlink exists and points at the file the instance will use.
 */
function openInstanceLog(paths: SrPaths, config: Config, instance: number): number {
  const transport = instanceLogTransport({
    logDir: paths.logDir,
    stem: instanceStem(config.id, instance),
    rotateCount: config.number('logRotateCount'),
    rotateInterval: config.number('logRotateInterval'),
  });
  try {
    return fs.openSync(logFile(paths, config.id, instance), 'a', 0o600);
  } finally {
    transport.close?.();
  }
}

export interface StartCheck {
  readonly instance: number;
  readonly pid: number;
  readonly ok: boolean;
}

/**
 * Waits until each new instance has written its first heartbeat (it is up) or has exited
 * (it failed at start, usually a problem its log explains).
 */
export async function awaitStarted(paths: SrPaths, config: Config, launched: ReadonlyMap<number, number>, timeoutMs = 15000): Promise<StartCheck[]> {
  const deadline = Date.now() + timeoutMs;
  const pending = new Map(launched);
  const results: StartCheck[] = [];
  while (pending.size > 0) {
    for (const [instance, pid] of pending) {
      const up = readHeartbeat(heartbeatFile(paths, config.id, instance))?.pid === pid;
      const gone = !isInstanceProcess(pid, config.id, instance);
      if (up || gone || Date.now() > deadline) {
        results.push({ instance, pid, ok: up || (!gone && Date.now() > deadline) });
        pending.delete(instance);
      }
    }
    if (pending.size > 0) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return results.sort((a, b) => a.instance - b.instance);
}

/** The last lines of an instance's log, to show why it did not start. */
export function logTail(paths: SrPaths, config: Config, instance: number, lines = 5): string[] {
  try {
    const text = fs.readFileSync(logFile(paths, config.id, instance), 'utf8');
    return text.trimEnd().split('\n').slice(-lines);
  } catch {
    return [];
  }
}
