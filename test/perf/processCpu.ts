// CPU seconds used by the processes of a benchmark (Linux /proc), so that a figure can say
// where a run's time went: on a machine with few cores, what one process takes the others lack.
import fs from 'node:fs';

/** CPU seconds (user + system, all threads) of each live process, by pid, with its command line. */
export type CpuSnapshot = ReadonlyMap<number, { readonly command: string; readonly seconds: number }>;

const TICKS_PER_SECOND = 100; // USER_HZ, 100 on every Linux the benchmarks run on

export function cpuSnapshot(): CpuSnapshot {
  const snapshot = new Map<number, { command: string; seconds: number }>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The fields after the command name, which may itself hold spaces and parentheses.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ticks = Number(fields[11]) + Number(fields[12]);
      const command = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ').trim();
      snapshot.set(Number(entry), { command, seconds: ticks / TICKS_PER_SECOND });
    } catch {
      // The process ended between the listing and the reading.
    }
  }
  return snapshot;
}

/**
 * CPU seconds used since `before` by the processes whose command line `groupOf` puts in a
 * group (undefined: not counted). A process that ended in between is not counted.
 */
export function cpuSince(before: CpuSnapshot, groupOf: (command: string) => string | undefined): Map<string, number> {
  const groups = new Map<string, number>();
  for (const [pid, now] of cpuSnapshot()) {
    const group = groupOf(now.command);
    if (group === undefined) continue;
    const earlier = before.get(pid);
    const used = now.seconds - (earlier?.command === now.command ? earlier.seconds : 0);
    groups.set(group, (groups.get(group) ?? 0) + used);
  }
  return groups;
}

/** The process's own CPU seconds while `work` runs (all its threads). */
export async function ownCpu<T>(work: () => Promise<T>): Promise<{ result: T; seconds: number }> {
  const before = process.cpuUsage();
  const result = await work();
  const used = process.cpuUsage(before);
  return { result, seconds: (used.user + used.system) / 1e6 };
}
