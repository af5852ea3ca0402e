// `${NAME}` substitution at parse time (sr3.md 3.2): built-ins first, then options
// already set above the line, then the environment; an unknown name stays literal.
// Names that are filled in per message (dates, message fields) are left for later.
import crypto from 'node:crypto';
import os from 'node:os';

/** Per-message fields: evaluated when a message is processed, never at parse time. */
export const MESSAGE_FIELDS = new Set([
  'FOLDER', 'FROM', 'SUBJECT', 'UID', 'UIDL', 'MSGID', 'ACCOUNT', 'KIND', 'SOURCE', 'BD', 'PBD', 'BUP', 'BUPL',
  'baseUrlPath', 'baseUrlPathLast',
]);
/** sr3 v2 date forms such as `${YYYYMMDD}` or `${YYYYMMDD-1D}`. */
const DATE_FIELD = /^(YYYYMMDD|YYYY|MM|DD|HH|JJJ)(-\d+[DH])?$/;

export function isPerMessageVariable(name: string): boolean {
  return name.startsWith('%') || /^\d+$/.test(name) || DATE_FIELD.test(name) || MESSAGE_FIELDS.has(name);
}

export interface VariableScope {
  /** values that win over everything: PROGRAM, CONFIG, BROKER_USER... */
  readonly builtins: Readonly<Record<string, string | undefined>>;
  /** an option already set above this line, by its lower-cased name */
  readonly option: (lowerName: string) => string | undefined;
  readonly env: NodeJS.ProcessEnv;
}

/** Built-ins whose value is the same for the whole process. */
export function processBuiltins(): Record<string, string> {
  return {
    HOSTNAME: os.hostname(),
    RANDID: crypto.randomBytes(2).toString('hex'),
    USER: os.userInfo().username,
  };
}

const VARIABLE = /\$\{([^}]+)\}/g;

export function substitute(text: string, scope: VariableScope): string {
  return text.replace(VARIABLE, (whole, name: string) => {
    if (isPerMessageVariable(name)) return whole;
    if (name === 'RAND8') return String(crypto.randomInt(0, 1e8)).padStart(8, '0');
    const builtin = scope.builtins[name];
    if (builtin !== undefined) return builtin;
    const option = scope.option(name.toLowerCase());
    if (option !== undefined) return option;
    return scope.env[name] ?? whole;
  });
}
