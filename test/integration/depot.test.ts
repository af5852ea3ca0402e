// The directory source end to end through sr start, on the local broker: a watched directory
// holding the samples of ../shared/fixtures/adullact/, its Pastell deposits, plain files, a
// file still being written under a .tmp name and a deposit still being written (no
// fichier_termine.txt yet). Each item's documents are written once by kind with their
// sidecars; the deposit being written is taken only once its marker is there; then each
// fileAction: leave (and nothing is announced twice), move into a done directory, and
// delete through a kill -9 of the subscribe in the middle.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { baseName, sha256Of, walk } from '../helpers/files.js';
import { REPO, Sandbox, waitFor } from '../helpers/sandbox.js';

const SAMPLES = path.join(REPO, '..', 'shared', 'fixtures', 'adullact');
const samples = JSON.parse(fs.readFileSync(path.join(SAMPLES, 'expected.json'), 'utf8')) as Array<{
  input: string; kind: string; producer: string; metadata: Record<string, unknown>; documents: Array<{ name: string; role: string }>;
}>;
/** Plain files beside the envelopes: written as they are, under mail/ (no kind). */
const PLAIN = { 'FA-2025-0001.pdf': fs.readFileSync(path.join(SAMPLES, 'chorus', 'FA-2025-0001.pdf')), 'notes.txt': Buffer.from('not an envelope\n') };
const LATE = 'facture-cpp_late';

interface Sidecar {
  source: string; name: string; entry: string; sha256: string;
  envelope?: { kind: string; producer: string; groupId: string; role: string; name: string; metadata: Record<string, unknown> };
}

/** The item names of the samples as they lie in the directory: a deposit by its directory's name. */
const itemName = (input: string) => path.basename(input.replace(/\/$/, ''));

/** The samples, and what each must give: its documents, and its archive as the source (tar.gz, zip). */
function expectedFiles(): Map<string, { kind?: string; producer?: string; roles: string[] }> {
  const expected = new Map<string, { kind?: string; producer?: string; roles: string[] }>();
  for (const sample of samples) {
    const archive = /\.(tar\.gz|zip)$/.test(sample.input);
    expected.set(itemName(sample.input), {
      kind: sample.kind, producer: sample.producer,
      roles: [...sample.documents.map((document) => `${document.name} ${document.role}`), ...(archive ? [`${itemName(sample.input)} source`] : [])].sort(),
    });
  }
  for (const name of Object.keys(PLAIN)) expected.set(name, { roles: [`${name} -`] });
  return expected;
}

/** A directory as Pastell and others leave it, every file old enough to be taken at once. */
function fillDepot(depot: string): void {
  fs.mkdirSync(depot, { recursive: true });
  for (const sample of samples) {
    const from = path.join(SAMPLES, sample.input);
    fs.cpSync(from, path.join(depot, itemName(sample.input)), { recursive: true });
  }
  for (const [name, bytes] of Object.entries(PLAIN)) fs.writeFileSync(path.join(depot, name), bytes);
  fs.writeFileSync(path.join(depot, 'scan.pdf.tmp'), 'still being written');
  // A deposit still being written: everything but the marker.
  fs.cpSync(path.join(SAMPLES, 'pastell-depot', 'facture-cpp_FA-2025-0001'), path.join(depot, LATE), { recursive: true });
  fs.rmSync(path.join(depot, LATE, 'fichier_termine.txt'));
  const old = new Date(Date.now() - 60_000);
  for (const file of walk(depot)) {
    fs.chmodSync(path.join(depot, file), 0o644);
    fs.utimesSync(path.join(depot, file), old, old);
  }
  for (const entry of fs.readdirSync(depot)) if (fs.statSync(path.join(depot, entry)).isDirectory()) fs.chmodSync(path.join(depot, entry), 0o755);
}

let box: Sandbox;
beforeEach(() => { box = new Sandbox(); });
afterEach(() => box.cleanup());

