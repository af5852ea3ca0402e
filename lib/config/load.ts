// The effective configuration of one component/config:
//   option table defaults -> default.conf -> <component>.conf -> <component>/<config>.conf -> command line.
// sr3 applies its component defaults after default.conf, so a default.conf value for an
// option the component also sets is silently lost (sr3.md 2.2). Here the per-component
// defaults come from the option table, before every file, and `<component>.conf` is the
// component layer sr3's manual describes, so every line a user writes counts.
import fs from 'node:fs';
import path from 'node:path';
import { type ConfigId, configLabel } from './components.js';
import { ConfigError, ConfigErrors } from './errors.js';
import type { FileRule } from './fileRules.js';
import { appliesTo, defaultValue, OPTIONS, type OptionValue } from './options.js';
import { type Binding, ConfigBuilder, type Mask, type Setting } from './parser.js';
import { type PathLayout, pathLayout } from './pathLayout.js';
import { configFile, displayPath, type SrPaths } from './paths.js';

export type CommandLineOptions = ReadonlyArray<readonly [string, string]>;

export class Config {
  constructor(
    readonly id: ConfigId,
    readonly file: string,
    readonly settings: ReadonlyMap<string, Setting>,
    readonly masks: readonly Mask[],
    readonly subtopics: readonly Binding[],
    /** acceptFile / rejectFile, in file order */
    readonly fileRules: readonly FileRule[],
    readonly env: Readonly<Record<string, string>>,
    readonly headers: Readonly<Record<string, string>>,
    /** lines read but without effect (sr3 options mailpump has no use for), as `file:line: why` */
    readonly warnings: readonly string[] = [],
  ) {}

  get label(): string {
    return configLabel(this.id);
  }

  value(name: string): OptionValue {
    if (!OPTIONS.some((spec) => spec.name === name)) throw new Error(`no option "${name}" in the option table`);
    return this.settings.get(name)?.value;
  }

  flag(name: string): boolean {
    return this.value(name) === true;
  }

  number(name: string): number {
    const value = this.value(name);
    if (typeof value !== 'number') throw new Error(`option "${name}" has no number value`);
    return value;
  }

  str(name: string): string | undefined {
    const value = this.value(name);
    return typeof value === 'string' ? value : undefined;
  }

  list(name: string): readonly string[] {
    const value = this.value(name);
    return Array.isArray(value) ? value : [];
  }

  /** mirror, strip and flatten as the whole config sets them: for what no accept line took (acceptUnmatched) */
  get layout(): PathLayout {
    return pathLayout((name) => this.settings.get(name)?.value);
  }

  /** sr3 runs exactly one poll instance whatever `instances` says: two would announce twice. */
  get instances(): number {
    return this.id.component === 'poll' ? 1 : Math.max(1, this.number('instances'));
  }
}

/** Reads the effective config; throws ConfigErrors listing every problem found. */
export function loadConfig(paths: SrPaths, id: ConfigId, commandLine: CommandLineOptions = [], env: NodeJS.ProcessEnv = process.env): Config {
  const file = configFile(paths, id);
  const builder = new ConfigBuilder(id.component, id.name, paths.configDir, env);
  for (const spec of OPTIONS.filter((option) => appliesTo(option, id.component))) {
    const value = defaultValue(spec, id.component);
    if (value !== undefined) builder.values.set(spec.name, { value });
  }
  const layer = (filePath: string, shared: boolean, optional: boolean) =>
    builder.readFile(filePath, { displayName: displayPath(paths, filePath), shared }, optional);
  layer(path.join(paths.configDir, 'default.conf'), true, true);
  layer(path.join(paths.configDir, `${id.component}.conf`), false, true);
  if (!fs.existsSync(file)) {
    throw new ConfigErrors([new ConfigError(displayPath(paths, file), 0, `${configLabel(id)} does not exist (sr add ${configLabel(id)}.conf creates it)`)]);
  }
  layer(file, false, false);
  for (const [keyword, value] of commandLine) builder.readCommandLine(keyword, value);
  if (builder.errors.length > 0) throw new ConfigErrors(builder.errors);
  return new Config(id, file, builder.values, builder.masks, builder.subtopics, builder.fileRules, builder.env, builder.headers, builder.warnings.map((warning) => warning.message));
}
