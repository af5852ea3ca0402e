// Crash safety, measured: a 1,000-message ingest through sr start on Dovecot, with
// `instances 2`, `mailAction move`, sidecars and raw backups, its file notifications counted
// on a tap queue, during which a random instance (the poll or a subscribe) is killed with
// SIGKILL at 20 random moments and brought back by `sr sanity` (on each broker), or
// RabbitMQ and Dovecot are restarted and the whole set stopped and started five times, or the
// output directory's disk is full for a while. It must end with every
// attachment present byte-exact and once, no staging file left, every mail moved exactly
// once, every file announced at least once; the run prints the kills and the duplicates.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { STAGING_FOLDER } from '../../lib/output/stagedFile.js';
import { type Bench, getBench } from '../bench/bench.js';
import type { DovecotInfo } from '../bench/dovecot.js';
import { restartDovecot } from '../bench/dovecot.js';
import { amqpUrl, restartRabbit } from '../bench/rabbitmq.js';
import { tapNotifications } from '../helpers/notificationTap.js';
import { appendMessages, listMessages } from '../bench/mailbox.js';
import { prng } from '../helpers/hostileCorpus.js';
import { corpusMessage, type CorpusMessage } from '../helpers/mailCorpus.js';
import { baseName, sha256, walk } from '../helpers/files.js';
import { Sandbox } from '../helpers/sandbox.js';

const MESSAGES = Number(process.env.CRASH_MESSAGES ?? 1000);
const KILLS = 20;

let bench: Bench;
let box: Sandbox;
/** The bench's spare Dovecot: this file restarts its server, which the tests running beside it must not see. */
const dovecot = (): DovecotInfo => bench.spareDovecot;
before(async () => { bench = await getBench(); });
beforeEach(() => {
  box = new Sandbox();
  box.writeConfig('credentials.conf', `imaps://ingest:ingest-secret@127.0.0.1:${dovecot().ports.imaps}/\n`);
});
afterEach(() => box.cleanup());



/** Mounts (or remounts) a tmpfs of a given size: the test runs as root, as CI does. */
function mountTmpfs(directory: string, options: string): void {
  execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', directory]);
}

function livePids(): Array<{ name: string; pid: number }> {
  const found: Array<{ name: string; pid: number }> = [];
  for (const [component, instances] of [['poll', [1]], ['subscribe', [1, 2]]] as const) {
    for (const instance of instances) {
      try {
        const pid = box.pidOf(component, 'crash', instance);
        process.kill(pid, 0);
        found.push({ name: `${component} ${instance}`, pid });
      } catch {
        // not running at this moment (being restarted)
      }
    }
  }
  return found;
}

