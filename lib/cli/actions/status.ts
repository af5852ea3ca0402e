// sr status: one row per config. A config that cannot be read gets a row saying so and its
// error below the table; the others are shown as usual. Exit 1 when any selected config
// needs attention (error, crashed, hung, partial, failing), so monitoring can use the exit
// code (sr3 always exits 0: issue #315). A mailbox whose trouble may pass by itself is
// `retrying` for its first two minutes: shown, with the next try, but not yet a failure.
import { backlogEnd, type MailboxReport, mailboxState } from '../../supervisor/instanceFiles.js';
import type { ConfigStatus } from '../../supervisor/status.js';
import { brokenConfigStatus, configStatus } from '../../supervisor/status.js';
import { progressFile } from '../../config/paths.js';
import { type Progress, readProgress } from '../../state/progressStore.js';
import { type CliContext, loadChecked, nothingConfigured } from '../context.js';
import { formatAge, table } from '../format.js';

const NEEDS_ATTENTION = new Set(['error', 'crashed', 'hung', 'partial', 'failing']);

type SeenMailbox = Omit<MailboxReport, 'state'> & { state: ReturnType<typeof mailboxState> };

/** The mailboxes of the live instances, each once, in the state sr status gives them (the worst an instance reports). */
function mailboxesOf(row: ConfigStatus, now: number): SeenMailbox[] {
  const rank = { ok: 0, retrying: 1, failing: 2 } as const;
  const byAccount = new Map<string, SeenMailbox>();
  for (const report of row.instances.filter((i) => i.alive).flatMap((i) => i.heartbeat?.mailboxes ?? [])) {
    const seen = { ...report, state: mailboxState(report, now) };
    const known = byAccount.get(report.account);
    if (!known || rank[seen.state] > rank[known.state]) byAccount.set(report.account, seen);
  }
  return [...byAccount.values()];
}

export function collectStatus(context: CliContext, selectors: readonly string[]): ConfigStatus[] {
  const { configs, broken } = loadChecked(context, selectors, true);
  const rows = [
    ...configs.map((config) => configStatus(context.paths, config)),
    ...broken.map((config) => brokenConfigStatus(context.paths, config.id, config.message)),
  ];
  return rows.sort((a, b) => a.label.localeCompare(b.label));
}

export async function statusAction(context: CliContext, selectors: readonly string[], json: boolean, full = false): Promise<number> {
  const rows = collectStatus(context, selectors);
  if (rows.length === 0 && !json) context.out(nothingConfigured(context));
  if (json) context.out(JSON.stringify(rows.map((row) => toJson(row, progressOf(context, row))), null, 2));
  else printTable(context, rows);
  if (full && !json) for (const row of rows) printProgress(context, row, progressOf(context, row));
  return rows.some((row) => NEEDS_ATTENTION.has(row.state)) ? 1 : 0;
}

/** What sr status --full and --json say of a config's progress. */
interface ProgressView extends Progress {
  /** per minute, over the last minute, of the live instances together */
  readonly ratePerMinute: number;
  /** a poll: found on the server and not announced yet; a subscribe: waiting in its queue */
  readonly remaining: number | undefined;
  /** when what remains is done at the current rate, ISO; undefined when nothing remains or nothing moves */
  readonly eta: string | undefined;
}

function progressOf(context: CliContext, row: ConfigStatus): ProgressView {
  let kept: Progress = { totals: {}, perMailbox: {}, since: undefined };
  try {
    kept = readProgress(progressFile(context.paths, row.id));
  } catch {
    // being written this very moment, or damaged: the live counters still show
  }
  const alive = row.instances.filter((i) => i.alive && i.instance > 0);
  const ratePerMinute = alive.reduce((sum, i) => sum + (i.heartbeat?.ratePerMinute ?? 0), 0);
  const remaining = row.id.component === 'poll'
    ? (alive.length > 0 ? mailboxesOf(row, Date.now()).reduce((sum, m) => sum + (m.remaining ?? 0), 0) : undefined)
    : brokerOf(row)?.depth;
  const end = backlogEnd(remaining, ratePerMinute);
  return { ...kept, ratePerMinute, remaining, eta: end === undefined ? undefined : new Date(end).toISOString() };
}

