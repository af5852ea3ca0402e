// A private Courier IMAP/POP3 for the tests, from the Debian packages unpacked by
// prepare-servers.sh. Courier's paths are compiled in (/etc/courier, /usr/lib/courier,
// /run/courier), so it runs in a mount namespace of its own (unshare -m) where /usr and
// /etc are overlays of the unpacked tree and of this run's directory, and /run is this run's.
// Loopback only, IMAP with STARTTLS, IMAPS, POP3 with STLS and POP3S, the run's
// certificate, users in authuserdb, Maildir storage. Debian's settings are kept, but for
// IMAP_IDLE_TIMEOUT: 5 s instead of 60, so IDLE tests do not wait a minute.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { TestCertificates } from './certificates.js';
import { SERVERS_DIR } from './cyrus.js';
import type { MailServerInfo, MailUser } from './mailServer.js';
import { freePort, run, terminate, waitForPort } from './processes.js';

export interface CourierInfo extends MailServerInfo {
  readonly family: 'courier';
}

/** Mail files belong to nobody: Courier serves each user as the uid of its userdb line. */
const MAIL_UID = 65534;
const SERVICES = ['imapd', 'imapd-ssl', 'pop3d', 'pop3d-ssl'] as const;

function tree(): string {
  return path.join(SERVERS_DIR, 'courier');
}

/** Why Courier cannot run here, or undefined when it can. */
export function courierMissing(): string | undefined {
  if (!fs.existsSync(path.join(tree(), 'usr/bin/couriertls'))) return `Courier is not unpacked in ${tree()}`;
  if (spawnSync('id', ['courier']).status !== 0) return 'the courier user does not exist';
  if (process.getuid?.() !== 0) return 'Courier runs in a mount namespace of its own, which needs root';
  return undefined;
}

/** Sets shell variables of one of Courier's config files, keeping the rest as Debian ships it. */
function setVariables(file: string, values: Record<string, string>): void {
  let text = fs.readFileSync(file, 'utf8');
  for (const [name, value] of Object.entries(values)) {
    const line = new RegExp(`^${name}=.*$`, 'm');
    text = line.test(text) ? text.replace(line, `${name}=${value}`) : `${text}\n${name}=${value}\n`;
  }
  fs.writeFileSync(file, text);
}

/** The script run inside the namespace: the overlays, the users' database, then the daemons. */
function startScript(dir: string): string {
  return `set -e
mount --make-rprivate /
mount -t overlay overlay -o lowerdir=${tree()}/usr:/usr /usr
mount -t overlay overlay -o lowerdir=/etc,upperdir=${dir}/etc,workdir=${dir}/work /etc
mount --bind ${dir}/run /run
mkdir -p /run/courier/authdaemon
/usr/sbin/makeuserdb
/usr/sbin/authdaemond start
${SERVICES.map((service) => `/usr/lib/courier/${service} start`).join('\n')}
`;
}

function startDaemons(dir: string): void {
  run('unshare', ['-m', 'sh', '-c', startScript(dir)]);
}

