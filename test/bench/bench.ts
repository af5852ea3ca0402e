// The test bench: one Dovecot and one RabbitMQ for the whole test run, and beside them the
// other server families (Cyrus with "." and with "/", Courier) that the tests which matter
// run against too. test/run.ts starts them before the test files and passes their
// coordinates in MAILPUMP_TEST_BENCH; a test file run on its own (node --test
// dist/test/x.test.js) starts a bench of its own.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeCertificates } from './certificates.js';
import { courierMissing, restartCourier, startCourier, stopCourier } from './courier.js';
import { cyrusMissing, restartCyrus, startCyrus, stopCyrus } from './cyrus.js';
import { DOVECOT_PACKAGES, type DovecotInfo, type MailUser, restartDovecot, startDovecot, stopDovecot } from './dovecot.js';
import type { MailServerInfo } from './mailServer.js';
import { findProgram } from './processes.js';
import { RABBITMQ_PACKAGES, type RabbitInfo, startRabbit, stopRabbit } from './rabbitmq.js';

export interface Bench {
  readonly dir: string;
  readonly dovecot: DovecotInfo;
  /**
   * A second Dovecot for the test file that restarts its server in the middle (crash.test):
   * the tests running beside it (test/run.ts runs two files at a time) keep theirs.
   */
  readonly spareDovecot: DovecotInfo;
  readonly rabbit: RabbitInfo;
  /** every mail server of the bench, Dovecot first */
  readonly servers: readonly MailServerInfo[];
}

export const BENCH_ENV = 'MAILPUMP_TEST_BENCH';

/** Mail accounts of the bench. The second password holds characters that need percent-encoding in URLs. */
export const MAIL_USERS: readonly MailUser[] = [
  { name: 'ingest', password: 'ingest-secret' },
  { name: 'clerk', password: 'p@ss/w#rd%20?' },
  // POP3 reads INBOX only: each of these accounts' INBOX belongs to one test file.
  { name: 'postal', password: 'postal-secret' }, // poll and download tests
  { name: 'courier', password: 'courier-secret' }, // the subscribe test
  { name: 'hostile', password: 'hostile-secret' }, // the hostile corpus
  { name: 'oauth', password: 'oauth-password-unused' }, // OAuth2 sign-in: its password is never sent
];

/** The servers' programs, or the Debian packages to install: a missing server fails the run, never skips it. */
export function missingServers(): string[] {
  const missing: string[] = [];
  if (!findProgram('dovecot')) missing.push(DOVECOT_PACKAGES);
  if (!findProgram('rabbitmq-server', ['/usr/lib/rabbitmq/bin'])) missing.push(RABBITMQ_PACKAGES);
  if (!findProgram('openssl')) missing.push('openssl');
  return missing;
}

/** Why the other server families cannot run, as lines: each is fixed by test/bench/prepare-servers.sh. */
export function missingOtherServers(): string[] {
  return [cyrusMissing(), courierMissing()].filter((why): why is string => why !== undefined);
}

export async function startBench(): Promise<Bench> {
  const missing = missingServers();
  if (missing.length > 0) throw new Error(`the test servers are not installed: apt-get install ${missing.join(' ')}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailpump-bench-'));
  fs.chmodSync(dir, 0o755); // Dovecot's mail processes run as another user and must get through
  const certificates = makeCertificates(dir);
  const [dovecot, spareDovecot, rabbit, cyrus, cyrusSlash, courier] = await Promise.all([
    startDovecot(path.join(dir, 'dovecot'), certificates, MAIL_USERS),
    startDovecot(path.join(dir, 'dovecot-spare'), certificates, MAIL_USERS),
    startRabbit(path.join(dir, 'rabbitmq')),
    startCyrus(path.join(dir, 'cyrus'), certificates, MAIL_USERS, false),
    startCyrus(path.join(dir, 'cyrus-slash'), certificates, MAIL_USERS, true),
    startCourier(path.join(dir, 'courier'), certificates, MAIL_USERS),
  ]);
  return { dir, dovecot, spareDovecot, rabbit, servers: [dovecot, cyrus, cyrusSlash, courier] };
}

export async function stopBench(bench: Bench): Promise<void> {
  await Promise.all([stopRabbit(bench.rabbit), stopDovecot(bench.spareDovecot), ...bench.servers.map(stopServer)]);
  fs.rmSync(bench.dir, { recursive: true, force: true });
}

function stopServer(server: MailServerInfo): Promise<void> {
  if (server.family === 'dovecot') return stopDovecot(server as DovecotInfo);
  return server.family === 'courier' ? stopCourier(server) : stopCyrus(server);
}

/** Stops a mail server and starts it again on the same ports and mail: every session is cut. */
export function restartServer(server: MailServerInfo): Promise<void> {
  if (server.family === 'dovecot') return restartDovecot(server as DovecotInfo);
  return server.family === 'courier' ? restartCourier(server) : restartCyrus(server);
}

let ownBench: Promise<Bench> | undefined;

/** The bench of this test run: the shared one, or one started for this process and stopped at its end. */
export async function getBench(): Promise<Bench> {
  const shared = process.env[BENCH_ENV];
  if (shared) return JSON.parse(fs.readFileSync(shared, 'utf8')) as Bench;
  if (!ownBench) {
    const started = startBench();
    ownBench = started;
    // When the file's tests are done the event loop empties: the servers go then.
    process.once('beforeExit', () => void started.then(stopBench));
  }
  return ownBench;
}
