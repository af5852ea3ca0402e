// sr list / sr list examples, laid out as sr3 does (sr3.md 1.5): 33-column cells.
import { configsIn, EXAMPLES_DIR, topLevelFiles, userConfigs } from '../../config/catalog.js';
import { configLabel } from '../../config/components.js';
import { UsageError } from '../../config/errors.js';
import type { CliContext } from '../context.js';

const CELL = 33;

function cells(names: readonly string[]): string[] {
  const width = Math.max(CELL, process.stdout.columns ?? (Number(process.env.COLUMNS) || 80));
  const perLine = Math.max(1, Math.floor(width / CELL));
  const lines: string[] = [];
  for (let index = 0; index < names.length; index += perLine) {
    lines.push(names.slice(index, index + perLine).map((name) => name.padEnd(CELL - 1)).join(' ').trimEnd());
  }
  return lines;
}

export async function listAction(context: CliContext, what: string | undefined): Promise<number> {
  if (what === undefined) {
    context.out(`User Configurations: (from: ${context.paths.configDir} )`);
    const names = [...userConfigs(context.paths).map((id) => `${configLabel(id)}.conf`), ...topLevelFiles(context.paths)];
    for (const line of cells(names)) context.out(line);
    context.out(`logs are in: ${context.paths.logDir}`);
    return 0;
  }
  if (['examples', 'eg', 'ie'].includes(what)) {
    context.out(`Sample Configurations: (from: ${EXAMPLES_DIR} )`);
    for (const line of cells(configsIn(EXAMPLES_DIR).map((id) => `${configLabel(id)}.conf`))) context.out(line);
    return 0;
  }
  throw new UsageError(`sr list: can list your configs (sr list) or the examples (sr list examples), not "${what}"`);
}
