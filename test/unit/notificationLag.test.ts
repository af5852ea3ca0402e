import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NotificationLag } from '../../lib/components/subscribe/notificationLag.js';
import { formatPubTime, type Notification } from '../../lib/message.js';

const at = (ms: number) => ({ pubTime: formatPubTime(new Date(ms)) }) as Notification;

describe('the age of the oldest notification waiting', () => {
  it('is that of the oldest in hand, then of the last taken while more wait, then 0', () => {
    const lag = new NotificationLag();
    const now = Date.parse('2026-12-02T12:00:00Z');
    assert.equal(lag.ageSeconds(0, now), 0, 'nothing taken, nothing waiting');
    const old = lag.took(at(now - 30_000));
    const young = lag.took(at(now - 10_000));
    assert.equal(lag.ageSeconds(5, now), 30);
    lag.done(old);
    assert.equal(lag.ageSeconds(5, now), 10);
    lag.done(young);
    assert.equal(lag.ageSeconds(5, now), 10, 'more wait behind the last taken');
    assert.equal(lag.ageSeconds(0, now), 0, 'the queue is empty');
  });

  it('counts a notification without a usable pubTime from when it was taken', () => {
    const lag = new NotificationLag();
    lag.took({ pubTime: 'nonsense' } as unknown as Notification);
    assert.ok(lag.ageSeconds(0) < 5);
  });
});
