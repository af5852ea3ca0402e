// sr add: copy an example (configs/) or a file into the config tree; never overwrite.
// `poll/mail` and `poll/mail.conf` both work (sr3 needs the suffix: sr3.md 1.4).
import fs from 'node:fs';
import path from 'node:path';
import { configsIn, EXAMPLES_DIR } from '../../config/catalog.js';
import { COMPONENTS, type ConfigId, configLabel, isComponent } from '../../config/components.js';
import { UsageError } from '../../config/errors.js';
import { configFile } from '../../config/paths.js';
import type { CliContext } from '../context.js';

interface AddPlan {
  readonly id: ConfigId;
  /** the file to copy, or undefined: create an empty config as sr3 does */
  readonly source: string | undefined;
}

export async function addAction(context: CliContext, names: readonly string[]): Promise<number> {
  const plans = names.map(planAdd);
  for (const { id, source } of plans) {
    const target = configFile(context.paths, id);
    if (fs.existsSync(target)) {
      context.out(`add: ${configLabel(id)} exists already, left as it is (${target})`);
      continue;
    }
    fs.mkdirSync(path.dirname(target), { recursive: true });
    if (source) {
      fs.copyFileSync(source, target, fs.constants.COPYFILE_EXCL);
      context.out(`add: copying ${source} to ${target}`);
    } else {
      fs.writeFileSync(target, '', { flag: 'wx' });
      context.out(`add: did not find anything to copy for ${configLabel(id)}; created an empty ${target}`);
    }
  }
  return 0;
}

function planAdd(name: string): AddPlan {
  if (fs.existsSync(name) && fs.statSync(name).isFile()) return planFromPath(name);
  const stem = name.replace(/\.conf$/, '');
  const [first = '', second, ...more] = stem.split('/');
  if (second === undefined) return planFromBareName(first);
  if (more.length > 0 || !isComponent(first) || second === '') {
    throw new UsageError(`sr add: "${name}" is neither a file nor <component>/<config> with a component among ${COMPONENTS.join(', ')}`);
  }
  const example = path.join(EXAMPLES_DIR, first, `${second}.conf`);
  return { id: { component: first, name: second }, source: fs.existsSync(example) ? example : undefined };
}

/** A file path: the component is the name of the directory it is in (`.../poll/mail.conf`). */
function planFromPath(file: string): AddPlan {
  const component = path.basename(path.dirname(path.resolve(file)));
  if (!isComponent(component)) {
    throw new UsageError(`sr add: cannot tell whether ${file} is a poll or a subscribe config: put it in a directory named poll/ or subscribe/`);
  }
  return { id: { component, name: path.basename(file).replace(/\.conf$/, '') }, source: path.resolve(file) };
}

function planFromBareName(name: string): AddPlan {
  const matches = configsIn(EXAMPLES_DIR).filter((example) => example.name === name);
  if (matches.length === 1 && matches[0]) {
    return { id: matches[0], source: path.join(EXAMPLES_DIR, matches[0].component, `${name}.conf`) };
  }
  const choices = (matches.length > 0 ? matches.map(configLabel) : COMPONENTS.map((c) => `${c}/${name}`)).join(' or ');
  throw new UsageError(`sr add: say which one: ${choices}`);
}
