// Reads the sr3 configuration language (sr3.md 3.1-3.4) into a ConfigBuilder: one line at
// a time, in the order the layers are read, because accept/reject and subtopic lines take
// a snapshot of the options written above them.
import fs from 'node:fs';
import path from 'node:path';
import type { Component } from './components.js';
import { ConfigError } from './errors.js';
import { FILE_RULE_OPTIONS, type FileRule, fileRule, FileRuleError } from './fileRules.js';
import { appliesTo, findOption, knownWords, negatedOption, type OptionSpec, type OptionValue } from './options.js';
import { parseStrip, type PathLayout, pathLayout } from './pathLayout.js';
import { parseServiceUrl, UrlError } from './urls.js';
import { applySetValue, parseCount, parseDuration, parseFlag, parseOctal, parseOptionSize, ValueError } from './values.js';
import { processBuiltins, substitute, type VariableScope } from './variables.js';
import { isSr3Word, sr3WithoutEffect } from './sr3Options.js';
import { closestWord } from './suggest.js';
import { readTextFile, TextFileError } from './textFile.js';

export interface Location {
  /** as shown to the user: relative to the config directory when inside it */
  readonly file: string;
  readonly line: number;
}

export interface Setting {
  readonly value: OptionValue;
  /** undefined for a built-in default */
  readonly where?: Location;
}

export interface Mask {
  readonly action: 'accept' | 'reject';
  readonly pattern: string;
  /** anchored at the start, as sr3's Python re.match */
  readonly regex: RegExp;
  /** the directory in force on the line above the rule */
  readonly directory: string | undefined;
  /** mirror, strip and flatten in force on the line above the rule */
  readonly layout: PathLayout;
  readonly where: Location;
}

export interface Binding {
  /** undefined: the default exchange for the broker user, resolved by the broker */
  readonly exchange: string | undefined;
  readonly topicPrefix: string;
  readonly subtopic: string;
  readonly queueName: string | undefined;
  readonly where: Location;
}

/** Where lines come from: a file in the config tree, or the command line. */
export interface LayerSource {
  readonly displayName: string;
  /** lines of default.conf that name an option of another component are skipped, not refused */
  readonly shared: boolean;
}

const MAX_INCLUDE_DEPTH = 10;

export class ConfigBuilder {
  readonly values = new Map<string, Setting>();
  readonly masks: Mask[] = [];
  readonly subtopics: Binding[] = [];
  readonly fileRules: FileRule[] = [];
  readonly env: Record<string, string> = {};
  readonly headers: Record<string, string> = {};
  readonly errors: ConfigError[] = [];
  /** sr3 options that mean nothing here: said, never refused */
  readonly warnings: ConfigError[] = [];
  private readonly builtins: Record<string, string | undefined>;
  /** the files being read through include lines, outermost first (real paths) */
  private readonly including: string[] = [];

  constructor(
    readonly component: Component,
    readonly name: string,
    private readonly configDir: string,
    private readonly environment: NodeJS.ProcessEnv,
  ) {
    this.builtins = { ...processBuiltins(), PROGRAM: component, CONFIG: name };
  }

  /** Reads a file of the config tree; a missing optional file (default.conf) is no error. */
  readFile(file: string, source: LayerSource, optional = false, depth = 0): void {
    let text: string;
    try {
      text = readTextFile(file);
    } catch (error) {
      if (!(error instanceof TextFileError)) throw error;
      if (optional && error.code === 'ENOENT') return;
      this.errors.push(new ConfigError(source.displayName, 0, `cannot read: ${error.message}`));
      return;
    }
    // The file at the top of an include chain counts as being read, so that including itself is caught at once.
    const top = depth === 0;
    if (top) this.including.push(fs.realpathSync(file));
    try {
      text.split(/\r?\n/).forEach((line, index) => {
        const where = { file: source.displayName, line: index + 1 };
        this.readLine(line, where, source, path.dirname(file), depth);
      });
    } finally {
      if (top) this.including.pop();
    }
  }

  private warn(where: Location, message: string): void {
    this.warnings.push(new ConfigError(where.file, where.line, message));
  }

  /** An option given on the command line (`--logLevel debug`): the last layer. */
  readCommandLine(keyword: string, value: string): void {
    this.readDirective(keyword, value, { file: 'command line', line: 0 }, { displayName: 'command line', shared: false }, '.', 0);
  }

  private readLine(raw: string, where: Location, source: LayerSource, baseDir: string, depth: number): void {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const match = /^(\S+)\s*(.*)$/.exec(line);
    if (!match) return;
    this.readDirective(match[1] ?? '', (match[2] ?? '').replace(/\s+/g, ' '), where, source, baseDir, depth);
  }

