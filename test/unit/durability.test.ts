import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const durability = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../lib/output/durability.js');

describe('durability by syncfs', () => {
  it('keeps a process with nothing else to do up until the flush is answered', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailpump-durability-'));
    try {
      const file = path.join(dir, 'f');
      fs.writeFileSync(file, 'x');
      // The helper's pipes are let go when idle; a one-off process must still see its answer.
      const script = `import { makeDurable } from ${JSON.stringify(durability)};\nawait makeDurable([${JSON.stringify(file)}], 'syncfs');\nprocess.stdout.write('durable');`;
      const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30000 });
      assert.equal(child.status, 0, `exit ${child.status} (13: the await was left unfinished) ${child.stderr}`);
      assert.equal(child.stdout, 'durable');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('calls syncfs from a perl helper, and runs sync --file-system where there is no perl, and says which', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailpump-durability-'));
    try {
      const file = path.join(dir, 'f');
      fs.writeFileSync(file, 'x');
      const script = `import { chooseSyncMethod, makeDurable } from ${JSON.stringify(durability)};\nconst { why } = chooseSyncMethod(${JSON.stringify(dir)});\nawait makeDurable([${JSON.stringify(file)}], 'syncfs');\nprocess.stdout.write(why);`;
      const run = (env: NodeJS.ProcessEnv) => spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30000, env });
      const withPerl = run(process.env);
      assert.equal(withPerl.status, 0, withPerl.stderr);
      assert.match(withPerl.stdout, /syncfs\(2\), called by a perl helper/);
      // A PATH with a shell and coreutils' sync, but no perl.
      const bin = path.join(dir, 'bin');
      fs.mkdirSync(bin);
      for (const program of ['sh', 'sync']) fs.symlinkSync(spawnSync('sh', ['-c', `command -v ${program}`], { encoding: 'utf8' }).stdout.trim(), path.join(bin, program));
      const withoutPerl = run({ ...process.env, PATH: bin });
      assert.equal(withoutPerl.status, 0, withoutPerl.stderr);
      assert.match(withoutPerl.stdout, /sync --file-system, run by a helper shell/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
