// What tests read back from an output directory: every file, by content and by the name
// before its collision suffix.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** Every file under `dir`, relative, hidden ones included. */
export function walk(dir: string, prefix = ''): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const relative = path.join(prefix, entry.name);
    return entry.isDirectory() ? walk(path.join(dir, entry.name), relative) : [relative];
  });
}

export const sha256 = (data: Buffer): string => crypto.createHash('sha256').update(data).digest('hex');
export const sha256Of = (file: string): string => sha256(fs.readFileSync(file));

/** `scan~0123abcd.pdf` (a collision suffix) is `scan.pdf`. */
export const baseName = (name: string): string => name.replace(/~[0-9a-f]{8}(?:-\d+)?(?=\.[^.]*$|$)/, '');
