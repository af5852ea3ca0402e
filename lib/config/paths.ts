// Where mailpump keeps configuration, run state and logs (design.md "Processes and files").
import os from 'node:os';
import path from 'node:path';
import type { ConfigId } from './components.js';

const APP = 'sr';

export interface SrPaths {
  /** `$XDG_CONFIG_HOME/sr`: default.conf, credentials.conf, <component>/<config>.conf */
  configDir: string;
  /** `$XDG_CACHE_HOME/sr`: per-config run state and the log directory */
  cacheDir: string;
  logDir: string;
}

export function resolvePaths(env: NodeJS.ProcessEnv = process.env): SrPaths {
  const home = env.HOME || os.homedir();
  const configHome = env.XDG_CONFIG_HOME || path.join(home, '.config');
  const cacheHome = env.XDG_CACHE_HOME || path.join(home, '.cache');
  const cacheDir = path.join(cacheHome, APP);
  return { configDir: path.join(configHome, APP), cacheDir, logDir: path.join(cacheDir, 'log') };
}

export function configFile(paths: SrPaths, id: ConfigId): string {
  return path.join(paths.configDir, id.component, `${id.name}.conf`);
}

export function stateDir(paths: SrPaths, id: ConfigId): string {
  return path.join(paths.cacheDir, id.component, id.name);
}

/** sr3's instance file stem: `poll_mail_01`; instance 0 is the foreground one. */
export function instanceStem(id: ConfigId, instance: number): string {
  return `${id.component}_${id.name}_${String(instance).padStart(2, '0')}`;
}

export function pidFile(paths: SrPaths, id: ConfigId, instance: number): string {
  return path.join(stateDir(paths, id), `${instanceStem(id, instance)}.pid`);
}

export function heartbeatFile(paths: SrPaths, id: ConfigId, instance: number): string {
  return path.join(stateDir(paths, id), `${instanceStem(id, instance)}.heartbeat.json`);
}

/** The config's totals since its first start (state/progressStore.ts), shared by its instances. */
export function progressFile(paths: SrPaths, id: ConfigId): string {
  return path.join(stateDir(paths, id), 'progress.sqlite');
}

export function disabledMarker(paths: SrPaths, id: ConfigId): string {
  return path.join(stateDir(paths, id), 'disabled');
}

export function logFile(paths: SrPaths, id: ConfigId, instance: number): string {
  return path.join(paths.logDir, `${instanceStem(id, instance)}.log`);
}

/** Where every process of this HOME takes its turn to log in to a POP3 account (LOGIN-DELAY). */
export function pop3LoginsFile(paths: SrPaths): string {
  return path.join(paths.cacheDir, 'pop3', 'logins.sqlite');
}

export function credentialsFile(paths: SrPaths): string {
  return path.join(paths.configDir, 'credentials.conf');
}

/** A path relative to the config directory when it is inside it: what error messages show. */
export function displayPath(paths: SrPaths, file: string): string {
  const relative = path.relative(paths.configDir, file);
  return relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
}