  private readDirective(keyword: string, rest: string, where: Location, source: LayerSource, baseDir: string, depth: number): void {
    try {
      switch (keyword) {
        case 'include':
        case 'config':
          this.include(this.expand(rest), source, baseDir, depth);
          return;
        case 'declare':
          this.declare(this.expand(rest));
          return;
        case 'header':
          this.header(this.expand(rest));
          return;
      }
      const negatedName = negatedOption(keyword);
      if (negatedName) {
        // sr3's v2 words for download off: `no_download` (on) is `download off`.
        const negated = findOption(negatedName, this.component);
        if (negated && appliesTo(negated, this.component)) this.setOption(negated, keyword, parseFlag(this.expand(rest) || undefined) ? 'off' : 'on', where);
        return;
      }
      const spec = findOption(keyword, this.component);
      const sr3Only = sr3WithoutEffect(keyword);
      if (!spec && sr3Only !== undefined) {
        this.warn(where, `"${keyword}" is an sr3 option with no effect in mailpump: ${sr3Only}`);
        return;
      }
      if (!spec) throw new ValueError(unknownOption(keyword));
      if (!appliesTo(spec, this.component)) {
        if (source.shared) return;
        const belongs = `it belongs to ${spec.components?.join(', ')}`;
        if (!isSr3Word(keyword)) throw new ValueError(`"${keyword}" is not an option of ${this.component} (${belongs})`);
        this.warn(where, `"${keyword}" has no effect in a ${this.component} of mailpump (${belongs})`);
        return;
      }
      this.setOption(spec, keyword, this.expand(rest), where);
    } catch (error) {
      if (!(error instanceof ValueError || error instanceof UrlError)) throw error;
      this.errors.push(where.line === 0
        ? new ConfigError(where.file, 0, `--${keyword}: ${error.message}`)
        : new ConfigError(where.file, where.line, error.message));
    }
  }

  private expand(text: string): string {
    return substitute(text, this.scope());
  }

  private scope(): VariableScope {
    return {
      builtins: {
        ...this.builtins,
        BROKER_USER: this.userOf('broker'),
        POST_BROKER_USER: this.userOf('post_broker'),
      },
      option: (lowerName) => {
        for (const [name, setting] of this.values) {
          if (name.toLowerCase() === lowerName && setting.value !== undefined) return String(setting.value);
        }
        return undefined;
      },
      env: { ...this.environment, ...this.env },
    };
  }

  private userOf(option: string): string | undefined {
    const value = this.values.get(option)?.value;
    if (typeof value !== 'string') return undefined;
    try {
      return parseServiceUrl(value).user || undefined;
    } catch {
      return undefined;
    }
  }

  private include(file: string, source: LayerSource, baseDir: string, depth: number): void {
    if (file === '') throw new ValueError('include needs a file name');
    if (depth >= MAX_INCLUDE_DEPTH) throw new ValueError(`include "${file}" is nested more than ${MAX_INCLUDE_DEPTH} deep`);
    const candidates = path.isAbsolute(file) ? [file] : [path.join(baseDir, file), path.join(this.configDir, file)];
    const found = candidates.find((candidate) => fs.existsSync(candidate));
    if (!found) throw new ValueError(`include "${file}": no such file (looked in ${candidates.join(', ')})`);
    // A file that includes itself, directly or not, is refused at once: read again and
    // again it would make sr hang (three includes of itself, ten deep, are 59,049 reads).
    const real = fs.realpathSync(found);
    if (this.including.includes(real)) {
      throw new ValueError(`include "${file}" includes a file that is already being read: ${[...this.including, real].map((f) => this.shown(f)).join(' -> ')}`);
    }
    this.including.push(real);
    try {
      this.readFile(found, { ...source, displayName: this.shown(found) }, false, depth + 1);
    } finally {
      this.including.pop();
    }
  }

  /** A file as errors name it: relative to the config directory when inside it. */
  private shown(file: string): string {
    return path.relative(this.configDir, file).startsWith('..') ? file : path.relative(this.configDir, file);
  }

