// The `sr` command: sr3's actions over mailpump's configs. Exit codes: 0 success,
// 1 failure (a config error, a failed stop...), 2 usage error.
import yargs, { type Argv } from 'yargs';
import { type CommandLineOption, parseOptionWords } from '../config/commandLine.js';
import { COMPONENTS } from '../config/components.js';
import { ConfigErrors, UsageError, UserError } from '../config/errors.js';
import { findOption, knownWords } from '../config/options.js';
import { closestWord } from '../config/suggest.js';
import { resolvePaths } from '../config/paths.js';
import { parseFlag } from '../config/values.js';
import { addAction } from './actions/add.js';
import { cleanupAction, declareAction } from './actions/brokerActions.js';
import { editAction } from './actions/edit.js';
import { disableAction, enableAction } from './actions/enable.js';
import { foregroundAction } from './actions/foreground.js';
import { restartAction, startAction, stopAction } from './actions/lifecycle.js';
import { listAction } from './actions/list.js';
import { logAction } from './actions/log.js';
import { oauthLoginAction, oauthLogoutAction, oauthStatusAction, oauthTestAction } from './actions/oauth.js';
import { quarantineDropAction, quarantineListAction, quarantineRetryAction } from './actions/quarantine.js';
import { reingestAction } from './actions/reingest.js';
import { deadLetterDropAction, deadLetterListAction, deadLetterRetryAction } from './actions/deadLetters.js';
import { removeAction } from './actions/remove.js';
import { sanityAction } from './actions/sanity.js';
import { showAction } from './actions/show.js';
import { statusAction } from './actions/status.js';
import { COMPLETION_FLAG, completer } from './completion.js';
import type { CliContext } from './context.js';

const SELECTORS = { describe: 'configs as component/config, globs allowed (quote them); a bare name matches any component', type: 'string', array: true } as const;

/**
 * Config options on the command line (`--logLevel debug`) are taken out before yargs sees
 * the rest: they are not sr's own options but config lines, applied after the files and
 * forwarded to the instances that sr starts.
 */
/** The options of the actions themselves, which yargs reads (see commands below). */
const ACTION_OPTIONS = new Set(['help', 'version', 'json', 'full', 'dangerWillRobinson', 'number', 'lines', 'follow', 'dry_run', 'flow']);

export function splitConfigOptions(argv: readonly string[]): { options: CommandLineOption[]; rest: string[] } {
  const taken: string[] = [];
  const rest: string[] = [];
  for (let index = 0; index < argv.length; index += 1) {
    const word = argv[index] ?? '';
    const name = word.startsWith('--') ? word.slice(2).split('=')[0] ?? '' : '';
    const spec = name && COMPONENTS.map((component) => findOption(name, component)).find(Boolean);
    if (!spec) {
      // Else yargs would take `--foo start` as foo=start and say no action was given.
      if (name && !ACTION_OPTIONS.has(name.replace(/^no-/, ''))) {
        const suggestion = closestWord(name, [...knownWords(), ...ACTION_OPTIONS]);
        throw new UsageError(`unknown option --${name}${suggestion ? ` (did you mean --${suggestion}?)` : ''}`);
      }
      rest.push(word);
      continue;
    }
    taken.push(word);
    const next = argv[index + 1];
    const takesNext = !word.includes('=') && next !== undefined && !next.startsWith('--') && (spec.kind !== 'flag' || isFlagWord(next));
    if (takesNext) {
      taken.push(next);
      index += 1;
    }
  }
  return { options: parseOptionWords(taken), rest };
}

function isFlagWord(word: string): boolean {
  try {
    parseFlag(word);
    return true;
  } catch {
    return false;
  }
}

