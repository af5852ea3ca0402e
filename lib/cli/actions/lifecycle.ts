// sr start / stop / restart. Every selected config is read before anything is done: one
// config with an error fails the command and nothing starts (or, for restart, stops).
import { actionPop3Cannot, ambiguousPairing } from '../../components/subscribe/pairing.js';
import { checkCredentials, validateConfig } from '../../components/validate.js';
import { optionWords } from '../../config/commandLine.js';
import { type ConfigId, configLabel } from '../../config/components.js';
import { ConfigErrors, UserError } from '../../config/errors.js';
import type { Config } from '../../config/load.js';
import { tableDefault } from '../../config/options.js';
import { awaitStarted, launchInstance, logTail, type StartCheck } from '../../supervisor/launch.js';
import { configStatus } from '../../supervisor/status.js';
import { stopConfig } from '../../supervisor/stop.js';
import { type CliContext, loadCredentials, loadSelection, loadSelectionStrict, nothingConfigured } from '../context.js';
import { logFile } from '../../config/paths.js';
import { declareBeforeStart } from './brokerActions.js';

/**
 * Everything that would make an instance fail at start, for all the configs at once: the
 * component checks, a refused credentials file, a server without a password.
 */
function checkStartable(context: CliContext, configs: readonly Config[]): void {
  const credentials = loadCredentials(context);
  const problems: string[] = [];
  for (const config of configs) {
    try {
      validateConfig(config);
      checkCredentials(config, credentials);
      if (config.id.component === 'subscribe') {
        for (const problem of [ambiguousPairing(context.paths, config), actionPop3Cannot(context.paths, config)]) if (problem) problems.push(problem);
      }
    } catch (error) {
      if (!(error instanceof ConfigErrors || error instanceof UserError)) throw error;
      problems.push(error.message);
    }
  }
  if (problems.length > 0) throw new UserError(problems.join('\n'));
}

export async function startAction(context: CliContext, selectors: readonly string[]): Promise<number> {
  // Subscribes first: a queue that cannot be declared now is declared by its subscribe's
  // instances, which must then be up before a poll announces (see below).
  const configs = [...loadSelectionStrict(context, selectors)].sort((a, b) => Number(a.id.component === 'poll') - Number(b.id.component === 'poll'));
  if (configs.length === 0) throw new UserError(`start: nothing to start: ${nothingConfigured(context)}`);
  checkStartable(context, configs);
  const statuses = new Map(configs.map((config) => [config, configStatus(context.paths, config)]));
  const declared = await declareBeforeStart(context, configs.filter((config) => statuses.get(config)!.state !== 'disabled'));
  const explicit = selectors.length > 0;
  let failed = false;
  const toStart: Array<{ config: Config; missing: number[] }> = [];
  for (const config of configs) {
    const status = statuses.get(config)!;
    if (status.state === 'disabled') {
      if (explicit) context.out(`start: ${config.label} is disabled (sr enable ${config.label} to allow it)`);
      continue;
    }
    if (status.state === 'foreground') {
      context.err(`start: ${config.label} runs in the foreground (pid ${status.instances.find((i) => i.instance === 0)?.pid}); stop it there first`);
      failed = true;
      continue;
    }
    const alive = new Set(status.instances.filter((i) => i.alive).map((i) => i.instance));
    const missing = Array.from({ length: config.instances }, (_, index) => index + 1).filter((n) => !alive.has(n));
    if (missing.length === 0) {
      context.out(`start: ${config.label} is already running (${status.running}/${status.expected})`);
      continue;
    }
    toStart.push({ config, missing });
  }
  // Every queue declared: what a poll announces before its subscribes are up waits in them,
  // so all start at once (one config after the other took a second each). Otherwise a
  // subscribe's instances declare their queue, and are up before any poll starts.
  const waves = declared ? [toStart] : toStart.map((one) => [one]);
  for (const wave of waves) if (!(await startTogether(context, wave))) failed = true;
  return failed ? 1 : 0;
}

