// Entry point of an instance process: `node main.js <component>/<config> <instance> [--option value...]`.
// Started detached by the supervisor (instance >= 1, logging to its file) or attached by
// `sr foreground` (instance 0, logging to stderr). Nothing secret is ever in its arguments.
import { parseOptionWords } from '../config/commandLine.js';
import { type ConfigId, isComponent } from '../config/components.js';
import { CredentialsStore } from '../config/credentials.js';
import { ConfigErrors, UsageError, UserError } from '../config/errors.js';
import { type Config, loadConfig } from '../config/load.js';
import { credentialsFile, instanceStem, resolvePaths, type SrPaths } from '../config/paths.js';
import { closeLogger, createConsoleLogger, createInstanceLogger, type Logger, type LogLevel } from '../log/logger.js';
import { InstanceContext, runInstance, type Worker } from './runtime.js';
import { PollWorker } from '../components/poll/pollWorker.js';
import { ForwardWorker } from '../components/subscribe/forwardWorker.js';
import { SubscribeWorker } from '../components/subscribe/subscribeWorker.js';
import { checkCredentials, validateConfig } from '../components/validate.js';

function parseArguments(words: readonly string[]): { id: ConfigId; instance: number; options: ReturnType<typeof parseOptionWords> } {
  const [label = '', instanceText = '', ...rest] = words;
  const [component = '', name = ''] = label.split('/');
  const instance = Number(instanceText);
  if (!isComponent(component) || name === '' || !Number.isInteger(instance) || instance < 0) {
    throw new UsageError(`usage: main.js <component>/<config> <instance> [--option value...], got "${words.join(' ')}"`);
  }
  return { id: { component, name }, instance, options: parseOptionWords(rest) };
}

async function main(): Promise<number> {
  const paths = resolvePaths();
  const { id, instance, options } = parseArguments(process.argv.slice(2));
  const config = loadConfig(paths, id, options);
  const credentials = CredentialsStore.load(credentialsFile(paths));
  validateConfig(config);
  checkCredentials(config, credentials);
  const level = config.str('logLevel') as LogLevel;
  const logger = instance === 0
    ? createConsoleLogger(level, credentials.secrets())
    : createInstanceLogger({
      logDir: paths.logDir,
      stem: instanceStem(id, instance),
      level,
      rotateCount: config.number('logRotateCount'),
      rotateInterval: config.number('logRotateInterval'),
      secrets: credentials.secrets(),
    });
  for (const warning of credentials.warnings) logger.warning(warning);
  for (const note of credentials.notes) logger.debug(note);
  for (const warning of config.warnings) logger.warning(warning);
  installCrashHandlers(logger);
  try {
    await runInstance(paths, new InstanceContext(config, instance, logger), workerFor(config, paths, credentials));
  } catch (error) {
    logFailure(logger, `${config.label} instance ${instance} failed`, error);
    await closeLogger(logger);
    return 1;
  }
  await closeLogger(logger);
  return 0;
}

function workerFor(config: Config, paths: SrPaths, credentials: CredentialsStore): Worker {
  if (config.id.component === 'poll') return new PollWorker(paths, credentials);
  return config.flag('download') ? new SubscribeWorker(paths, credentials) : new ForwardWorker(paths, credentials);
}

/** One error line; the stack goes with it, shown at logLevel debug. */
function logFailure(logger: Logger, what: string, error: unknown): void {
  logger.error(`${what}: ${error instanceof Error ? error.message : String(error)}`, error instanceof Error ? { stack: error.stack } : {});
}

/** An unexpected error is logged, then the process ends non-zero: its pid file stays, sr sanity restarts it. */
function installCrashHandlers(logger: Logger): void {
  const crash = (error: unknown) => {
    logFailure(logger, 'instance crashed', error);
    void closeLogger(logger).finally(() => process.exit(1));
  };
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);
}

try {
  // exit() rather than exitCode: a broker client's reconnect timer must not keep a finished instance alive.
  process.exit(await main());
} catch (error) {
  // Before the logger exists, stderr is the instance log (the supervisor points it there).
  if (error instanceof ConfigErrors || error instanceof UserError || error instanceof UsageError) {
    process.stderr.write(`${new Date().toISOString()} [ERROR] ${error.message}\n`);
    process.exitCode = 1;
  } else {
    throw error;
  }
}
