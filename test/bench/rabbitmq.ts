// A private RabbitMQ node for the tests: its own node name, data directory, Erlang cookie
// (HOME) and epmd port, listening on loopback only, so it never meets a system RabbitMQ.
// Debian's /usr/sbin wrappers switch to the rabbitmq user, who cannot write a temporary
// directory of ours, so the scripts under /usr/lib/rabbitmq/bin are run as we are.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import amqp from 'amqplib';
import { findProgram, freePort, run, waitForExit, waitForPort } from './processes.js';

export const RABBITMQ_PACKAGES = 'rabbitmq-server';
const SCRIPT_DIRS = ['/usr/lib/rabbitmq/bin'];

export interface RabbitInfo {
  readonly dir: string;
  readonly node: string;
  readonly port: number;
  readonly env: Readonly<Record<string, string>>;
  /** a user with every permission on `vhost` */
  readonly user: string;
  readonly password: string;
  /** a vhost made for this test run, so nothing is left over from another */
  readonly vhost: string;
}

function script(name: string): string {
  const found = findProgram(name, SCRIPT_DIRS);
  if (!found) throw new Error(`${name} is not installed: install the Debian package ${RABBITMQ_PACKAGES}`);
  return found;
}

export async function startRabbit(dir: string): Promise<RabbitInfo> {
  fs.mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const distPort = await freePort();
  const epmdPort = await freePort();
  const node = `mailpump-${process.pid}@localhost`;
  fs.writeFileSync(path.join(dir, 'rabbitmq.conf'), `listeners.tcp.1 = 127.0.0.1:${port}\nloopback_users = none\n`);
  fs.writeFileSync(path.join(dir, 'enabled_plugins'), '[].\n');
  const env = {
    HOME: dir,
    RABBITMQ_NODENAME: node,
    RABBITMQ_MNESIA_BASE: path.join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: path.join(dir, 'log'),
    RABBITMQ_CONFIG_FILE: path.join(dir, 'rabbitmq.conf'),
    RABBITMQ_ENABLED_PLUGINS_FILE: path.join(dir, 'enabled_plugins'),
    RABBITMQ_PID_FILE: path.join(dir, 'rabbit.pid'),
    RABBITMQ_DIST_PORT: String(distPort),
    ERL_EPMD_PORT: String(epmdPort),
    ERL_EPMD_ADDRESS: '127.0.0.1',
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
  };
  const info: RabbitInfo = { dir, node, port, env, user: 'mailpump', password: 'rabbit-secret', vhost: `test-${process.pid}` };
  await bootNode(info);
  ctl(info, 'add_user', info.user, info.password);
  ctl(info, 'set_user_tags', info.user, 'administrator');
  ctl(info, 'add_vhost', info.vhost);
  ctl(info, 'set_permissions', '-p', info.vhost, info.user, '.*', '.*', '.*');
  return info;
}

async function bootNode(info: RabbitInfo): Promise<void> {
  const log = fs.openSync(path.join(info.dir, 'server.out'), 'a');
  const child = spawn(script('rabbitmq-server'), [], { env: { ...process.env, ...info.env }, stdio: ['ignore', log, log], detached: true });
  child.unref();
  fs.closeSync(log);
  try {
    await awaitStartup(info, 90000);
    await waitForPort(info.port, 10000, 'rabbitmq');
  } catch (error) {
    const output = fs.readFileSync(path.join(info.dir, 'server.out'), 'utf8').split('\n').slice(-15).join('\n');
    throw new Error(`RabbitMQ did not start: ${(error as Error).message}\n${output}`);
  }
}

/** await_startup fails at once while the node has not yet registered with epmd, so it is retried. */
async function awaitStartup(info: RabbitInfo, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      ctl(info, 'await_startup', '--timeout', '30');
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

export function ctl(info: RabbitInfo, ...args: string[]): string {
  return run(script('rabbitmqctl'), ['-n', info.node, ...args], { env: { ...process.env, ...info.env } });
}

/** Stops the node and its private epmd. */
export async function stopRabbit(info: RabbitInfo): Promise<void> {
  const pidText = fs.existsSync(path.join(info.dir, 'rabbit.pid')) ? fs.readFileSync(path.join(info.dir, 'rabbit.pid'), 'utf8') : '';
  try {
    ctl(info, 'shutdown');
  } catch {
    // already down
  }
  const pid = Number(pidText.trim());
  if (pid > 0 && !(await waitForExit(pid, 15000))) process.kill(pid, 'SIGKILL');
  // epmd was started for this node's private port; it would outlive the node otherwise.
  try {
    run(findProgram('epmd', ['/usr/lib/erlang/bin']) ?? 'epmd', ['-port', info.env.ERL_EPMD_PORT ?? '', '-kill'], { env: { ...process.env, ...info.env } });
  } catch {
    // no epmd left: fine
  }
}

/** A full stop and boot on the same data: what persistence tests need from a broker restart. */
export async function restartRabbit(info: RabbitInfo): Promise<void> {
  await stopRabbit(info);
  await bootNode(info);
}

export function amqpUrl(info: RabbitInfo, withPassword = true): string {
  const auth = withPassword ? `${info.user}:${info.password}` : info.user;
  return `amqp://${auth}@127.0.0.1:${info.port}/${encodeURIComponent(info.vhost)}`;
}

/** Whether the queue exists on the bench's RabbitMQ (a passive declare, on a connection of its own). */
export async function queueExists(info: RabbitInfo, name: string): Promise<boolean> {
  const connection = await amqp.connect(amqpUrl(info));
  try {
    const channel = await connection.createChannel();
    channel.on('error', () => undefined);
    return await channel.checkQueue(name).then(() => true, () => false);
  } finally {
    await connection.close().catch(() => undefined);
  }
}
