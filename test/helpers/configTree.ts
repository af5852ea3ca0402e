// A config tree in a temporary directory, for reading configs without running sr.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { SrPaths } from '../../lib/config/paths.js';

export class ConfigTree {
  readonly root = fs.mkdtempSync(path.join(os.tmpdir(), 'mailpump-config-'));
  readonly paths: SrPaths = {
    configDir: path.join(this.root, 'config', 'sr'),
    cacheDir: path.join(this.root, 'cache', 'sr'),
    logDir: path.join(this.root, 'cache', 'sr', 'log'),
  };

  write(relative: string, lines: string | readonly string[], mode = 0o644): string {
    const file = path.join(this.paths.configDir, relative);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, typeof lines === 'string' ? lines : `${lines.join('\n')}\n`, { mode });
    fs.chmodSync(file, mode);
    return file;
  }

  remove(): void {
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}
