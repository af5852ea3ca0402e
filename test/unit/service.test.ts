// The systemd units shipped in docs/systemd/ are ones systemd accepts.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { REPO } from '../helpers/sandbox.js';

describe('the systemd units', () => {
  it('pass systemd-analyze verify', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailpump-units-'));
    try {
      const units = fs.readdirSync(path.join(REPO, 'docs', 'systemd'));
      assert.deepEqual(units.sort(), ['mailpump-sanity.service', 'mailpump-sanity.timer', 'mailpump.service', 'mailpump@.service']);
      // The template is verified as an instance of it, for a user that exists.
      for (const unit of units) fs.copyFileSync(path.join(REPO, 'docs', 'systemd', unit), path.join(dir, unit.replace('@.', `@${os.userInfo().username}.`)));
      const verified = spawnSync('systemd-analyze', ['verify', ...fs.readdirSync(dir).map((unit) => path.join(dir, unit))], { encoding: 'utf8' });
      assert.equal(verified.error, undefined, 'systemd-analyze is in the Debian package systemd');
      assert.equal(verified.status, 0, verified.stderr);
      assert.equal(verified.stderr.trim(), '', 'no warning either');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
