// A private Dovecot for the tests: loopback only, high ports picked at start, IMAP with
// STARTTLS, IMAPS, POP3 with STLS and POP3S, a certificate from the test CA, passwd-file
// users and Maildir storage, all under one temporary directory.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestCertificates } from './certificates.js';
import type { MailPorts, MailServerInfo, MailUser } from './mailServer.js';
import { findProgram, freePort, terminate, waitForPort } from './processes.js';
import { startTokenStub, type TokenStub } from './tokenStub.js';

export type { MailUser };

export interface DovecotInfo extends MailServerInfo {
  readonly family: 'dovecot';
  readonly pid: number;
}

export const DOVECOT_PACKAGES = 'dovecot-imapd dovecot-pop3d';

/** Mail files are owned by this uid: Dovecot refuses to serve mail as root. */
function mailOwner(): { uid: number; gid: number; loginUser?: string } {
  if (process.getuid?.() === 0) return { uid: 65534, gid: 65534 };
  const user = os.userInfo();
  // Unprivileged, Dovecot runs its login and internal processes as the same user.
  return { uid: user.uid, gid: user.gid, loginUser: user.username };
}

/** The token stubs of the Dovecots this process started, by directory: closed with them. */
const tokenStubs = new Map<string, TokenStub>();

/**
 * OAuth2 beside passwords (../shared/reference/oauth.md 6): XOAUTH2 and OAUTHBEARER go to
 * the oauth2 passdb, which asks the token stub; PLAIN and LOGIN to the password file.
 */
function oauthConfigText(stubPort: number): string {
  return `introspection_mode = post
introspection_url = http://127.0.0.1:${stubPort}/introspect
force_introspection = yes
username_attribute = username
active_attribute = active
active_value = true
timeout_msecs = 5000
`;
}

function configText(dir: string, ports: MailPorts, certificates: TestCertificates, loginUser: string | undefined): string {
  return `
base_dir = ${dir}/run
state_dir = ${dir}/state
instance_name = mailpump-test-${path.basename(dir)}
protocols = imap pop3
listen = 127.0.0.1
log_path = ${dir}/dovecot.log
${loginUser ? `default_login_user = ${loginUser}\ndefault_internal_user = ${loginUser}` : ''}
ssl = yes
ssl_cert = <${certificates.serverCert}
ssl_key = <${certificates.serverKey}
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = yes
auth_mechanisms = plain login xoauth2 oauthbearer
first_valid_uid = 1
mail_location = maildir:~/Maildir
mail_max_userip_connections = 200
# The tests provoke many refusals (wrong passwords, refused tokens): no 2 s failure delay and
# no per-address penalty, which doubles up to 15 s (../shared/reference/oauth.md 6). Without
# the penalty socket the auth process waits ~5 s at start: it is kept alive.
auth_failure_delay = 0
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
service auth {
  idle_kill = 4 weeks
}
passdb {
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = ${dir}/dovecot-oauth2.conf.ext
}
passdb {
  driver = passwd-file
  mechanisms = plain login
  args = scheme=PLAIN ${dir}/users
}
userdb {
  driver = passwd-file
  args = ${dir}/users
}
namespace inbox {
  inbox = yes
  mailbox Junk {
    special_use = \\Junk
    auto = create
  }
  mailbox Trash {
    special_use = \\Trash
    auto = create
  }
  mailbox Sent {
    special_use = \\Sent
    auto = create
  }
}
service imap-login {
  inet_listener imap {
    port = ${ports.imap}
  }
  inet_listener imaps {
    port = ${ports.imaps}
    ssl = yes
  }
}
service pop3-login {
  inet_listener pop3 {
    port = ${ports.pop3}
  }
  inet_listener pop3s {
    port = ${ports.pop3s}
    ssl = yes
  }
}
`;
}

export async function startDovecot(dir: string, certificates: TestCertificates, users: readonly MailUser[]): Promise<DovecotInfo> {
  const binary = findProgram('dovecot');
  if (!binary) throw new Error(`dovecot is not installed: install the Debian packages ${DOVECOT_PACKAGES}`);
  const owner = mailOwner();
  fs.mkdirSync(path.join(dir, 'mail'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'run'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'state'), { recursive: true });
  fs.chmodSync(dir, 0o755); // mail processes run as another uid and must reach their home
  fs.chownSync(path.join(dir, 'mail'), owner.uid, owner.gid);
  fs.writeFileSync(path.join(dir, 'users'), users.map((user) =>
    `${user.name}:{PLAIN}${user.password}:${owner.uid}:${owner.gid}::${dir}/mail/${user.name}::\n`).join(''));
  const ports = { imap: await freePort(), imaps: await freePort(), pop3: await freePort(), pop3s: await freePort() };
  const configFile = path.join(dir, 'dovecot.conf');
  const stub = await startTokenStub();
  tokenStubs.set(dir, stub);
  fs.writeFileSync(path.join(dir, 'dovecot-oauth2.conf.ext'), oauthConfigText(stub.port));
  fs.writeFileSync(configFile, configText(dir, ports, certificates, owner.loginUser));
  // The master daemonises and would keep a stdout/stderr pipe open forever: output goes to a file.
  const startLog = path.join(dir, 'start.out');
  const output = fs.openSync(startLog, 'w');
  const result = spawnSync(binary, ['-c', configFile], { stdio: ['ignore', output, output] });
  fs.closeSync(output);
  if (result.status !== 0) throw new Error(`dovecot did not start (exit ${result.status}): ${fs.readFileSync(startLog, 'utf8')}`);
  await Promise.all(Object.values(ports).map((port) => waitForPort(port, 10000, 'dovecot')));
  // The listeners can be up a moment before the master has written its pid file; an empty
  // one read as 0 would make the stop below signal our own process group.
  const pidFile = path.join(dir, 'run', 'master.pid');
  const readPid = () => (fs.existsSync(pidFile) ? Number.parseInt(fs.readFileSync(pidFile, 'utf8'), 10) : Number.NaN);
  const deadline = Date.now() + 10000;
  while (!(readPid() > 0) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  const pid = readPid();
  if (!(pid > 0)) throw new Error(`dovecot wrote no pid to ${pidFile}`);
  return { family: 'dovecot', dir, ports, users, caCert: certificates.caCert, pid, personal: { prefix: '', delimiter: '.' } };
}

/** The master's pid as its pid file says now: a restart (restartDovecot) gives it a new one. */
function masterPid(info: DovecotInfo): number {
  const file = path.join(info.dir, 'run', 'master.pid');
  const pid = fs.existsSync(file) ? Number.parseInt(fs.readFileSync(file, 'utf8'), 10) : info.pid;
  return pid > 0 ? pid : info.pid;
}

export async function stopDovecot(info: DovecotInfo): Promise<void> {
  await terminate(masterPid(info));
  await tokenStubs.get(info.dir)?.close();
  tokenStubs.delete(info.dir);
}

/** Stops Dovecot and starts it again on the same ports, mail and config: every session is cut. */
export async function restartDovecot(info: DovecotInfo): Promise<void> {
  await terminate(masterPid(info)); // the token stub stays: the restarted server asks it too
  const binary = findProgram('dovecot')!;
  const result = spawnSync(binary, ['-c', path.join(info.dir, 'dovecot.conf')], { stdio: 'ignore' });
  if (result.status !== 0) throw new Error(`dovecot did not start again (exit ${result.status})`);
  await Promise.all(Object.values(info.ports).map((port) => waitForPort(port, 10000, 'dovecot')));
}
