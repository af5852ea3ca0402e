// POP3 logins of one account kept LOGIN-DELAY apart across the processes of a host
// (issue "Beyond Dovecot" item 6): turns in order of asking, none closer than the delay.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { LoginGate } from '../../lib/mail/pop3/loginGate.js';

let dir: string;
beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gate-')); });
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('the POP3 login gate', () => {
  it('grants at once where the server asked for no delay', async () => {
    const gate = LoginGate.open(path.join(dir, 'logins.sqlite'));
    const waits: number[] = [];
    for (let login = 0; login < 3; login += 1) {
      assert.equal(await gate.turn('pops://a@h:995/', () => false, (seconds) => waits.push(seconds)), true);
      gate.loggedIn('pops://a@h:995/');
    }
    assert.deepEqual(waits, []);
    gate.close();
  });

  it('keeps the logins of two users of one file (two processes) the delay apart, first asked first served', async () => {
    const file = path.join(dir, 'logins.sqlite');
    const poll = LoginGate.open(file);
    const subscribe = LoginGate.open(file);
    const account = 'pops://ingest@mail.example.com:995/';
    poll.learn(account, 1);
    const logins: Array<{ who: string; at: number }> = [];
    const login = async (gate: LoginGate, who: string) => {
      assert.equal(await gate.turn(account, () => false), true);
      logins.push({ who, at: Date.now() });
      gate.loggedIn(account);
    };
    await login(poll, 'poll');
    // Both ask again at once: the subscribe asked first, so it goes first; the poll after it.
    const second = login(subscribe, 'subscribe');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const third = login(poll, 'poll');
    await Promise.all([second, third]);
    assert.deepEqual(logins.map((entry) => entry.who), ['poll', 'subscribe', 'poll']);
    for (let index = 1; index < logins.length; index += 1) {
      assert.ok(logins[index]!.at - logins[index - 1]!.at >= 990, `login ${index} came ${logins[index]!.at - logins[index - 1]!.at} ms after the one before`);
    }
    poll.close();
    subscribe.close();
  });

  it('gives up a wait for a stop', async () => {
    const gate = LoginGate.open(path.join(dir, 'logins.sqlite'));
    const account = 'pop://a@h:110/';
    gate.learn(account, 60);
    gate.loggedIn(account);
    let stopped = false;
    setTimeout(() => { stopped = true; }, 100);
    const waits: number[] = [];
    assert.equal(await gate.turn(account, () => stopped, (seconds) => waits.push(seconds)), false);
    assert.equal(waits.length, 1);
    assert.ok(waits[0]! > 55 && waits[0]! <= 60, `said the wait: ${waits[0]} s`);
    gate.close();
  });

  it('does not wait for a waiter whose process is gone (kill -9)', async () => {
    const file = path.join(dir, 'logins.sqlite');
    const gate = LoginGate.open(file);
    // A ticket left by a process that no longer exists.
    const Database = (await import('better-sqlite3')).default;
    const db = new Database(file);
    db.prepare('INSERT INTO pop3_waiting (account, pid) VALUES (?, ?)').run('pop://a@h:110/', 2 ** 22 + 12345);
    db.close();
    assert.equal(await gate.turn('pop://a@h:110/', () => false), true);
    gate.close();
  });
});