function commands(parser: Argv, context: CliContext, done: (code: number) => void): Argv {
  const run = (action: Promise<number>) => action.then(done);
  return parser
    .command('add <configs..>', 'copy an example (sr list examples) or a file into your configs; never overwrites',
      (y) => y.positional('configs', { describe: 'component/config[.conf] of an example, or a path', type: 'string', array: true, demandOption: true })
        .example('$0 add poll/mail.conf subscribe/mail.conf', 'a poll and its subscribe from the examples, to edit before sr start')
        .example('$0 add ~/drafts/subscribe/invoices.conf', 'a file of your own: the directory it is in (poll/ or subscribe/) says its component'),
      (a) => run(addAction(context, a.configs as string[])))
    .command('remove <configs..>', 'delete configs and their run state (refused while running)',
      (y) => y.positional('configs', SELECTORS).option('dangerWillRobinson', { type: 'number', describe: 'confirm removing several configs: their number' })
        .example('$0 remove poll/old', 'a stopped config, its cursor and state with it'),
      (a) => run(removeAction(context, a.configs as string[], a.dangerWillRobinson)))
    .command('edit <config>', 'open a config in $EDITOR, then check it',
      (y) => y.positional('config', { type: 'string', demandOption: true }).example('$0 edit subscribe/mail', 'in $EDITOR (vi when unset); an error in it is shown with its line when you leave'),
      (a) => run(editAction(context, a.config)))
    .command('enable <configs..>', 'allow disabled configs to start again', (y) => y.positional('configs', SELECTORS).example('$0 enable poll/mail', 'sr start starts it again'),
      (a) => run(enableAction(context, a.configs as string[])))
    .command('disable <configs..>', 'keep configs from starting (refused while running)', (y) => y.positional('configs', SELECTORS).example('$0 stop poll/mail && $0 disable poll/mail', 'kept, but not started by sr start or sr sanity'),
      (a) => run(disableAction(context, a.configs as string[])))
    .command('list [what]', 'list your configs, or the examples (sr list examples)',
      (y) => y.positional('what', { type: 'string', describe: 'examples' }).example('$0 list examples', 'the example configs sr add copies'),
      (a) => run(listAction(context, a.what)))
    .command('show [configs..]', 'print the effective config, passwords masked, each value with where it was set',
      (y) => y.positional('configs', SELECTORS).example('$0 show subscribe/mail', 'each option\'s value and the file and line that set it'), (a) => run(showAction(context, (a.configs as string[] | undefined) ?? [])))
    .command('start [configs..]', 'start the instances of configs (all when none named)',
      (y) => y.positional('configs', SELECTORS).example('$0 start', 'every config that is not disabled').example('$0 --logLevel debug start subscribe/mail', 'one, logging every step of each message'), (a) => run(startAction(context, (a.configs as string[] | undefined) ?? [])))
    .command('stop [configs..]', 'stop instances: SIGTERM, then SIGKILL after stop_timeout',
      (y) => y.positional('configs', SELECTORS).example('$0 stop \'poll/*\'', 'every poll: the work in hand is finished first'), (a) => run(stopAction(context, (a.configs as string[] | undefined) ?? [])))
    .command('restart [configs..]', 'stop then start; nothing is stopped if a config has an error',
      (y) => y.positional('configs', SELECTORS).example('$0 restart subscribe/mail', 'after editing it'), (a) => run(restartAction(context, (a.configs as string[] | undefined) ?? [])))
    .command('status [configs..]', 'state of each config: running, partial, stopped, disabled, hung, crashed',
      (y) => y.positional('configs', SELECTORS).option('json', { type: 'boolean', default: false, describe: 'machine-readable output (shape 1, docs/operations.md), totals and rate included' })
        .option('full', { type: 'boolean', default: false, describe: 'also each config\'s totals since its first start, its rate over the last minute, what remains and when it should be done (sr3\'s flag)' })
        .example('$0 status', 'one row per config; exit 1 when one needs attention').example('$0 status --full poll/mail', 'with the backfill\'s totals, rate and end').example('$0 status --json poll/mail', 'the same, for scripts'),
      (a) => run(statusAction(context, (a.configs as string[] | undefined) ?? [], a.json, a.full)))
    .command('foreground <config>', 'run one instance attached to the terminal, logging to stderr; --dry_run: list what a poll would announce now, changing nothing',
      (y) => y.positional('config', { type: 'string', demandOption: true })
        .option('dry_run', { type: 'boolean', default: false, describe: 'a poll: list what it would announce now (with counts per folder), publish and record nothing' })
        .example('$0 foreground --dry_run poll/mail', 'what the first pass of poll/mail would take, before sr start takes it'),
      (a) => run(foregroundAction(context, a.config, a.dry_run)))
    .command('sanity [configs..]', 'restart instances that died or hung; stopped and disabled configs are left alone',
      (y) => y.positional('configs', SELECTORS).example('$0 sanity', 'from cron every 5 minutes (*/5 * * * *) where there is no systemd timer'), (a) => run(sanityAction(context, (a.configs as string[] | undefined) ?? [])))
    .command('declare [configs..]', 'create on the broker the exchanges, queues and bindings configs use',
      (y) => y.positional('configs', SELECTORS).example('$0 declare subscribe/mail', 'its queue exists before its poll starts announcing'), (a) => run(declareAction(context, (a.configs as string[] | undefined) ?? [])))
    .command('cleanup <configs..>', 'delete the broker queue and run state of stopped configs',
      (y) => y.positional('configs', SELECTORS).option('dangerWillRobinson', { type: 'number', describe: 'confirm cleaning several configs: their number' })
        .example('$0 cleanup subscribe/mail', 'its queue and state gone: the next start begins afresh'),
      (a) => run(cleanupAction(context, a.configs as string[], a.dangerWillRobinson)))
    .command('quarantine', 'the messages subscribes set aside: list, retry (send through again once the cause is fixed), drop',
      (y) => y
        .command('list [configs..]', 'list the quarantined messages: id, when, why, Message-ID', (z) => z.positional('configs', SELECTORS).example('$0 quarantine list', 'every subscribe\'s'),
          (a) => run(Promise.resolve(quarantineListAction(context, (a.configs as string[] | undefined) ?? []))))
        .command('retry <config> <ids..>', 'send quarantined messages through again (ids from sr quarantine list, or all)', (z) => z.positional('config', { type: 'string', demandOption: true })
          .positional('ids', { type: 'string', array: true, demandOption: true }).example('$0 quarantine retry subscribe/mail all', 'once the cause (a full disk, a wrong directory) is fixed'),
        (a) => run(quarantineRetryAction(context, a.config as string, a.ids as string[])))
        .command('drop <config> <ids..>', 'remove quarantined messages\' files (the mail stays on the server)', (z) => z.positional('config', { type: 'string', demandOption: true })
          .positional('ids', { type: 'string', array: true, demandOption: true }).example('$0 quarantine drop subscribe/mail all', 'the local copies only'),
        (a) => run(Promise.resolve(quarantineDropAction(context, a.config as string, a.ids as string[]))))
        .demandCommand(1, 'say list, retry or drop'),
      () => undefined)
    .command('oauth', 'OAuth2 sign-in of the mailboxes with oauth2= in credentials.conf: login, status, test, logout',
      (y) => {
        const account = { type: 'string', demandOption: true, describe: 'a mailbox URL as credentials.conf writes it, or a poll config' } as const;
        return y
          .command('login <account>', 'sign in once (device code, or --flow browser) and keep the grant; then sign in to the mail server with it', (z) => z.positional('account', account)
            .option('flow', { choices: ['device', 'browser'] as const, describe: 'how to sign in (default: the provider\'s; Google: browser)' })
            .example('$0 oauth login imaps://ingest%40contoso.com@outlook.office365.com/', 'prints a code to enter at microsoft.com/devicelogin')
            .example('$0 oauth login poll/mail --flow browser', 'every OAuth2 mailbox of the config, through a browser'),
          (a) => run(oauthLoginAction(context, a.account as string, a.flow as 'device' | 'browser' | undefined)))
          .command('status', 'each OAuth2 account and its grant; exit 1 when one needs a person', (z) => z.option('json', { type: 'boolean', default: false }),
            (a) => run(oauthStatusAction(context, a.json as boolean)))
          .command('test <account>', 'get a token and sign in to the mail server once', (z) => z.positional('account', account),
            (a) => run(oauthTestAction(context, a.account as string)))
          .command('logout <account>', 'revoke the grant where the provider offers it, and forget it', (z) => z.positional('account', account),
            (a) => run(oauthLogoutAction(context, a.account as string)))
          .demandCommand(1, 'say login, status, test or logout');
      },
      () => undefined)
    .command('deadletter', 'the notifications a subscribe could not take (not mail, unreadable), kept by its broker: list, retry, drop',
      (y) => y
        .command('list [configs..]', 'list the dead letters: id, when, why, the start of the body', (z) => z.positional('configs', SELECTORS).example('$0 deadletter list subscribe/mail', 'what it could not take, and why'),
          (a) => run(deadLetterListAction(context, (a.configs as string[] | undefined) ?? [])))
        .command('retry <config> <ids..>', 'send dead letters into the subscribe\'s queue again (ids from sr deadletter list, or all)', (z) => z.positional('config', { type: 'string', demandOption: true })
          .positional('ids', { type: 'string', array: true, demandOption: true }).example('$0 deadletter retry subscribe/mail all', 'once the poll that sent them is fixed'),
        (a) => run(deadLetterRetryAction(context, a.config as string, a.ids as string[])))
        .command('drop <config> <ids..>', 'remove dead letters for good', (z) => z.positional('config', { type: 'string', demandOption: true })
          .positional('ids', { type: 'string', array: true, demandOption: true }).example('$0 deadletter drop subscribe/mail 3f2a9c01de', 'one sr deadletter list showed'),
        (a) => run(deadLetterDropAction(context, a.config as string, a.ids as string[])))
        .demandCommand(1, 'say list, retry or drop'),
      () => undefined)
    .command('reingest <config> <message> [messageId]', 'send one message through a subscribe again on purpose: its files are written again, under new names where the old ones are taken',
      (y) => y.positional('config', { type: 'string', demandOption: true, describe: 'the subscribe that ingests it' })
        .positional('message', { type: 'string', demandOption: true, describe: 'the message\'s URL as the logs show it (imaps://user@host:993/INBOX/42.eml), or its mailbox\'s URL with a Message-ID after it' })
        .positional('messageId', { type: 'string', describe: 'a Message-ID, searched in every folder of the mailbox' })
        .example('$0 reingest subscribe/mail imaps://ingest@mail.example.com:993/INBOX/42.eml', 'the message with UID 42 of INBOX')
        .example('$0 reingest subscribe/mail imaps://ingest@mail.example.com/ "<invoice-2026-118@example.com>"', 'every copy of that mail, in any folder'),
      (a) => run(reingestAction(context, a.config as string, a.message as string, a.messageId as string | undefined)))
    .command('log <config>', 'show and follow the log of an instance',
      (y) => y.positional('config', { type: 'string', demandOption: true })
        // not --instance: that is sr3's alias of the instances option
        .option('number', { alias: 'i', type: 'number', default: 1, describe: 'instance number (0: the foreground one)' })
        .option('lines', { alias: 'n', type: 'number', default: 20, describe: 'lines to show first' })
        .option('follow', { type: 'boolean', default: true, describe: 'keep following (--no-follow to stop at the end)' })
        .example('$0 log subscribe/mail -i 2 -n 100', 'the last 100 lines of instance 2, then what comes'),
      (a) => run(logAction(context, a.config, { instance: a.number, lines: a.lines, follow: a.follow })));
}

