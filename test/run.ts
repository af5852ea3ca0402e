// `npm test`: starts the bench servers once, runs every test file with node's test
// runner, stops the servers. Missing server programs fail the run with what to install.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BENCH_ENV, missingOtherServers, missingServers, startBench, stopBench } from './bench/bench.js';
import { sr3Missing } from './helpers/sr3.js';

const testDir = path.dirname(fileURLToPath(import.meta.url));

function testFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return testFiles(file);
    return entry.name.endsWith('.test.js') ? [file] : [];
  }).sort();
}

// Two lanes of test files run at once, one per core. Files that share a server's state stay
// in one lane: every file that uses RabbitMQ (they declare its default exchanges, and
// crash.test restarts it) in the first; servers.test restarts Cyrus and Courier, which
// mailActions.test uses, and poll, download and pop3Client share postal's INBOX: all in the
// second. cli.test joins the first, to even the lanes out.
const RABBITMQ_LANE = ['adullact', 'bench', 'brokerCli', 'brokerContract', 'crash', 'sr3', 'subscribe', 'vip', 'cli']
  .map((name) => `${name}.test.js`);

interface Lane {
  readonly name: string;
  readonly files: readonly string[];
}

function testLanes(files: readonly string[]): Lane[] {
  const first = (file: string) => path.dirname(file).endsWith('integration') && RABBITMQ_LANE.includes(path.basename(file));
  return [{ name: 'lane 1 (RabbitMQ)', files: files.filter(first) }, { name: 'lane 2', files: files.filter((file) => !first(file)) }];
}

interface LaneResult {
  readonly name: string;
  readonly code: number;
  readonly tests: number;
  readonly failed: number;
  readonly summary: string;
}

/** Runs a lane's files one after the other; with several lanes, each line of its output is prefixed with its number. */
function runLane(lane: Lane, prefixed: boolean, env: NodeJS.ProcessEnv): Promise<LaneResult> {
  const child = spawn(process.execPath, ['--test', '--test-reporter=spec', ...lane.files], { stdio: ['ignore', 'pipe', 'pipe'], env });
  const tag = prefixed ? `${lane.name.slice(0, 6)}| ` : '';
  const counts = { tests: 0, fail: 0 };
  for (const [source, sink] of [[child.stdout, process.stdout], [child.stderr, process.stderr]] as const) {
    let carry = '';
    source.setEncoding('utf8');
    source.on('data', (text: string) => {
      const lines = (carry + text).split('\n');
      carry = lines.pop()!;
      for (const line of lines) {
        const count = /^ℹ (tests|fail) (\d+)$/.exec(line);
        if (count) counts[count[1] as 'tests' | 'fail'] = Number(count[2]);
        sink.write(`${tag}${line}\n`);
      }
    });
    source.on('end', () => { if (carry) sink.write(`${tag}${carry}\n`); });
  }
  return new Promise((resolve) => child.on('close', (code) => resolve({
    name: lane.name, code: code ?? 1, tests: counts.tests, failed: counts.fail,
    summary: `${counts.tests} tests, ${counts.fail} failed${code === 0 ? '' : ` (exit ${code})`}`,
  })));
}

async function main(): Promise<number> {
  const missing = missingServers();
  if (missing.length > 0) {
    process.stderr.write(`The integration tests need real servers. Install them with:\n  apt-get install ${missing.join(' ')}\n`);
    return 1;
  }
  const others = missingOtherServers();
  if (others.length > 0) {
    process.stderr.write(`The integration tests run against Cyrus and Courier too: ${others.join('; ')}.\nPrepare them (as root) with:\n  test/bench/prepare-servers.sh\n`);
    return 1;
  }
  const sr3 = sr3Missing();
  if (sr3) {
    process.stderr.write(`The interoperability tests run the real sr3: ${sr3}\n`);
    return 1;
  }
  const started = Date.now();
  const bench = await startBench();
  process.stdout.write(`test bench up in ${Date.now() - started} ms: dovecot imap ${bench.dovecot.ports.imap}, imaps ${bench.dovecot.ports.imaps}, pop3 ${bench.dovecot.ports.pop3}, pop3s ${bench.dovecot.ports.pop3s}; rabbitmq ${bench.rabbit.port} vhost ${bench.rabbit.vhost}; `
    + `${bench.servers.slice(1).map((server) => `${server.family} imap ${server.ports.imap}, imaps ${server.ports.imaps}, pop3 ${server.ports.pop3}, pop3s ${server.ports.pop3s}`).join('; ')}\n`);
  // Interrupted (Ctrl-C, a CI time limit): the servers must not outlive the run.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void stopBench(bench).finally(() => process.exit(130)));
  }
  const benchFile = path.join(bench.dir, 'bench.json');
  fs.writeFileSync(benchFile, JSON.stringify(bench));
  try {
    const lanes = process.argv.length > 2 ? [{ name: 'tests', files: process.argv.slice(2) }] : testLanes(testFiles(testDir));
    const env = { ...process.env, [BENCH_ENV]: benchFile, TMPDIR: os.tmpdir() };
    const results = await Promise.all(lanes.map((lane) => runLane(lane, lanes.length > 1, env)));
    if (lanes.length > 1) {
      process.stdout.write(`\n${results.map((result) => `${result.name}: ${result.summary}`).join('\n')}\n`
        + `all lanes: ${results.reduce((sum, result) => sum + result.tests, 0)} tests, ${results.reduce((sum, result) => sum + result.failed, 0)} failed, in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
    }
    return results.some((result) => result.code !== 0) ? 1 : 0;
  } finally {
    await stopBench(bench);
  }
}

process.exitCode = await main();