function printProgress(context: CliContext, row: ConfigStatus, progress: ProgressView): void {
  const totals = Object.entries(progress.totals).map(([name, value]) => `${name}=${value}`).join(' ') || 'none yet';
  context.out(`${row.label}: totals${progress.since ? ` since ${progress.since}` : ''}: ${totals}`);
  for (const [mailbox, counters] of Object.entries(progress.perMailbox)) {
    context.out(`${row.label}: ${mailbox}: ${Object.entries(counters).map(([name, value]) => `${name}=${value}`).join(' ')}`);
  }
  const remaining = progress.remaining === undefined ? '' : `; ${progress.remaining} ${row.id.component === 'poll' ? 'remaining on the server' : 'waiting in the queue'}`;
  const eta = progress.eta ? `; done about ${progress.eta}` : progress.remaining ? '; no end in sight at this rate' : '';
  context.out(`${row.label}: ${progress.ratePerMinute} per minute over the last minute${remaining}${eta}`);
}

function lastActivity(row: ConfigStatus): Date | undefined {
  const times = row.instances.map((i) => i.heartbeat?.lastActivity).filter((t): t is string => !!t).map((t) => new Date(t));
  return times.length > 0 ? new Date(Math.max(...times.map((t) => t.getTime()))) : undefined;
}

/** Counters of all live instances added up. */
function counters(row: ConfigStatus): Record<string, number> {
  const total: Record<string, number> = {};
  for (const instance of row.instances) {
    for (const [name, value] of Object.entries(instance.heartbeat?.counters ?? {})) total[name] = (total[name] ?? 0) + value;
  }
  return total;
}

/** The broker as the live instances see it: the worst state, and the depth of the queue. */
function brokerOf(row: ConfigStatus): { label: string; state: string; queue?: string; depth?: number } | undefined {
  const reports = row.instances.filter((i) => i.alive).map((i) => i.heartbeat?.broker).filter((b) => b !== undefined);
  const [first] = reports;
  if (!first) return undefined;
  const worst = reports.find((b) => b.state !== 'connected') ?? first;
  const depth = reports.map((b) => b.depth).find((d) => d !== undefined);
  return { ...worst, ...(depth !== undefined ? { depth } : {}) };
}

/** The shape of sr status --json, version 1 (docs/operations.md): an array of these. */
function toJson(row: ConfigStatus, progress: ProgressView) {
  return {
    shape: 1,
    config: row.label,
    state: row.state,
    running: row.running,
    expected: row.expected,
    lastActivity: lastActivity(row)?.toISOString() ?? null,
    counters: counters(row),
    broker: brokerOf(row) ?? null,
    mailboxes: mailboxesOf(row, Date.now()),
    totals: progress.totals,
    mailboxTotals: progress.perMailbox,
    totalsSince: progress.since ?? null,
    ratePerMinute: progress.ratePerMinute,
    remaining: progress.remaining ?? null,
    eta: progress.eta ?? null,
    instances: row.instances.map((i) => ({
      instance: i.instance, pid: i.pid ?? null, alive: i.alive, hung: i.hung,
      heartbeat: i.heartbeat?.updatedAt ?? null, notes: i.heartbeat?.notes ?? [],
    })),
    ...(row.error ? { error: row.error } : {}),
  };
}

function printTable(context: CliContext, rows: readonly ConfigStatus[]): void {
  const now = Date.now();
  const body = rows.map((row) => {
    const last = lastActivity(row);
    const counted = Object.entries(counters(row)).map(([name, value]) => `${name}=${value}`).join(' ');
    const notes = row.instances.flatMap((i) => i.heartbeat?.notes ?? []);
    const broker = brokerOf(row);
    return [
      row.label, row.state, `${row.running}/${row.expected}`, broker?.state ?? '-', broker?.depth === undefined ? '-' : String(broker.depth),
      last ? formatAge(now - last.getTime()) : '-', [counted, ...notes].filter(Boolean).join('; ') || '-',
    ];
  });
  for (const line of table(['Component/Config', 'State', 'Run', 'Broker', 'Queue', 'Last', 'Counters'], body)) context.out(line);
  const running = rows.filter((row) => row.running > 0).length;
  context.out(`      Total Running Configs: ${running} ( Processes: ${rows.reduce((n, row) => n + row.running, 0)} )`);
  for (const row of rows.filter((r) => r.error)) context.err(row.error ?? '');
  for (const row of rows) {
    for (const mailbox of mailboxesOf(row, now).filter((m) => m.state !== 'ok')) {
      const since = mailbox.since ? ` since ${formatAge(now - Date.parse(mailbox.since))} ago` : '';
      const next = mailbox.nextTry ? `; next try in ${formatAge(Math.max(0, Date.parse(mailbox.nextTry) - now))}` : '';
      context.out(`${row.label}: ${mailbox.account} ${mailbox.state}${since}: ${mailbox.cause ?? 'unknown cause'}${next}`);
    }
  }
}
