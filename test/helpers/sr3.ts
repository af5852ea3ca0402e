// The real sr3 (../shared/vendor/sr3/, Sarracenia 3.00.5x), run beside mailpump in a HOME of
// its own. Its instances are run with `sr3 foreground` as children of the test and ended by
// their pid: `sr3 stop` and `sr3 sanity` would signal every sr3 process of the user.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO, type SrResult } from './sandbox.js';

const SR3_SOURCE = path.join(REPO, '..', 'shared', 'vendor', 'sr3');
/** Debian's Python, where the packages sr3 needs are installed (not a pyenv one, which lacks them). */
const PYTHON = '/usr/bin/python3';
export const SR3_PACKAGES = 'python3-amqp python3-appdirs python3-humanize python3-humanfriendly python3-jsonpickle python3-psutil python3-watchdog python3-paramiko python3-dateparser python3-magic python3-netifaces python3-xattr python3-paho-mqtt python3-pika python3-tz';

/** Why sr3 cannot run here, or undefined: a missing sr3 fails the tests, it never skips them. */
export function sr3Missing(): string | undefined {
  if (!fs.existsSync(path.join(SR3_SOURCE, 'sarracenia', 'sr.py'))) return `sr3 is not at ${SR3_SOURCE}`;
  const probe = spawnSync(PYTHON, ['-c', 'import sarracenia.sr'], { env: { ...process.env, PYTHONPATH: SR3_SOURCE }, encoding: 'utf8' });
  return probe.status === 0 ? undefined : `sr3 does not start (${probe.stderr.trim().split('\n').at(-1)}): apt-get install ${SR3_PACKAGES}`;
}

export class Sr3Home {
  readonly home = fs.mkdtempSync(path.join(os.tmpdir(), 'sr3-home-'));
  readonly configDir = path.join(this.home, '.config', 'sr3');
  private readonly children: ChildProcess[] = [];

  private env(): NodeJS.ProcessEnv {
    return {
      ...process.env, HOME: this.home, XDG_CONFIG_HOME: path.join(this.home, '.config'), XDG_CACHE_HOME: path.join(this.home, '.cache'), PYTHONPATH: SR3_SOURCE,
    };
  }

  writeConfig(relative: string, lines: readonly string[]): void {
    const file = path.join(this.configDir, relative);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, `${lines.join('\n')}\n`, { mode: 0o600 });
  }

  sr3(args: readonly string[]): SrResult {
    const result = spawnSync(PYTHON, ['-m', 'sarracenia.sr', ...args], { env: this.env(), encoding: 'utf8', timeout: 120000 });
    return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
  }

  /** `sr3 foreground <config>`, its output kept in `log` for a failing test to show. */
  foreground(config: string, log: string): ChildProcess {
    const out = fs.openSync(log, 'a');
    // sr3 foreground runs the instance as a child of its own: both are in a process group of
    // their own, ended together.
    const child = spawn(PYTHON, ['-m', 'sarracenia.sr', 'foreground', config], { env: this.env(), stdio: ['ignore', out, out], detached: true });
    fs.closeSync(out);
    this.children.push(child);
    return child;
  }

  /** Ends the foreground instances and their children (SIGTERM, then SIGKILL after 10 s). */
  async stop(): Promise<void> {
    const group = (child: ChildProcess, signal: NodeJS.Signals) => {
      try {
        process.kill(-child.pid!, signal);
      } catch {
        // the group is gone already
      }
    };
    await Promise.all(this.children.map((child) => new Promise<void>((resolve) => {
      const gone = () => {
        try {
          process.kill(-child.pid!, 0);
          return false;
        } catch {
          return true;
        }
      };
      group(child, 'SIGTERM');
      const started = Date.now();
      const wait = setInterval(() => {
        if (Date.now() - started > 10000) group(child, 'SIGKILL');
        if (gone()) {
          clearInterval(wait);
          resolve();
        }
      }, 100);
    })));
    this.children.length = 0;
  }

  async cleanup(): Promise<void> {
    await this.stop();
    if (process.env.MAILPUMP_KEEP_SANDBOX) process.stderr.write(`sr3 home kept: ${this.home}\n`);
    else fs.rmSync(this.home, { recursive: true, force: true });
  }
}