describe('a watched directory, through sr', () => {
  for (const action of ['leave', 'move done', 'delete'] as const) {
    it(`writes each item's documents once by kind, takes a deposit once complete, then fileAction ${action}${action === 'delete' ? ', through a kill -9 of the subscribe' : ''}`, { timeout: 120_000 }, async () => {
      const depot = path.join(box.home, 'depot');
      const files = path.join(box.home, 'files');
      fillDepot(depot);
      // Beside it, a directory that is not there (move run only): sr status says so, the other is polled.
      const missing = action === 'move done' ? [`pollUrl file:${box.home}/missing/`] : [];
      box.writeConfig('poll/depot.conf', ['post_broker local:', 'sleep 1s', 'metrics_writeInterval 1s', `pollUrl file:${depot}/`, ...missing].join('\n'));
      box.writeConfig('subscribe/depot.conf', ['broker local:', `directory ${files}/\${KIND}`, 'envelopes adullact', 'sidecar on', `fileAction ${action}`].join('\n'));
      const sidecars = () => walk(files).filter((file) => path.basename(file).startsWith('.') && file.endsWith('.json') && !file.includes('.mailpump-staging'))
        .map((file) => ({ file: path.join(path.dirname(file), path.basename(file).slice(1, -'.json'.length)), sidecar: JSON.parse(fs.readFileSync(path.join(files, file), 'utf8')) as Sidecar }));
      const expected = expectedFiles();
      const total = [...expected.values()].reduce((sum, item) => sum + item.roles.length, 0);
      try {
        assert.equal(box.sr(['start']).code, 0);
        if (action === 'delete') {
          await waitFor(() => sidecars().length > 0, 30_000, 'the first file');
          process.kill(box.pidOf('subscribe', 'depot', 1), 'SIGKILL');
          box.sr(['sanity']);
        }
        await waitFor(() => sidecars().length >= total, 60_000, `the ${total} files of the items`);
        // Passes more: nothing announced again, the late deposit waits. Moved or deleted items
        // cannot be announced again: only what is left is worth the wait.
        if (action === 'leave') await new Promise((resolve) => setTimeout(resolve, 3000));
        let written = sidecars();
        assert.equal(written.length, total, `exactly the expected files: ${written.map(({ file }) => file).join(', ')}`);
        for (const [name, item] of expected) {
          const mine = written.filter(({ sidecar }) => sidecar.name === name);
          assert.deepEqual(mine.map(({ file, sidecar }) => `${sidecar.envelope?.name ?? baseName(path.basename(file))} ${sidecar.envelope?.role ?? '-'}`).sort(), item.roles, `${name}: its documents, once each`);
          for (const { file, sidecar } of mine) {
            assert.equal(sha256Of(path.join(files, file)), sidecar.sha256, `${file}: the bytes its sidecar describes`);
            assert.equal(file.split(path.sep)[0], item.kind ?? 'mail', `${file} under its kind`);
            assert.equal(sidecar.envelope?.producer, item.producer);
            assert.equal(sidecar.source, `file:${depot}/`);
          }
          assert.equal(new Set(mine.map(({ sidecar }) => sidecar.envelope?.groupId)).size, 1, `${name}: one groupId`);
        }
        assert.deepEqual(written.filter(({ sidecar }) => sidecar.name === LATE || sidecar.name === 'scan.pdf.tmp'), [], 'nothing of what is still being written');

        // Pastell writes the marker last: the deposit is taken then.
        fs.writeFileSync(path.join(depot, LATE, 'fichier_termine.txt'), 'fini\n');
        await waitFor(() => sidecars().length >= total + 2, 30_000, 'the late deposit');
        if (action === 'leave') await new Promise((resolve) => setTimeout(resolve, 2000));
        written = sidecars();
        assert.deepEqual(written.filter(({ sidecar }) => sidecar.name === LATE).map(({ sidecar }) => sidecar.envelope?.role).sort(), ['facture_pdf', 'facture_xml']);
        assert.equal(written.length, total + 2, 'and nothing else, nothing twice');

        const items = [...expected.keys(), LATE].sort();
        await waitFor(() => action === 'leave' || fs.readdirSync(depot).filter((name) => name !== 'done').length === 1, 10_000, `fileAction ${action} on every item`);
        const left = fs.readdirSync(depot).sort();
        if (action === 'leave') assert.deepEqual(left, [...items, 'scan.pdf.tmp'].sort(), 'every item left where it was');
        if (action === 'move done') {
          assert.deepEqual(left, ['done', 'scan.pdf.tmp']);
          assert.deepEqual(fs.readdirSync(path.join(depot, 'done')).sort(), items, 'every item moved once, under its name');
          assert.ok(fs.existsSync(path.join(depot, 'done', LATE, 'metadata.xml')), 'a deposit moved whole');
        }
        if (action === 'delete') assert.deepEqual(left, ['scan.pdf.tmp'], 'every item deleted, nothing set aside left');
        assert.deepEqual(walk(files).filter((file) => file.includes('.mailpump-staging')), [], 'no staging file left');
        if (missing.length === 0) assert.equal(box.sr(['status']).code, 0);
        else {
          await waitFor(() => box.sr(['status']).code === 1, 15_000, 'sr status failing while a directory is');
          assert.match(box.sr(['status']).stdout, /missing\/ failing since .*: the directory .*missing does not exist: create it, or correct the pollUrl/);
        }
      } finally {
        box.sr(['stop']);
      }
    });
  }
});