export async function startCourier(dir: string, certificates: TestCertificates, users: readonly MailUser[]): Promise<CourierInfo> {
  const why = courierMissing();
  if (why) throw new Error(`${why}: run test/bench/prepare-servers.sh as root`);
  const config = path.join(dir, 'etc', 'courier');
  for (const sub of ['work', 'run', 'mail']) fs.mkdirSync(path.join(dir, sub), { recursive: true });
  fs.cpSync(path.join(tree(), 'etc', 'courier'), config, { recursive: true });
  const pem = fs.readFileSync(certificates.serverKey, 'utf8') + fs.readFileSync(certificates.serverCert, 'utf8');
  // Read by couriertls as Debian's courier user for STARTTLS (as root on the TLS ports), as Debian installs them.
  for (const name of ['imapd.pem', 'pop3d.pem']) {
    fs.writeFileSync(path.join(config, name), pem, { mode: 0o600 });
    spawnSync('chown', ['courier', path.join(config, name)]);
  }
  run('openssl', ['genpkey', '-genparam', '-algorithm', 'DH', '-pkeyopt', 'group:ffdhe2048', '-out', path.join(config, 'dhparams.pem')]);
  fs.writeFileSync(path.join(config, 'authdaemonrc'), 'authmodulelist="authuserdb"\ndaemons=3\nauthdaemonvar=/run/courier/authdaemon\nDEBUG_LOGIN=0\nDEFAULTOPTIONS=""\nLOGGEROPTS=""\n');
  const userdb = users.map((user) => {
    const home = path.join(dir, 'mail', user.name);
    for (const sub of ['cur', 'new', 'tmp']) fs.mkdirSync(path.join(home, 'Maildir', sub), { recursive: true });
    const crypted = run('openssl', ['passwd', '-1', '-stdin'], { input: user.password }).trim();
    return `${user.name}\tuid=${MAIL_UID}|gid=${MAIL_UID}|home=${home}|mail=${home}/Maildir|systempw=${crypted}\n`;
  });
  fs.writeFileSync(path.join(config, 'userdb'), userdb.join(''), { mode: 0o600 });
  spawnSync('chown', ['-R', `${MAIL_UID}:${MAIL_UID}`, path.join(dir, 'mail')]);
  fs.chmodSync(dir, 0o755);
  const ports = { imap: await freePort(), imaps: await freePort(), pop3: await freePort(), pop3s: await freePort() };
  const common = { MAXDAEMONS: '200', MAXPERIP: '200' };
  setVariables(path.join(config, 'imapd'), { ...common, ADDRESS: '127.0.0.1', PORT: String(ports.imap), IMAP_IDLE_TIMEOUT: '5' });
  setVariables(path.join(config, 'pop3d'), { ...common, ADDRESS: '127.0.0.1', PORT: String(ports.pop3) });
  const tls = { TLS_CACHEFILE: '', TLS_DHPARAMS: '/etc/courier/dhparams.pem' };
  setVariables(path.join(config, 'imapd-ssl'), { ...tls, SSLADDRESS: '127.0.0.1', SSLPORT: String(ports.imaps), TLS_CERTFILE: '/etc/courier/imapd.pem' });
  setVariables(path.join(config, 'pop3d-ssl'), { ...tls, SSLADDRESS: '127.0.0.1', SSLPORT: String(ports.pop3s), TLS_CERTFILE: '/etc/courier/pop3d.pem' });
  startDaemons(dir);
  await Promise.all(Object.values(ports).map((port) => waitForPort(port, 15000, 'courier')));
  return { family: 'courier', dir, ports, users, caCert: certificates.caCert, personal: { prefix: 'INBOX.', delimiter: '.' } };
}

/** The pids of Courier's loggers, each the parent of one daemon (authdaemond, couriertcpd). */
function daemonPids(info: MailServerInfo): number[] {
  const pidFiles = [...SERVICES.map((service) => `${service}.pid`), 'authdaemon/pid'].map((name) => path.join(info.dir, 'run', 'courier', name));
  return pidFiles.filter((file) => fs.existsSync(file)).map((file) => Number.parseInt(fs.readFileSync(file, 'utf8'), 10)).filter((pid) => pid > 0);
}

export async function stopCourier(info: MailServerInfo): Promise<void> {
  await Promise.all(daemonPids(info).map(terminate));
}

/** Stops Courier and starts it again on the same ports and mail: every session is cut. */
export async function restartCourier(info: MailServerInfo): Promise<void> {
  await stopCourier(info);
  for (const name of fs.readdirSync(path.join(info.dir, 'run', 'courier'))) if (name.endsWith('.pid')) fs.rmSync(path.join(info.dir, 'run', 'courier', name), { force: true });
  fs.rmSync(path.join(info.dir, 'run', 'courier', 'authdaemon', 'pid'), { force: true });
  startDaemons(info.dir);
  await Promise.all(Object.values(info.ports).map((port) => waitForPort(port, 15000, 'courier')));
}
