// When a poll runs (sr3.md 3.6): `schedule` (a cron expression with seconds and an
// optional year, by croner), else `scheduled_time` / `scheduled_hour` + `scheduled_minute`
// (UTC, as sr3), else every `sleep` seconds. The first pass always runs at start.
import { Cron } from 'croner';
import type { Config } from '../config/load.js';

export interface Schedule {
  /** the next time to run after `after`; undefined when it will never run again */
  next(after: Date): Date | undefined;
  readonly description: string;
}

export class ScheduleError extends Error {
  constructor(readonly option: string, message: string) {
    super(message);
  }
}

export interface ScheduleSettings {
  readonly sleep: number;
  readonly schedule?: string;
  readonly hours: readonly string[];
  readonly minutes: readonly string[];
  readonly times: readonly string[];
}

function numbers(option: string, values: readonly string[], max: number): number[] {
  return values.flatMap((value) => value.split(',')).map((word) => {
    const n = Number(word.trim());
    if (!Number.isInteger(n) || n < 0 || n > max) throw new ScheduleError(option, `"${option}" needs whole numbers from 0 to ${max}, got "${word.trim()}"`);
    return n;
  });
}

function cronSchedule(option: string, expression: string): Schedule {
  let cron: Cron;
  try {
    cron = new Cron(expression, { paused: true, timezone: 'UTC', mode: '6-or-7-parts' });
  } catch (error) {
    throw new ScheduleError(option, `"${option}" is not a cron expression with seconds (such as "*/15 * * * * *"): ${(error as Error).message}`);
  }
  if (cron.nextRun() === null) throw new ScheduleError(option, `"${option}" "${expression}" can never fire`);
  return { next: (after) => cron.nextRun(after) ?? undefined, description: `cron "${expression}" (UTC)` };
}

/** The schedule options of a poll config. */
export function scheduleSettings(config: Config): ScheduleSettings {
  return {
    sleep: config.number('sleep'), schedule: config.str('schedule'),
    hours: config.list('scheduled_hour'), minutes: config.list('scheduled_minute'), times: config.list('scheduled_time'),
  };
}

export function buildSchedule(settings: ScheduleSettings): Schedule {
  if (settings.schedule) return cronSchedule('schedule', settings.schedule);
  if (settings.times.length > 0) {
    const fields = settings.times.flatMap((t) => t.split(',')).map((time) => {
      const match = /^(\d{1,2}):(\d{2})$/.exec(time.trim());
      if (!match || Number(match[1]) > 23 || Number(match[2]) > 59) throw new ScheduleError('scheduled_time', `"scheduled_time" needs HH:MM, got "${time.trim()}"`);
      return [Number(match[1]), Number(match[2])] as const;
    });
    const crons = fields.map(([h, m]) => new Cron(`0 ${m} ${h} * * *`, { paused: true, timezone: 'UTC' }));
    return {
      next: (after) => crons.map((c) => c.nextRun(after)).filter((d): d is Date => d !== null).sort((a, b) => a.getTime() - b.getTime())[0],
      description: `at ${settings.times.join(', ')} UTC`,
    };
  }
  if (settings.hours.length > 0 || settings.minutes.length > 0) {
    const hours = settings.hours.length > 0 ? numbers('scheduled_hour', settings.hours, 23).join(',') : '*';
    const minutes = settings.minutes.length > 0 ? numbers('scheduled_minute', settings.minutes, 59).join(',') : '0';
    return cronSchedule('scheduled_hour', `0 ${minutes} ${hours} * * *`);
  }
  if (!(settings.sleep > 0)) throw new ScheduleError('sleep', '"sleep" must be more than 0 for a poll');
  const interval = settings.sleep * 1000;
  return { next: (after) => new Date(after.getTime() + interval), description: `every ${settings.sleep}s` };
}