describe('crash safety', () => {
  let corpus: CorpusMessage[];
  let folder: string;
  before(() => {
    folder = `crash-${Date.now().toString(36)}`;
    corpus = Array.from({ length: MESSAGES }, (_, index) => corpusMessage(index, folder, 1500));
  });
  after(() => { corpus = []; });

  /** SIGKILLs of random instances at random moments, each followed by sr sanity. */
  const kills = async (random: () => number, _files: string): Promise<string[]> => {
    const killed: string[] = [];
    for (let kill = 0; kill < KILLS; kill += 1) {
      await new Promise((resolve) => setTimeout(resolve, 200 + random() * 1200));
      const alive = livePids();
      const victim = alive[Math.floor(random() * alive.length)];
      if (victim) {
        process.kill(victim.pid, 'SIGKILL');
        killed.push(`SIGKILL ${victim.name}`);
      }
      assert.equal(box.sr(['sanity']).code, 0);
    }
    return killed;
  };

  /** A RabbitMQ restart, a Dovecot restart, then five sr stop / sr start, at random moments. */
  const disruptions = async (random: () => number, _files: string): Promise<string[]> => {
    const pause = () => new Promise((resolve) => setTimeout(resolve, 500 + random() * 1500));
    await pause();
    await restartRabbit(bench.rabbit);
    await pause();
    await restartDovecot(dovecot());
    for (let cycle = 0; cycle < 5; cycle += 1) {
      await pause();
      assert.equal(box.sr(['stop']).code, 0);
      assert.equal(box.sr(['start']).code, 0);
    }
    return ['RabbitMQ restart', 'Dovecot restart', ...Array.from({ length: 5 }, () => 'sr stop + sr start')];
  };

  /** The output directory's disk fills up, stays full a while, then is enlarged. */
  const fullDisk = async (random: () => number, files: string): Promise<string[]> => {
    const deadline = Date.now() + 60_000;
    while (fs.statfsSync(files).bavail > 0) {
      if (Date.now() > deadline) throw new Error(`${files} never filled up`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await new Promise((resolve) => setTimeout(resolve, 5000 + random() * 5000));
    mountTmpfs(files, 'remount,size=256m');
    return ['disk full for 5 to 10 s, then enlarged'];
  };

  for (const [brokerKind, what, disrupt] of [
    ['local', `${KILLS} SIGKILLs of random instances`, kills],
    ['rabbitmq', `${KILLS} SIGKILLs of random instances`, kills],
    ['rabbitmq', 'a RabbitMQ restart, a Dovecot restart and five sr stop / sr start', disruptions],
    ['local', 'a full disk on the output directory (a 1 MB tmpfs, later enlarged)', fullDisk],
  ] as const) it(`ingests ${MESSAGES} messages through ${what}, on the ${brokerKind} broker: each attachment once and byte-exact, each mail moved once`, async () => {
    const run = `${folder}-${brokerKind}-${disrupt === kills ? 'kills' : disrupt === fullDisk ? 'disk' : 'restarts'}`;
    await appendMessages(dovecot(), 'ingest', run, corpus.map((message) => message.raw));
    const files = path.join(box.home, 'files');
    if (disrupt === fullDisk) {
      fs.mkdirSync(files);
      mountTmpfs(files, 'size=1m');
    }
    const common = ['metrics_writeInterval 1s', `tlsCa ${dovecot().caCert}`];
    const url = brokerKind === 'local' ? 'local:' : amqpUrl(bench.rabbit, false);
    if (brokerKind === 'rabbitmq') box.writeConfig('credentials.conf', `imaps://ingest:ingest-secret@127.0.0.1:${dovecot().ports.imaps}/\n${amqpUrl(bench.rabbit)}\n`);
    const tapExchange = `xs_${bench.rabbit.user}_tap_${Date.now().toString(36)}`;
    box.writeConfig('poll/crash.conf', ['callback poll.mail', ...common, `post_broker ${url}`, 'sleep 1s', 'batch 200', `pollUrl imaps://ingest@127.0.0.1:${dovecot().ports.imaps}/`, `folder ${run}`].join('\n'));
    box.writeConfig('subscribe/crash.conf', ['callback download.mail_ingest', ...common, `broker ${url}`, `directory ${files}`, 'instances 2', `mailAction move ${run}-done`,
      'sidecar on', 'saveRaw on', `rawDirectory ${files}/raw`, `post_broker ${url}`, `post_exchange ${tapExchange}`, `post_baseDir ${files}`].join('\n'));
    // The tap: every file notification the subscribes announce.
    const tap = await tapNotifications(bench, brokerKind, box.cacheDir, tapExchange);
    try {
      assert.equal(box.sr(['start']).code, 0);
      const random = prng(Number(process.env.CRASH_SEED ?? 7));
      const events = await disrupt(random, files);
      const deadline = Date.now() + 5 * 60_000;
      while ((await listMessages(dovecot(), 'ingest', run)).length > 0) {
        if (Date.now() > deadline) throw new Error(`not settled: ${(await listMessages(dovecot(), 'ingest', run)).length} messages left`);
        box.sr(['sanity']);
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
      // Let the last file notifications reach the tap.
      await new Promise((resolve) => setTimeout(resolve, 3000));
      const announced = new Map<string, number>();
      for (const { relPath } of tap.notifications) announced.set(relPath, (announced.get(relPath) ?? 0) + 1);

      const written = walk(files).filter((file) => !file.startsWith(`raw${path.sep}`) && !path.basename(file).startsWith('.') && !file.includes(STAGING_FOLDER));
      assert.deepEqual(walk(files).filter((file) => file.includes(STAGING_FOLDER)), [], 'no staging file left');
      const lines = written.map((file) => `${baseName(path.basename(file))} ${sha256(fs.readFileSync(path.join(files, file)))}`).sort();
      const expected = corpus.flatMap((message) => message.files.map((file) => `${file.name} ${file.sha256}`)).sort();
      const twice = lines.length - new Set(lines).size;
      assert.deepEqual(lines, expected, 'every attachment present, byte-exact, once');
      for (const file of written) {
        const sidecar = path.join(files, path.dirname(file), `.${path.basename(file)}.json`);
        assert.equal((JSON.parse(fs.readFileSync(sidecar, 'utf8')) as { sha256: string }).sha256, sha256(fs.readFileSync(path.join(files, file))), `${file}: its sidecar says its bytes`);
        assert.ok((announced.get(file) ?? 0) >= 1, `${file} announced`);
      }
      assert.equal(walk(path.join(files, 'raw')).length, MESSAGES, 'one raw backup per message');
      const done = await listMessages(dovecot(), 'ingest', `${run}-done`);
      assert.equal(done.length, MESSAGES, 'every mail moved exactly once');
      assert.equal(new Set(done.map((message) => message.messageId)).size, MESSAGES);
      if (disrupt === fullDisk) {
        // The full disk failed the messages being written, which waited and were retried;
        // no decode thread was lost to it.
        const logs = [1, 2].map((instance) => fs.readFileSync(path.join(box.cacheDir, 'log', `subscribe_crash_0${instance}.log`), 'utf8')).join('');
        assert.match(logs, /ENOSPC|no space left/i, 'the disk was full while messages were written');
        assert.doesNotMatch(logs, /killed its decode thread|gave no sign of life|quarantined/);
      }
      const duplicates = [...announced.values()].reduce((sum, count) => sum + count - 1, 0);
      process.stdout.write(`crash run on the ${brokerKind} broker: ${MESSAGES} messages, ${written.length} attachments, ${events.length} events (${events.filter((e) => e.includes('poll')).length} SIGKILLs of the poll; ${[...new Set(events.filter((e) => !e.startsWith('SIGKILL')))].join(', ') || 'kills only'}), `
        + `${twice} files twice, ${duplicates} file notifications announced more than once\n`);
    } finally {
      await tap.close();
      if (disrupt === fullDisk) {
        box.sr(['stop']);
        execFileSync('umount', [files]);
      }
    }
  });
});
