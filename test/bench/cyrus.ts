// A private Cyrus IMAP for the tests, from the Debian packages unpacked by
// prepare-servers.sh (they conflict with Dovecot's, so they are not installed): loopback
// only, IMAP with STARTTLS, IMAPS, POP3 with STLS and POP3S, the run's certificate, users
// in a sasldb of its own. Debian's settings are kept where they change what a client sees
// (`popminpoll: 1`, so LOGIN-DELAY 60; COMPRESS=DEFLATE offered); `unixhierarchysep`
// gives the "." family or the "/" one. `idled` runs, so IDLE answers at once (without it
// Cyrus looks every 60 s).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ImapFlow } from 'imapflow';
import type { TestCertificates } from './certificates.js';
import type { MailServerInfo, MailUser } from './mailServer.js';
import { freePort, terminate, waitForPort } from './processes.js';

export const SERVERS_DIR = process.env.MAILPUMP_SERVERS_DIR ?? '/var/cache/mailpump-test-servers';
const ADMIN = { name: 'cyradmin', password: 'cyradmin-secret' };

export interface CyrusInfo extends MailServerInfo {
  readonly family: 'cyrus' | 'cyrus-slash';
}

function tree(): string {
  return path.join(SERVERS_DIR, 'cyrus');
}

/** Why Cyrus cannot run here, or undefined when it can. */
export function cyrusMissing(): string | undefined {
  if (!fs.existsSync(path.join(tree(), 'usr/lib/cyrus/bin/master'))) return `Cyrus is not unpacked in ${tree()}`;
  if (spawnSync('id', ['cyrus']).status !== 0) return 'the cyrus user does not exist';
  if (!fs.existsSync('/usr/sbin/saslpasswd2')) return 'saslpasswd2 is missing (sasl2-bin)';
  return undefined;
}

function files(dir: string) {
  return { imapdConf: path.join(dir, 'imapd.conf'), cyrusConf: path.join(dir, 'cyrus.conf'), pid: path.join(dir, 'run', 'master.pid'), log: path.join(dir, 'master.log') };
}

function startMaster(dir: string): void {
  const { imapdConf, cyrusConf, pid, log } = files(dir);
  const master = spawn(path.join(tree(), 'usr/lib/cyrus/bin/master'), ['-C', imapdConf, '-M', cyrusConf, '-p', pid, '-L', log, '-d'], {
    stdio: 'ignore', env: { ...process.env, LD_LIBRARY_PATH: path.join(tree(), 'usr/lib/x86_64-linux-gnu') },
  });
  master.unref();
}

export async function startCyrus(dir: string, certificates: TestCertificates, users: readonly MailUser[], slash: boolean): Promise<CyrusInfo> {
  const why = cyrusMissing();
  if (why) throw new Error(`${why}: run test/bench/prepare-servers.sh as root`);
  const bin = path.join(tree(), 'usr/lib/cyrus/bin');
  for (const sub of ['conf', 'spool', 'run/proc', 'run/lock', 'run/socket']) fs.mkdirSync(path.join(dir, sub), { recursive: true });
  fs.copyFileSync(certificates.serverCert, path.join(dir, 'server.pem'));
  fs.copyFileSync(certificates.serverKey, path.join(dir, 'server.key'));
  const sasldb = path.join(dir, 'sasldb2');
  for (const user of [ADMIN, ...users]) {
    const made = spawnSync('/usr/sbin/saslpasswd2', ['-p', '-f', sasldb, '-c', user.name], { input: user.password });
    if (made.status !== 0) throw new Error(`saslpasswd2 ${user.name}: ${made.stderr.toString()}`);
  }
  const ports = { imap: await freePort(), imaps: await freePort(), pop3: await freePort(), pop3s: await freePort() };
  const { imapdConf, cyrusConf } = files(dir);
  fs.writeFileSync(imapdConf, [
    `configdirectory: ${dir}/conf`, `proc_path: ${dir}/run/proc`, `mboxname_lockpath: ${dir}/run/lock`,
    'defaultpartition: default', `partition-default: ${dir}/spool`, 'altnamespace: no', `unixhierarchysep: ${slash ? 'yes' : 'no'}`,
    'popminpoll: 1', 'allowplaintext: yes', `admins: ${ADMIN.name}`, 'sasl_pwcheck_method: auxprop', 'sasl_auxprop_plugin: sasldb',
    `sasl_sasldb_path: ${sasldb}`, 'sasl_mech_list: PLAIN LOGIN', `lmtpsocket: ${dir}/run/socket/lmtp`, `idlesocket: ${dir}/run/socket/idle`,
    `notifysocket: ${dir}/run/socket/notify`, `syslog_prefix: cyrus-${path.basename(dir)}`, `tls_server_cert: ${dir}/server.pem`,
    `tls_server_key: ${dir}/server.key`, 'hashimapspool: true', 'autocreate_quota: 0', 'umask: 077', '',
  ].join('\n'));
  const service = (name: string, program: string, port: number, tls: boolean) =>
    `  ${name} cmd="${bin}/${program}${tls ? ' -s' : ''} -C ${imapdConf} -U 30" listen="127.0.0.1:${port}" prefork=0 maxchild=200`;
  fs.writeFileSync(cyrusConf, [
    'START {', `  recover cmd="${bin}/ctl_cyrusdb -C ${imapdConf} -r"`, '}',
    'SERVICES {', service('imap', 'imapd', ports.imap, false), service('imaps', 'imapd', ports.imaps, true),
    service('pop3', 'pop3d', ports.pop3, false), service('pop3s', 'pop3d', ports.pop3s, true), '}',
    'DAEMON {', `  idled cmd="${bin}/idled -C ${imapdConf}"`, '}', 'EVENTS {', '}', '',
  ].join('\n'));
  spawnSync('chown', ['-R', 'cyrus', dir]);
  startMaster(dir);
  await Promise.all(Object.values(ports).map((port) => waitForPort(port, 15000, 'cyrus')));
  const separator = slash ? '/' : '.';
  const info: CyrusInfo = {
    family: slash ? 'cyrus-slash' : 'cyrus', dir, ports, users, caCert: certificates.caCert,
    personal: { prefix: `INBOX${separator}`, delimiter: separator },
  };
  // Users are mailboxes made by the admin: user.<name> (user/<name>).
  const admin = new ImapFlow({
    host: '127.0.0.1', port: ports.imaps, secure: true, servername: 'localhost', tls: { ca: [fs.readFileSync(certificates.caCert)] },
    auth: { user: ADMIN.name, pass: ADMIN.password }, logger: false, disableCompression: true,
  });
  admin.on('error', () => undefined);
  await admin.connect();
  for (const user of users) await admin.mailboxCreate(`user${separator}${user.name}`);
  await admin.logout();
  return info;
}

function masterPid(info: MailServerInfo): number {
  const file = files(info.dir).pid;
  return fs.existsSync(file) ? Number.parseInt(fs.readFileSync(file, 'utf8'), 10) : Number.NaN;
}

export async function stopCyrus(info: MailServerInfo): Promise<void> {
  await terminate(masterPid(info));
}

/** Stops Cyrus and starts it again on the same ports and mail: every session is cut. */
export async function restartCyrus(info: MailServerInfo): Promise<void> {
  await stopCyrus(info);
  fs.rmSync(files(info.dir).pid, { force: true });
  startMaster(info.dir);
  await Promise.all(Object.values(info.ports).map((port) => waitForPort(port, 15000, 'cyrus')));
}
