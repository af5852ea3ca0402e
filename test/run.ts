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
    const files = process.argv.length > 2 ? process.argv.slice(2) : testFiles(testDir);
    const child = spawn(process.execPath, ['--test', '--test-reporter=spec', ...files], {
      stdio: 'inherit',
      env: { ...process.env, [BENCH_ENV]: benchFile, TMPDIR: os.tmpdir() },
    });
    return await new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
  } finally {
    await stopBench(bench);
  }
}

process.exitCode = await main();
