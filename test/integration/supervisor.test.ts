// The supervisor on real instance processes: start, crash, hang, repair, stop.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { INSTANCE_ENTRY } from '../../lib/supervisor/processes.js';
import { REPO, Sandbox, waitFor } from '../helpers/sandbox.js';

interface StatusRow {
  config: string;
  state: string;
  running: number;
  expected: number;
  instances: Array<{ instance: number; pid: number | null; alive: boolean; hung: boolean }>;
}

let box: Sandbox;
beforeEach(() => { box = new Sandbox(); });
afterEach(() => box.cleanup());

function status(selector: string): StatusRow {
  const rows = JSON.parse(box.sr(['status', '--json', selector]).stdout) as StatusRow[];
  assert.equal(rows.length, 1);
  return rows[0]!;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    // A zombie still answers signal 0; it is gone for our purposes.
    return !fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z');
  } catch {
    return false;
  }
}

/** Fast heartbeats so hangs show in seconds, not minutes. */
const QUICK = ['directory ${HOME}/files', 'metrics_writeInterval 1s', 'runStateThreshold_hung 4s', 'stop_timeout 10s'];

describe('instances', () => {
  it('start, crash, sanity and stop: the whole cycle on real processes', async () => {
    box.writeConfig('subscribe/mail.conf', ['instances 2', ...QUICK].join('\n'));
    const started = box.sr(['start', 'subscribe/mail']);
    assert.equal(started.code, 0, started.stderr);
    assert.match(started.stdout, /subscribe\/mail started 2 instance\(s\)/);
    let row = status('subscribe/mail');
    assert.equal(row.state, 'running');
    assert.deepEqual([row.running, row.expected], [2, 2]);
    assert.match(box.sr(['status']).stdout, /^subscribe\/mail +running +2\/2/m);

    const victim = box.pidOf('subscribe', 'mail', 2);
    process.kill(victim, 'SIGKILL');
    await waitFor(() => !alive(victim), 5000, 'the killed instance to go');
    row = status('subscribe/mail');
    assert.equal(row.state, 'crashed');
    assert.equal(row.running, 1);
    assert.equal(box.sr(['status']).code, 1, 'a crashed config makes status exit 1');

    const repaired = box.sr(['sanity']);
    assert.equal(repaired.code, 0, repaired.stderr);
    assert.match(repaired.stdout, new RegExp(`subscribe/mail instance 2 \\(pid ${victim}\\) has died`));
    row = status('subscribe/mail');
    assert.equal(row.state, 'running');
    const replacement = box.pidOf('subscribe', 'mail', 2);
    assert.notEqual(replacement, victim);
    const survivor = box.pidOf('subscribe', 'mail', 1);

    const stopped = box.sr(['stop', 'subscribe/mail']);
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.match(stopped.stdout, /subscribe\/mail stopped 2 instance\(s\)/);
    assert.equal(status('subscribe/mail').state, 'stopped');
    assert.ok(!alive(survivor) && !alive(replacement));
    assert.ok(!fs.existsSync(box.stateFile('subscribe', 'mail', 'subscribe_mail_01.pid')), 'pid files removed');
    const log = fs.readFileSync(path.join(box.cacheDir, 'log', 'subscribe_mail_01.log'), 'utf8');
    assert.match(log, /\[INFO\] subscribe\/mail instance 1 started/);
    assert.match(log, /SIGTERM received: finishing the work in hand, then stopping/);
    assert.match(log, /\[INFO\] subscribe\/mail instance 1 stopped/);
    assert.equal(box.sr(['sanity']).stdout.trim(), 'sanity: nothing to repair', 'sanity does not start stopped configs');
  });

  it('a hung instance (no heartbeat) is shown hung, then killed and restarted by sanity', async () => {
    box.writeConfig('subscribe/mail.conf', QUICK.join('\n'));
    assert.equal(box.sr(['start', 'subscribe/mail']).code, 0);
    const frozen = box.pidOf('subscribe', 'mail', 1);
    process.kill(frozen, 'SIGSTOP'); // a real hang: the process exists and does nothing
    try {
      await waitFor(() => status('subscribe/mail').state === 'hung', 15000, 'status to say hung');
      const repaired = box.sr(['sanity', 'subscribe/mail']);
      assert.equal(repaired.code, 0, repaired.stderr);
      assert.match(repaired.stdout, /instance 1 \(pid \d+\) is hung \(no heartbeat for over 4s\): killing it/);
      await waitFor(() => !alive(frozen), 5000, 'the hung process to be killed');
      const row = status('subscribe/mail');
      assert.equal(row.state, 'running');
      assert.notEqual(box.pidOf('subscribe', 'mail', 1), frozen);
    } finally {
      if (alive(frozen)) process.kill(frozen, 'SIGKILL');
    }
  });

  it('a quiet but healthy instance is not hung, whatever the log level', async () => {
    box.writeConfig('subscribe/mail.conf', [...QUICK, 'logLevel critical'].join('\n'));
    assert.equal(box.sr(['start', 'subscribe/mail']).code, 0);
    await new Promise((resolve) => setTimeout(resolve, 6000)); // longer than runStateThreshold_hung
    assert.equal(status('subscribe/mail').state, 'running');
  });

  it('a stale pid file naming another program is never taken for a running instance', async () => {
    box.writeConfig('subscribe/mail.conf', QUICK.join('\n'));
    const stranger = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      box.writeState('subscribe', 'mail', 'subscribe_mail_01.pid', String(stranger.pid));
      const row = status('subscribe/mail');
      assert.equal(row.state, 'crashed');
      assert.equal(row.running, 0);
      const stopped = box.sr(['stop', 'subscribe/mail']);
      assert.equal(stopped.code, 0);
      assert.match(stopped.stdout, /instance\(s\) 1 had already died; removed their pid files/);
      assert.ok(alive(stranger.pid!), 'the unrelated process was not signalled');
      assert.equal(status('subscribe/mail').state, 'stopped');
    } finally {
      stranger.kill('SIGKILL');
    }
  });

  it('stop sends SIGKILL to an instance that ignores SIGTERM for longer than stop_timeout', async () => {
    box.writeConfig('subscribe/mail.conf', ['directory ${HOME}/files', 'stop_timeout 1s'].join('\n'));
    // A process with an instance's command line that ignores SIGTERM: a stuck instance.
    const stuck = spawn(process.execPath, ['-e', 'process.on("SIGTERM", () => {}); setInterval(() => {}, 1000);', INSTANCE_ENTRY, 'subscribe/mail', '1'], { stdio: 'ignore' });
    try {
      await waitFor(() => fs.existsSync(`/proc/${stuck.pid}/cmdline`) && fs.readFileSync(`/proc/${stuck.pid}/cmdline`, 'utf8').includes('subscribe/mail'), 5000, 'the stuck process');
      box.writeState('subscribe', 'mail', 'subscribe_mail_01.pid', String(stuck.pid));
      const startedAt = Date.now();
      const stopped = box.sr(['stop', 'subscribe/mail']);
      assert.equal(stopped.code, 0, stopped.stderr);
      assert.match(stopped.stdout, /instance\(s\) 1 still running after 1s: sending SIGKILL/);
      assert.ok(Date.now() - startedAt >= 1000, 'it waited stop_timeout first');
      await waitFor(() => stuck.exitCode !== null || stuck.signalCode !== null, 5000, 'the stuck process to end');
      assert.equal(stuck.signalCode, 'SIGKILL');
    } finally {
      stuck.kill('SIGKILL');
    }
  });

  it('stop touches only the selected config', () => {
    box.writeConfig('subscribe/a.conf', QUICK.join('\n'));
    box.writeConfig('subscribe/b.conf', QUICK.join('\n'));
    assert.equal(box.sr(['start']).code, 0);
    const other = box.pidOf('subscribe', 'b', 1);
    assert.equal(box.sr(['stop', 'subscribe/a']).code, 0);
    assert.equal(status('subscribe/a').state, 'stopped');
    assert.equal(status('subscribe/b').state, 'running');
    assert.ok(alive(other));
  });

  it('a config broken by an edit while running can still be stopped, and restart then stops nothing', () => {
    box.writeConfig('subscribe/mail.conf', QUICK.join('\n'));
    assert.equal(box.sr(['start']).code, 0);
    const pid = box.pidOf('subscribe', 'mail', 1);
    box.writeConfig('subscribe/mail.conf', 'instances many\n');
    const restart = box.sr(['restart', 'subscribe/mail']);
    assert.equal(restart.code, 1);
    assert.match(restart.stderr, /subscribe\/mail.conf:1: "instances" needs a whole number/);
    assert.ok(alive(pid), 'restart refused before stopping anything');
    const row = status('subscribe/mail');
    assert.deepEqual([row.state, row.running], ['error', 1]);
    // A config that reads but would not start (an unknown callback) is refused before the stop too.
    box.writeConfig('subscribe/mail.conf', [...QUICK, 'callback poll.mail'].join('\n'));
    const refused = box.sr(['restart', 'subscribe/mail']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /subscribe\/mail.conf:5: callback "poll.mail" is not built into mailpump's subscribe/);
    assert.ok(alive(pid), 'still running');
    assert.equal(box.sr(['stop', 'subscribe/mail']).code, 0);
    assert.ok(!alive(pid));
  });

  it('remove and disable are refused while the config runs', () => {
    box.writeConfig('subscribe/mail.conf', QUICK.join('\n'));
    assert.equal(box.sr(['start']).code, 0);
    const remove = box.sr(['remove', 'subscribe/mail']);
    assert.equal(remove.code, 1);
    assert.match(remove.stderr, /cannot remove subscribe\/mail while it is running: sr stop it first/);
    assert.equal(box.sr(['disable', 'subscribe/mail']).code, 1);
    assert.ok(fs.existsSync(path.join(box.configDir, 'subscribe/mail.conf')));
  });

  it('sr log shows the instance log', () => {
    box.writeConfig('subscribe/mail.conf', QUICK.join('\n'));
    assert.equal(box.sr(['start']).code, 0);
    const log = box.sr(['log', 'subscribe/mail', '--no-follow', '-n', '5']);
    assert.equal(log.code, 0, log.stderr);
    assert.match(log.stdout, /subscribe\/mail instance 1 started/);
    assert.equal(box.sr(['log', 'subscribe/mail', '-i', '7', '--no-follow']).code, 1);
  });
});

describe('sr foreground', () => {
  it('runs instance 00 attached, logging to stderr, refuses a second start, and stops on SIGTERM', async () => {
    box.writeConfig('subscribe/mail.conf', QUICK.join('\n'));
    const child = spawn(process.execPath, [path.join(REPO, 'bin', 'sr.js'), 'foreground', 'subscribe/mail'], { env: box.env(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    await waitFor(() => /instance 0 started/.test(stderr), 10000, 'the foreground instance to start');
    assert.equal(status('subscribe/mail').state, 'foreground');
    const start = box.sr(['start', 'subscribe/mail']);
    assert.equal(start.code, 1);
    assert.match(start.stderr, /runs in the foreground/);
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    assert.equal(code, 0);
    assert.match(stderr, /instance 0 stopped/);
    assert.equal(status('subscribe/mail').state, 'stopped');
  });
});
