// Is a pid one of our instances? A pid file outlives its process, and the kernel reuses
// pids, so "a process with that pid exists" is not enough: its command line must be the
// instance entry point for that very config and instance number.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ConfigId, configLabel } from '../config/components.js';
import { pidExists } from '../system/pids.js';

/** The script every instance process runs (dist/lib/instance/main.js). */
export const INSTANCE_ENTRY = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../instance/main.js');

/** The arguments that identify an instance; also what `ps` shows (never a secret). */
export function instanceArguments(id: ConfigId, instance: number): string[] {
  return [INSTANCE_ENTRY, configLabel(id), String(instance)];
}

/** The process's arguments, or undefined when it is gone or a zombie (zombies have none). */
function commandLine(pid: number): string[] | undefined {
  try {
    const raw = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return raw === '' ? undefined : raw.split('\0').filter((word) => word !== '');
  } catch {
    return undefined;
  }
}

const HAS_PROC = fs.existsSync('/proc/self/cmdline');

export function isInstanceProcess(pid: number, id: ConfigId, instance: number): boolean {
  if (!HAS_PROC) return pidExists(pid); // without /proc, pid reuse cannot be told apart
  const words = commandLine(pid);
  if (!words) return false;
  const expected = instanceArguments(id, instance);
  const start = words.indexOf(expected[0] ?? '');
  return start >= 0 && expected.every((word, offset) => words[start + offset] === word);
}

export function isAlive(pid: number): boolean {
  if (!HAS_PROC) return pidExists(pid);
  return commandLine(pid) !== undefined;
}
