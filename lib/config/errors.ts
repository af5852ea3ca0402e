// Errors that are the user's to fix: printed as one line, never with a stack trace.

/** A problem in a configuration file, reported as `file:line: message` (line 0 = the whole file). */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly problem: string,
  ) {
    super(line > 0 ? `${file}:${line}: ${problem}` : `${file}: ${problem}`);
  }
}

/** Several configuration problems found in one read, so the user can fix them all at once. */
export class ConfigErrors extends Error {
  constructor(readonly errors: readonly ConfigError[]) {
    super(errors.map((error) => error.message).join('\n'));
  }
}

/** A command used the wrong way: exit code 2. */
export class UsageError extends Error {}

/** A user-facing failure that is not a config problem (a refused credentials file, a busy config...). */
export class UserError extends Error {}
