// sr edit: open the config in $EDITOR (vi when unset), then check it, so a mistake is
// reported now and not at the next start.
import { spawnSync } from 'node:child_process';
import { configFile } from '../../config/paths.js';
import { userConfigs } from '../../config/catalog.js';
import { configLabel } from '../../config/components.js';
import { UserError } from '../../config/errors.js';
import { type CliContext, loadChecked } from '../context.js';
import { selectConfigs } from '../selectors.js';

export async function editAction(context: CliContext, selector: string): Promise<number> {
  const ids = selectConfigs([selector], userConfigs(context.paths));
  const [id] = ids;
  if (!id || ids.length > 1) throw new UserError(`sr edit takes one config; "${selector}" matches ${ids.map(configLabel).join(', ')}`);
  const editor = process.env.VISUAL || process.env.EDITOR || 'vi';
  // Through a shell, because EDITOR may carry arguments ("code --wait").
  const result = spawnSync('/bin/sh', ['-c', `${editor} "$1"`, 'sh', configFile(context.paths, id)], { stdio: 'inherit' });
  if (result.status !== 0) throw new UserError(`the editor "${editor}" failed (exit ${result.status ?? result.signal})`);
  const { broken } = loadChecked(context, [configLabel(id)]);
  for (const config of broken) context.err(config.message);
  return broken.length > 0 ? 1 : 0;
}
