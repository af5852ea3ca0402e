// Decodes one message file the way the subscribe does (mailsplit walk into staged files),
// then prints its peak RSS: run by bench:ingest in a process of its own, so that the figure
// is the decoder's alone.
import fs from 'node:fs';
import { decodeToFiles } from './decodeToFiles.js';

/**
 * This process's own peak RSS. Not getrusage's maxRSS: that keeps the peak of the process
 * image replaced at exec, a copy of the parent's, so it reported the bench's 127 MiB.
 */
function peakRssKib(): number {
  const line = /^VmHWM:\s+(\d+) kB$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  if (!line) throw new Error('no VmHWM line in /proc/self/status');
  return Number(line[1]);
}

const [message = '', out = ''] = process.argv.slice(2);
const started = performance.now();
const written = await decodeToFiles(fs.createReadStream(message), out, 'bench');
process.stdout.write(`${JSON.stringify({
  maxRssKib: peakRssKib(),
  seconds: (performance.now() - started) / 1000,
  bytes: written.reduce((sum, { file }) => sum + file.size, 0),
})}\n`);
