// What configs exist: the user's under the config directory, and the examples shipped in configs/.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { COMPONENTS, type ConfigId } from './components.js';
import type { SrPaths } from './paths.js';

/** configs/ of the installed package (this file is dist/lib/config/catalog.js). */
export const EXAMPLES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../configs');

/** `<dir>/<component>/<name>.conf` for every component, components in their fixed order, names sorted. */
export function configsIn(dir: string): ConfigId[] {
  const found: ConfigId[] = [];
  for (const component of COMPONENTS) {
    let files: string[];
    try {
      files = fs.readdirSync(path.join(dir, component));
    } catch {
      continue;
    }
    for (const file of files.filter((name) => name.endsWith('.conf')).sort()) {
      found.push({ component, name: file.slice(0, -'.conf'.length) });
    }
  }
  return found;
}

export function userConfigs(paths: SrPaths): ConfigId[] {
  return configsIn(paths.configDir);
}

/** Plain files at the top of the config directory (default.conf, credentials.conf...). */
export function topLevelFiles(paths: SrPaths): string[] {
  try {
    return fs.readdirSync(paths.configDir, { withFileTypes: true })
      .filter((entry) => entry.isFile() && entry.name.endsWith('.conf'))
      .map((entry) => entry.name)
      .sort();
  } catch {
    return [];
  }
}