export async function main(argv: readonly string[]): Promise<number> {
  let exitCode = 0;
  try {
    // Completion words go to yargs as they are: a half-typed --logLev is no error there.
    const completing = argv.includes(`--${COMPLETION_FLAG}`);
    const { options, rest } = completing ? { options: [], rest: [...argv] } : splitConfigOptions(argv);
    const context: CliContext = {
      paths: resolvePaths(),
      commandLine: options,
      out: (line) => process.stdout.write(`${line}\n`),
      err: (line) => process.stderr.write(`${line}\n`),
      ...(process.stderr.isTTY ? { terminal: process.stderr } : {}),
    };
    const parser = yargs(rest)
      .scriptName('sr')
      .usage('$0 [config options] <action> [component/config ...]\n\nConfig options such as --logLevel debug apply after the config files and are passed to started instances.')
      .demandCommand(1, 'say what to do, for example: sr status')
      .strict()
      .exitProcess(false)
      .fail((message, error) => {
        throw error ?? new UsageError(message);
      })
      .completion('completion', 'print the bash or zsh completion script (sr completion >> ~/.bashrc)', completer(context.paths))
      .help()
      .version();
    await commands(parser, context, (code) => { exitCode = code; }).parseAsync();
    return exitCode;
  } catch (error) {
    return report(error);
  }
}

function report(error: unknown): number {
  if (error instanceof UsageError) {
    process.stderr.write(`sr: ${error.message}\n(sr --help lists the actions; sr <action> --help explains one)\n`);
    return 2;
  }
  if (error instanceof ConfigErrors || error instanceof UserError) {
    process.stderr.write(`${error.message}\n`);
    return 1;
  }
  const detail = error instanceof Error ? error.stack ?? error.message : String(error);
  process.stderr.write(`sr: unexpected error, a fault in mailpump itself; please report it with these details:\n${detail}\n`);
  return 1;
}