/** Launches the instances of each config at once, waits for them all, and reports in order; false if any did not come up. */
async function startTogether(context: CliContext, wave: ReadonlyArray<{ config: Config; missing: readonly number[] }>): Promise<boolean> {
  const launched = wave.map(({ config, missing }) => ({
    config,
    instances: new Map(missing.map((n) => [n, launchInstance(context.paths, config, n, optionWords(context.commandLine))])),
  }));
  const checks = await Promise.all(launched.map(({ config, instances }) => awaitStarted(context.paths, config, instances)));
  return launched.map(({ config }, index) => reportStarted(context, config, checks[index]!)).every(Boolean);
}

/** Launches the given instance numbers and reports which came up; false if any did not. */
export function startInstances(context: CliContext, config: Config, instances: readonly number[]): Promise<boolean> {
  return startTogether(context, [{ config, missing: instances }]);
}

function reportStarted(context: CliContext, config: Config, checks: readonly StartCheck[]): boolean {
  const up = checks.filter((check) => check.ok);
  if (up.length > 0) context.out(`start: ${config.label} started ${up.length} instance(s) (pids ${up.map((c) => c.pid).join(', ')})`);
  for (const check of checks.filter((c) => !c.ok)) {
    context.err(`start: ${config.label} instance ${check.instance} exited at start; the end of ${logFile(context.paths, config.id, check.instance)}:`);
    for (const line of logTail(context.paths, config, check.instance)) context.err(`    ${line}`);
  }
  return up.length === checks.length;
}

export async function stopAction(context: CliContext, selectors: readonly string[]): Promise<number> {
  const { configs, broken } = loadSelection(context, selectors, true);
  // A config that no longer reads (edited while running) is stopped with the default timeout.
  const targets: Array<{ id: ConfigId; timeout: number }> = [
    ...configs.map((config) => ({ id: config.id, timeout: config.number('stop_timeout') })),
    ...broken.map((config) => ({ id: config.id, timeout: Number(tableDefault('stop_timeout', config.id.component)) })),
  ];
  let failed = false;
  for (const { id, timeout } of targets) {
    if (!(await stopOne(context, id, timeout))) failed = true;
  }
  return failed ? 1 : 0;
}

async function stopOne(context: CliContext, id: ConfigId, timeout: number): Promise<boolean> {
  const label = configLabel(id);
  const outcome = await stopConfig(context.paths, id, timeout, (instances) =>
    context.out(`stop: ${label} instance(s) ${instances.join(', ')} still running after ${timeout}s: sending SIGKILL`));
  if (outcome.stale.length > 0) context.out(`stop: ${label} instance(s) ${outcome.stale.join(', ')} had already died; removed their pid files`);
  if (outcome.foreground) context.out(`stop: ${label} has a foreground instance (pid ${outcome.foreground.pid}) left running: stop it in its terminal`);
  const ended = [...outcome.stopped, ...outcome.killed];
  if (ended.length > 0) context.out(`stop: ${label} stopped ${ended.length} instance(s)`);
  else if (outcome.stale.length === 0 && !outcome.foreground) context.out(`stop: ${label} is not running`);
  if (outcome.survivors.length > 0) {
    context.err(`stop: ${label} instance(s) ${outcome.survivors.join(', ')} survived SIGKILL`);
    return false;
  }
  return true;
}

export async function restartAction(context: CliContext, selectors: readonly string[]): Promise<number> {
  const configs = loadSelectionStrict(context, selectors);
  checkStartable(context, configs);
  let failed = false;
  for (const config of configs) {
    if (!(await stopOne(context, config.id, config.number('stop_timeout')))) failed = true;
  }
  if (failed) throw new UserError('restart: some instances did not stop; nothing was started');
  return startAction(context, configs.map((config) => config.label));
}
