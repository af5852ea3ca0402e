// acceptFile / rejectFile: which decoded files a subscribe keeps, by name. Each rule is a
// regex written plain (`.*\.pdf`) or between slashes with flags (`/.*\.pdf/i`), matched
// against the whole file name (anchored at both ends, unlike sr3's accept, which is only
// anchored at the start), tried in order; the first that matches decides, and names no rule
// matches are kept or not by acceptUnmatchedFile. docs/filters.md has worked examples.

export interface FileRule {
  readonly action: 'accept' | 'reject';
  /** as written in the config */
  readonly pattern: string;
  readonly regex: RegExp;
  /** the config line it came from, for sr show */
  readonly where?: { readonly file: string; readonly line: number };
}

/** The option words, as sr3 spells its own accept/reject. */
export const FILE_RULE_OPTIONS = { acceptFile: 'accept', rejectFile: 'reject' } as const;

export class FileRuleError extends Error {}

const ALLOWED_FLAGS = /^[imsu]*$/;

/** `/body/flags` or a plain regex, compiled to match a whole name. */
export function fileRegex(text: string): RegExp {
  const slashed = /^\/(.*)\/([a-z]*)$/s.exec(text);
  const body = slashed ? slashed[1]! : text;
  const flags = slashed ? slashed[2]! : '';
  if (!ALLOWED_FLAGS.test(flags)) throw new FileRuleError(`"${text}": flags may be i, m, s and u, got "${flags}"`);
  if (body === '') throw new FileRuleError('an empty regular expression matches nothing useful');
  try {
    return new RegExp(`^(?:${body})$`, flags);
  } catch (error) {
    throw new FileRuleError(`"${text}" is not a regular expression: ${(error as Error).message.replace(/^Invalid regular expression: /, '')}`);
  }
}

export function fileRule(action: FileRule['action'], pattern: string): FileRule {
  return { action, pattern, regex: fileRegex(pattern) };
}

/** The rule that decided, or undefined when none matched (then acceptUnmatchedFile decides). */
export function matchingFileRule(rules: readonly FileRule[], name: string): FileRule | undefined {
  return rules.find((rule) => rule.regex.test(name));
}

export function fileAccepted(rules: readonly FileRule[], acceptUnmatched: boolean, name: string): boolean {
  const rule = matchingFileRule(rules, name);
  return rule ? rule.action === 'accept' : acceptUnmatched;
}
