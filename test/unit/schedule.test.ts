import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildSchedule, ScheduleError } from '../../lib/flow/schedule.js';

const base = { sleep: 300, hours: [], minutes: [], times: [] };
const at = '2026-11-22T10:00:07.000Z';
const next = (settings: Parameters<typeof buildSchedule>[0], from = at) => buildSchedule(settings).next(new Date(from))?.toISOString();

describe('poll schedules', () => {
  it('runs every sleep seconds by default', () => {
    assert.equal(next(base), '2026-11-22T10:05:07.000Z');
  });
  it('takes a cron expression with seconds, every 15 seconds or with a year', () => {
    assert.equal(next({ ...base, schedule: '*/15 * * * * *' }), '2026-11-22T10:00:15.000Z');
    assert.equal(next({ ...base, schedule: '0 30 6 * * 1-5 2027' }), '2027-01-01T06:30:00.000Z');
  });
  it('takes scheduled_hour and scheduled_minute, and scheduled_time, in UTC', () => {
    assert.equal(next({ ...base, hours: ['6,18'], minutes: ['15'] }), '2026-11-22T18:15:00.000Z');
    assert.equal(next({ ...base, minutes: ['0', '30'] }), '2026-11-22T10:30:00.000Z');
    assert.equal(next({ ...base, times: ['09:45', '10:01'] }), '2026-11-22T10:01:00.000Z');
  });
  it('refuses what can never fire or cannot be read, naming the option', () => {
    const refused = (settings: Parameters<typeof buildSchedule>[0], option: string, reason: RegExp) =>
      assert.throws(() => buildSchedule(settings), (error: unknown) => error instanceof ScheduleError && error.option === option && reason.test(error.message));
    refused({ ...base, schedule: '0 0 0 31 2 *' }, 'schedule', /can never fire/);
    refused({ ...base, schedule: '0 0 0 1 1 * 2020' }, 'schedule', /can never fire/);
    refused({ ...base, schedule: 'often' }, 'schedule', /not a cron expression/);
    refused({ ...base, hours: ['25'] }, 'scheduled_hour', /0 to 23, got "25"/);
    refused({ ...base, times: ['9h45'] }, 'scheduled_time', /HH:MM, got "9h45"/);
    refused({ ...base, sleep: 0 }, 'sleep', /more than 0/);
  });
});
