// Checks of a config that need more than the option table: a poll's mailboxes, schedule
// and search, sr3 callback names. Run by sr start before anything starts, and by each
// instance, so a mistake is reported as file:line once, not as a crash loop.
import net from 'node:net';
import { checkGrantReady } from '../auth/tokenSource.js';
import { checkBrokerPasswords } from '../broker/open.js';
import type { CredentialsStore } from '../config/credentials.js';
import { ConfigError, ConfigErrors, UserError } from '../config/errors.js';
import type { Config } from '../config/load.js';
import { MAIL_SCHEMES } from '../config/options.js';
import { buildSchedule, ScheduleError, scheduleSettings } from '../flow/schedule.js';
import { depotLocation, isDepotUrl } from '../depot/location.js';
import { mailAccount } from '../mail/account.js';
import { parseSearchKeys, SearchSyntaxError } from '../mail/imap/search.js';
import { accountTls, tlsSettings } from '../mail/tls.js';
import { FirstPassError, firstPassOf } from './poll/firstPass.js';
import { BROKER_LEASE } from './poll/vip.js';
import { checkSubscribe } from './subscribe/settings.js';

/** Fails, before anything starts, when a server the config names has no password in credentials.conf. */
export function checkCredentials(config: Config, credentials: CredentialsStore): void {
  checkBrokerPasswords(config, credentials);
  if (config.id.component !== 'poll') return;
  const tls = tlsSettings(config);
  for (const url of config.list('pollUrl').filter((url) => !isDepotUrl(url))) {
    const account = mailAccount(url);
    const signIn = credentials.signInFor(account.url, account.label); // a missing password is said here
    if (signIn.kind === 'oauth2' && signIn.provider !== 'command') checkGrantReady(signIn.settings, credentials.file, account.label);
    accountTls(config, tls, credentials.lookup(url)); // a tlsCa detail naming no file
  }
}

/** sr3 callbacks that name what mailpump does built in. */
const CALLBACKS: Readonly<Record<string, string>> = { 'poll.mail': 'poll', 'download.mail_ingest': 'subscribe' };

export function validateConfig(config: Config): void {
  const errors: ConfigError[] = [];
  const at = (option: string, message: string) => {
    const where = config.settings.get(option)?.where;
    errors.push(new ConfigError(where?.file ?? config.label, where?.line ?? 0, message));
  };
  for (const callback of config.list('callback')) {
    if (CALLBACKS[callback] !== config.id.component) {
      at('callback', `callback "${callback}" is not built into mailpump's ${config.id.component} (it knows ${Object.keys(CALLBACKS).filter((c) => CALLBACKS[c] === config.id.component).join(', ')})`);
    }
  }
  if (config.str('tlsRigour') === 'strict' && config.settings.get('tlsVerify')?.value === false) {
    at('tlsVerify', '"tlsVerify off" contradicts "tlsRigour strict", which always verifies certificates: keep one');
  }
  if (config.id.component === 'poll') validatePoll(config, at, (file, line, message) => errors.push(new ConfigError(file, line, message)));
  if (config.id.component === 'subscribe') checkSubscribe(config, at);
  if (errors.length > 0) throw new ConfigErrors(errors);
}

function validatePoll(config: Config, at: (option: string, message: string) => void, errorAt: (file: string, line: number, message: string) => void): void {
  const urls = config.list('pollUrl');
  try {
    const policy = firstPassOf(config);
    const pop = urls.filter((url) => /^pops?:/i.test(url));
    if ((policy.kind === 'unseen' || policy.kind === 'since') && pop.length > 0) {
      at('firstPass', `"firstPass ${config.str('firstPass')}" needs IMAP: POP3 knows neither read flags nor arrival dates (${pop[0]}); use all or new`);
    }
    const directory = urls.find(isDepotUrl);
    if (policy.kind === 'unseen' && directory) at('firstPass', `"firstPass unseen" needs IMAP: a file is never read or unread (${directory}); use all, new or since YYYY-MM-DD (by modification time)`);
  } catch (error) {
    if (!(error instanceof FirstPassError)) throw error;
    at('firstPass', error.message);
  }
  if (urls.length === 0) at('pollUrl', `a poll needs a pollUrl, e.g. pollUrl imaps://ingest@mail.example.com/`);
  for (const url of urls) {
    try {
      if (isDepotUrl(url)) depotLocation(url);
      else mailAccount(url);
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
      at('pollUrl', error.message);
    }
  }
  const search = config.str('mailSearch');
  if (search !== undefined) {
    try {
      parseSearchKeys(search);
    } catch (error) {
      if (!(error instanceof SearchSyntaxError)) throw error;
      at('mailSearch', `"mailSearch" ${error.message}`);
    }
  }
  try {
    buildSchedule(scheduleSettings(config));
  } catch (error) {
    if (!(error instanceof ScheduleError)) throw error;
    at(error.option, error.message);
  }
  checkVip(config, at);
  checkPollMasks(config, errorAt);
}

/** The literal text a pattern starts with, up to its first special character. */
function literalStart(pattern: string): string {
  return /^[A-Za-z0-9 _,;:'"@%=<>~!-]*/.exec(pattern)?.[0] ?? '';
}

/**
 * A poll's accept and reject match the notification URL from its start (sr3); a pattern
 * whose first letters no mail URL starts with (`accept Facture.*`) never matches anything:
 * most likely it means the subject, which mailSearch selects.
 */
function checkPollMasks(config: Config, errorAt: (file: string, line: number, message: string) => void): void {
  for (const mask of config.masks) {
    const start = literalStart(mask.pattern).toLowerCase();
    if (start === '' || [...MAIL_SCHEMES.map((scheme) => `${scheme}://`), 'file:'].some((url) => url.startsWith(start) || start.startsWith(url))) continue;
    const words = mask.pattern.replaceAll('\\s', ' ').replace(/[^\p{L}\p{N} ]+/gu, ' ').replace(/ +/g, ' ').trim();
    errorAt(mask.where.file, mask.where.line, `${mask.action} ${mask.pattern} never matches: a poll's ${mask.action} is tried on the notification URL from its start (imaps://user@host:993/INBOX/42.eml), so write it as .*${mask.pattern}; to choose mail by its subject, write mailSearch SUBJECT "${words}"`);
  }
}

/** vip names addresses, or the broker's lease; hosts share a cursor only through a broker they all reach. */
function checkVip(config: Config, at: (option: string, message: string) => void): void {
  const vip = config.list('vip');
  if (vip.length === 0) return;
  if (vip.includes(BROKER_LEASE) && vip.length > 1) at('vip', `"vip ${BROKER_LEASE}" takes the broker's lease instead of an address: write it alone, without ${vip.filter((v) => v !== BROKER_LEASE).join(', ')}`);
  for (const address of vip.filter((v) => v !== BROKER_LEASE)) {
    if (net.isIP(address) === 0) at('vip', `vip needs an IP address (or "${BROKER_LEASE}" for a lease on the post broker), got "${address}"`);
  }
  const directory = config.list('pollUrl').find(isDepotUrl);
  if (directory) at('vip', `vip shares a mailbox's cursor between hosts; a watched directory's (${directory}) is not shared: poll it from one host`);
  if (!/^amqps?:/i.test(config.str('post_broker') ?? '')) {
    at('vip', `vip shares the poll between hosts through their broker: post_broker must be an amqp:// or amqps:// broker they all reach, not the local broker of each host`);
  }
}