  /** `declare env NAME=value` (also `envvar`, `var`, `value` as in sr3). */
  private declare(rest: string): void {
    const match = /^(env|envvar|var|value)\s+([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(rest);
    if (!match) throw new ValueError(`declare needs "env NAME=value", got "${rest}"`);
    this.env[match[2] ?? ''] = match[3] ?? '';
  }

  private header(rest: string): void {
    // A name a notification field can have (and never __proto__, which would not be one).
    const match = /^([A-Za-z][A-Za-z0-9_.-]*)=(.*)$/.exec(rest);
    if (!match) throw new ValueError(`header needs "name=value", the name of letters, digits, _ . -, got "${rest}"`);
    this.headers[match[1] ?? ''] = match[2] ?? '';
  }

  private setOption(spec: OptionSpec, keyword: string, text: string, where: Location): void {
    const current = this.values.get(spec.name)?.value;
    const set = (value: OptionValue): void => {
      this.values.set(spec.name, { value, where });
    };
    const scalar = SCALAR_PARSERS[spec.kind];
    if (scalar) {
      const value = aboutOption(keyword, () => scalar(text));
      if (spec.min !== undefined && typeof value === 'number' && value < spec.min) throw new ValueError(`"${keyword}" must be at least ${spec.min}, got "${text}"`);
      return set(value);
    }
    switch (spec.kind) {
      case 'str': {
        // strip is text, a count or a regex: a bad regex is said on its own line, not when a mask uses it.
        if (spec.name === 'strip') aboutOption(keyword, () => parseStrip(text));
        return set(text === 'None' ? undefined : text);
      }
      case 'enum': {
        if (!spec.choices?.includes(text)) throw new ValueError(`"${keyword}" needs one of ${spec.choices?.join(', ')}, got "${text}"`);
        return set(text);
      }
      case 'set': return set(aboutOption(keyword, () => applySetValue((current as string[] | undefined) ?? [], text, spec.choices)));
      case 'list': return set([...((current as string[] | undefined) ?? []), text]);
      case 'url': return set(text === 'None' ? undefined : this.checkUrl(spec, keyword, text));
      case 'urlList': return set([...((current as string[] | undefined) ?? []), this.checkUrl(spec, keyword, text)]);
      case 'mask': return this.addMask(spec.name as Mask['action'], text, where);
      case 'subtopic': return this.addSubtopic(text, where);
      case 'fileRule': return this.addFileRule(spec.name as keyof typeof FILE_RULE_OPTIONS, text, where);
    }
  }

  private checkUrl(spec: OptionSpec, keyword: string, text: string): string {
    if (text === '') throw new ValueError(`"${keyword}" needs a URL`);
    // `local:` alone is the embedded broker; URL() accepts it as is.
    const parsed = aboutOption(keyword, () => parseServiceUrl(text));
    if (spec.schemes && !spec.schemes.includes(parsed.scheme)) {
      throw new ValueError(`"${keyword}" needs a ${spec.schemes.join(', ')} URL, got scheme "${parsed.scheme}"`);
    }
    // local: is the embedded broker, file: a directory of this host.
    if (parsed.scheme !== 'local' && parsed.scheme !== 'file' && parsed.host === '') throw new ValueError(`"${keyword}" URL has no host`);
    if (parsed.scheme === 'file' && parsed.host !== '') throw new ValueError(`"${keyword}" ${text}: a file: URL names a directory of this host, file:/srv/depot/, not one on ${parsed.host}`);
    return text;
  }

  private addMask(action: Mask['action'], text: string, where: Location): void {
    const words = text.split(' ');
    if (text === '') throw new ValueError(`${action} needs a regular expression`);
    if (words.length > 1) throw new ValueError(`${action} takes one regular expression; write spaces in it as \\s`);
    let regex: RegExp;
    try {
      regex = new RegExp(`^(?:${text})`);
    } catch (error) {
      throw new ValueError(`${action}: invalid regular expression "${text}": ${(error as Error).message.replace(/^Invalid regular expression: /, '')}`);
    }
    const directory = this.values.get('directory')?.value as string | undefined;
    const layout = pathLayout((name) => this.values.get(name)?.value);
    this.masks.push({ action, pattern: text, regex, directory, layout, where });
  }

  private addFileRule(option: keyof typeof FILE_RULE_OPTIONS, text: string, where: Location): void {
    try {
      this.fileRules.push({ ...fileRule(FILE_RULE_OPTIONS[option], text), where });
    } catch (error) {
      if (error instanceof FileRuleError) throw new ValueError(`${option} ${error.message}`);
      throw error;
    }
  }

  private addSubtopic(text: string, where: Location): void {
    if (text === '' || text === 'None') throw new ValueError('subtopic needs a topic such as "#" or "a.*.b"');
    const value = (name: string) => this.values.get(name)?.value as string | undefined;
    this.subtopics.push({
      exchange: value('exchange'),
      topicPrefix: value('topicPrefix') ?? 'v03',
      subtopic: text.replaceAll('/', '.'),
      queueName: value('queueName'),
      where,
    });
  }
}

const SCALAR_PARSERS: Partial<Record<OptionSpec['kind'], (text: string) => OptionValue>> = {
  flag: parseFlag, duration: parseDuration, count: parseCount, size: parseOptionSize, octal: parseOctal,
};

/** Value and URL parsers say what is wrong ("needs a duration...", "is not a URL"); the message gets the option's name. */
function aboutOption<T>(keyword: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof ValueError || error instanceof UrlError) throw new ValueError(`"${keyword}" ${error.message}`);
    throw error;
  }
}

function unknownOption(keyword: string): string {
  const suggestion = closestWord(keyword, knownWords());
  return `unknown option "${keyword}"${suggestion ? ` (did you mean "${suggestion}"?)` : ''}`;
}
