// A temporary HOME for running the real `sr` command, and cleanup that stops whatever
// the test started, so no instance outlives its test.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const SR = path.join(REPO, 'bin', 'sr.js');

export interface SrResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export class Sandbox {
  readonly home = fs.mkdtempSync(path.join(os.tmpdir(), 'mailpump-home-'));
  readonly configDir = path.join(this.home, '.config', 'sr');
  readonly cacheDir = path.join(this.home, '.cache', 'sr');

  env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: this.home, ...extra };
    delete env.XDG_CONFIG_HOME;
    delete env.XDG_CACHE_HOME;
    return env;
  }

  sr(args: readonly string[], extraEnv: NodeJS.ProcessEnv = {}): SrResult {
    const result = spawnSync(process.execPath, [SR, ...args], { env: this.env(extraEnv), encoding: 'utf8', timeout: 120000 });
    return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
  }

  /**
   * sr without blocking this process: for tests whose own servers (an authorisation server
   * stand-in) must go on answering while sr runs.
   */
  srAsync(args: readonly string[], onStdout: (text: string) => void = () => undefined): Promise<SrResult> {
    const child = spawn(process.execPath, [SR, ...args], { env: this.env(), stdio: ['ignore', 'pipe', 'pipe'], timeout: 120000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); onStdout(stdout); });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    return new Promise((resolve) => child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr })));
  }

  /** Writes a file under the config directory (`poll/x.conf`, `credentials.conf`...). */
  writeConfig(relative: string, text: string, mode = 0o600): string {
    const file = path.join(this.configDir, relative);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text, { mode });
    fs.chmodSync(file, mode);
    return file;
  }

  stateFile(component: string, config: string, name: string): string {
    return path.join(this.cacheDir, component, config, name);
  }

  /** Plants a file in a config's state directory (a pid file, say). */
  writeState(component: string, config: string, name: string, text: string): void {
    const file = this.stateFile(component, config, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
  }

  pidOf(component: string, config: string, instance: number): number {
    const pid = Number(fs.readFileSync(this.stateFile(component, config, `${component}_${config}_${String(instance).padStart(2, '0')}.pid`), 'utf8'));
    // A test signals this pid: 0 would signal the test's own process group.
    if (!(pid > 0)) throw new Error(`no pid in the pid file of ${component}/${config} instance ${instance}`);
    return pid;
  }

  /** Stops every config of this HOME and removes it (kept for a post-mortem with MAILPUMP_KEEP_SANDBOX=1). */
  cleanup(): void {
    if (fs.existsSync(this.configDir)) this.sr(['stop']);
    if (process.env.MAILPUMP_KEEP_SANDBOX) process.stderr.write(`sandbox kept: ${this.home}\n`);
    else fs.rmSync(this.home, { recursive: true, force: true });
  }
}

/** waitFor, for a condition that is itself asynchronous (an sr run with srAsync). */
export async function waitUntil(condition: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

export async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
