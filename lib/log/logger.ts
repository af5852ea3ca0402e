// Instance logging with winston: one file per instance, rotated by winston-daily-rotate-file,
// `<stem>.log` a symlink to the current file so `sr log` and `tail -F` follow rotation.
// Every line goes through a redaction step: no password reaches a log, whatever logged it.
import { once } from 'node:events';
import path from 'node:path';
import winston from 'winston';
import DailyRotateFile from 'winston-daily-rotate-file';
import { maskPassword } from '../config/urls.js';

export type Logger = winston.Logger;

/** sr3's level names mapped to winston's npm levels (sr3 has "warning" and "critical"). */
const LEVELS = { critical: 0, error: 1, warning: 2, info: 3, debug: 4 } as const;
export type LogLevel = keyof typeof LEVELS;

export interface InstanceLogOptions {
  readonly logDir: string;
  /** `poll_mail_01` */
  readonly stem: string;
  readonly level: LogLevel;
  /** rotated files kept besides the current one */
  readonly rotateCount: number;
  /** seconds; one day or more rotates daily */
  readonly rotateInterval: number;
  /** passwords from credentials.conf, blanked wherever they appear */
  readonly secrets: readonly string[];
}

/** Blanks URL passwords and any known secret in a log message. */
export function redact(text: string, secrets: readonly string[]): string {
  let clean = maskPassword(text);
  for (const secret of secrets) {
    // Very short secrets would blank ordinary words; URL masking still covers them in URLs.
    if (secret.length >= 4) clean = clean.split(secret).join('***');
  }
  return clean;
}

function lineFormat(secrets: readonly string[]) {
  return winston.format.combine(
    winston.format.timestamp({ format: 'YYYY-MM-DD HH:mm:ss,SSS' }),
    winston.format.printf(({ timestamp, level, message, stack }) => {
      const body = typeof stack === 'string' && level === 'debug' ? `${String(message)}\n${stack}` : String(message);
      return redact(`${String(timestamp)} [${level.toUpperCase()}] ${body}`, secrets);
    }),
  );
}

/**
 * The rotating file transport of one instance. The launcher opens it once before starting
 * the process, so that the symlink exists and the child's raw stdout/stderr can be sent to
 * the same current file.
 */
export function instanceLogTransport(options: Omit<InstanceLogOptions, 'level' | 'secrets'>): DailyRotateFile {
  const daily = options.rotateInterval >= 86400;
  const minutes = Math.max(1, Math.round(options.rotateInterval / 60));
  return new DailyRotateFile({
    dirname: options.logDir,
    filename: `${options.stem}.%DATE%.log`,
    datePattern: daily ? 'YYYY-MM-DD' : 'YYYY-MM-DD_HH-mm',
    // file-stream-rotator rotates on minute or hour periods; below a day we give it minutes.
    ...(daily ? {} : { frequency: `${minutes}m` }),
    maxFiles: options.rotateCount + 1,
    createSymlink: true,
    symlinkName: `${options.stem}.log`,
    auditFile: path.join(options.logDir, `.${options.stem}.audit.json`),
    options: { flags: 'a', mode: 0o600 },
  });
}

export function createInstanceLogger(options: InstanceLogOptions): Logger {
  return winston.createLogger({
    levels: LEVELS,
    level: options.level,
    format: lineFormat(options.secrets),
    transports: [instanceLogTransport(options)],
  });
}

/** A foreground instance logs to stderr, as sr3's `foreground` does. */
export function createConsoleLogger(level: LogLevel, secrets: readonly string[]): Logger {
  return winston.createLogger({
    levels: LEVELS,
    level,
    format: lineFormat(secrets),
    transports: [new winston.transports.Console({ stderrLevels: Object.keys(LEVELS) })],
  });
}

/**
 * Waits until every line given to the logger is in its file. The logger's own `finish` only
 * says the lines reached the transports; a rotating file transport has written them when
 * the `finish` that follows its close() arrives (it comes from the file stream's end).
 */
export async function closeLogger(logger: Logger): Promise<void> {
  const files = logger.transports.filter((transport): transport is DailyRotateFile => transport instanceof DailyRotateFile);
  await new Promise<void>((resolve) => {
    logger.once('finish', () => resolve());
    logger.end();
  });
  await Promise.all(files.map(async (transport) => {
    if (!transport.writableFinished) await once(transport, 'finish');
    const written = once(transport, 'finish');
    transport.close?.();
    await written;
  }));
}

/**
 * The logger's debug, or undefined when it logs no debug lines: called as `debug?.(`...`)`,
 * a line on the hot path (one per message or file) is not even built then. The level is an
 * instance's for its whole life.
 */
export function debugLines(logger: Logger): ((line: string) => void) | undefined {
  return logger.isDebugEnabled() ? (line) => logger.debug(line) : undefined;
}
