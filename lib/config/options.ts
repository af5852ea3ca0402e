// The option table: the one place that says which options exist, their kind, default
// per component, aliases and help. The parser, `sr show` and docs/options.md read it.
// Names and aliases follow sr3 (sr3.md 3.5, 3.6); options that come with a later part
// of mailpump are added to this table by that part, not before.
import type { Component } from './components.js';

export type OptionKind =
  | 'flag' | 'duration' | 'count' | 'size' | 'octal' | 'str' | 'url' | 'enum' | 'set'
  /** every occurrence appends a value */
  | 'list' | 'urlList'
  /** order-sensitive rules (sr3.md 3.4): each line snapshots the options above it */
  | 'mask' | 'subtopic'
  /** acceptFile / rejectFile: one ordered list of rules on decoded file names */
  | 'fileRule';

export type OptionValue = boolean | number | string | readonly string[] | undefined;

export interface OptionSpec {
  readonly name: string;
  readonly kind: OptionKind;
  readonly help: string;
  readonly aliases?: readonly string[];
  /** components that accept it; all when absent */
  readonly components?: readonly Component[];
  /** the default, or one per component */
  readonly default?: OptionValue | { readonly [C in Component]?: OptionValue };
  /** allowed words for enum and set options */
  readonly choices?: readonly string[];
  /** allowed URL schemes for url options */
  readonly schemes?: readonly string[];
  /** the value holds per-message `${...}` fields, evaluated when a message is processed */
  readonly template?: boolean;
  /** the least a count may be (0 when absent) */
  readonly min?: number;
}

export const BROKER_SCHEMES = ['local', 'amqp', 'amqps'] as const;
export const MAIL_SCHEMES = ['imap', 'imaps', 'pop', 'pops'] as const;
export const LOG_LEVELS = ['debug', 'info', 'warning', 'error', 'critical'] as const;
/** sr3's logEvents words (its flowcb entry points, reject and nodupe): mailpump logs at the first six. */
export const LOG_EVENT_CHOICES = [
  'after_accept', 'after_post', 'after_work', 'on_housekeeping', 'reject', 'nodupe', 'ack', 'destfn', 'do_poll', 'download', 'gather',
  'metricsReport', 'on_cleanup', 'on_declare', 'on_features', 'on_sanity', 'on_start', 'on_stop', 'please_stop', 'poll', 'post', 'report', 'send',
] as const;

export const OPTIONS: readonly OptionSpec[] = [
  // Brokers and topology (sr3.md 5.4)
  { name: 'broker', kind: 'url', schemes: BROKER_SCHEMES, components: ['subscribe'], aliases: ['b'],
    help: 'Broker to read notifications from: local: (embedded, the default) or amqp[s]://user@host[:port]/[vhost].' },
  { name: 'exchange', kind: 'str', aliases: ['ex'], components: ['subscribe'],
    help: 'Exchange to bind to; default xs_<broker user>, or xs_<broker user>_<exchangeSuffix>.' },
  { name: 'exchangeSuffix', kind: 'str', aliases: ['exchange_suffix'], components: ['subscribe'],
    help: 'Without an exchange line: bind to xs_<broker user>_<exchangeSuffix> (sr3).' },
  { name: 'topicPrefix', kind: 'str', default: 'v03', aliases: ['topic_prefix'],
    help: 'First words of every topic, v03 for sr3 v03 notifications.' },
  { name: 'subtopic', kind: 'subtopic', components: ['subscribe'],
    help: 'One binding per line: <topicPrefix>.<subtopic>, with * for one word and # for any; uses the exchange, topicPrefix and queueName written above it.' },
  { name: 'queueName', kind: 'str', components: ['subscribe'], aliases: ['queue', 'queue_name', 'qn'],
    help: 'Queue shared by the instances; default q_<broker user>.<component>.<config>.<share>, kept once chosen.' },
  { name: 'queueShare', kind: 'str', components: ['subscribe'],
    help: 'Last word of the default queue name, deciding who shares the queue; default ${USER}_${HOSTNAME}_<8 random digits>.' },
  { name: 'queueDeclare', kind: 'flag', default: true, components: ['subscribe'], aliases: ['declare_queue'],
    help: 'Declare the queue at start (sr3). off: on a locked-down broker where the administrator made it.' },
  { name: 'queueBind', kind: 'flag', default: true, components: ['subscribe'], aliases: ['bind_queue'],
    help: 'Bind the queue to its exchange and topics at start (sr3). off: the administrator bound it.' },
  { name: 'exchangeDeclare', kind: 'flag', default: true, aliases: ['declare_exchange'],
    help: 'Declare the exchange this config announces on (post_exchange) at start (sr3). A subscribe never declares the exchange it reads from: whoever posts to it does (its poll, or sr declare).' },
  { name: 'expire', kind: 'duration', default: 0, components: ['subscribe'], aliases: ['expiry'],
    help: 'The broker deletes the queue after it has had no consumer this long; 0 keeps it forever.' },
  { name: 'messageAgeMax', kind: 'duration', default: 0, components: ['subscribe'],
    help: 'Notifications older than this are dropped by the broker; 0 keeps them however old.' },
  { name: 'deadLetterMax', kind: 'count', default: 10000, components: ['subscribe'],
    help: 'Notifications that cannot be taken (malformed, not mail) are kept in the queue\'s dead letters, at most this many, the oldest dropped first; 0 keeps all. sr status counts them (deadLetters).' },
  { name: 'deadLetterAge', kind: 'duration', default: 30 * 24 * 3600, components: ['subscribe'],
    help: 'Dead letters older than this are dropped; 0 keeps them however old.' },
  { name: 'prefetch', kind: 'count', default: 25, min: 1, components: ['subscribe'],
    help: 'Notifications a consumer may hold unacknowledged.' },
  { name: 'post_broker', kind: 'url', schemes: BROKER_SCHEMES,
    help: 'Broker to announce on: local: (embedded, the default for a poll) or amqp[s]://user@host[:port]/[vhost]. In a poll, "broker" means post_broker as in sr3.' },
  { name: 'post_exchange', kind: 'str',
    help: 'Exchange to announce on; default xs_<post_broker user>, or xs_<post_broker user>_<post_exchangeSuffix>.' },
  { name: 'post_exchangeSuffix', kind: 'str', aliases: ['post_exchange_suffix'],
    help: 'Without a post_exchange line: announce on xs_<post_broker user>_<post_exchangeSuffix> (sr3).' },
  { name: 'post_topicPrefix', kind: 'str', aliases: ['post_topic_prefix'],
    help: 'Topic prefix of announcements; default the topicPrefix.' },
  { name: 'post_baseUrl', kind: 'str', aliases: ['post_base_url', 'post_baseurl'],
    help: 'baseUrl of the files a subscribe announces downstream; default file: followed by post_baseDir (file:/srv/mail/ for post_baseDir /srv/mail), so that sr3 finds them, or file: before the absolute path without post_baseDir.' },
  { name: 'post_mandatory', kind: 'flag', default: true, components: ['poll'],
    help: 'An announcement must reach a queue: one that no queue takes (no subscribe bound yet, its queue cleaned up) is held, the poll\'s place stays before it and it is tried again every 10 s (AMQP mandatory). off: for a poll that feeds nobody on purpose.' },
  { name: 'post_baseDir', kind: 'str', aliases: ['post_base_dir', 'post_basedir'],
    help: 'Local root removed from file paths when announcing them; without it the relPath is the absolute path.' },

  // What to take
  { name: 'accept', kind: 'mask',
    help: 'Regex on the notification URL: take what matches, placed with the directory written above this line. Rules are tried in file order.' },
  { name: 'reject', kind: 'mask',
    help: 'Regex on the notification URL: drop what matches. Rules are tried in file order.' },
  { name: 'logReject', kind: 'flag', default: false, aliases: ['log_reject'],
    help: 'Log each notification the accept/reject rules drop, with the rule that dropped it (sr3): adds reject to logEvents.' },
  { name: 'logEvents', kind: 'set', choices: LOG_EVENT_CHOICES, default: ['after_accept', 'after_post', 'after_work', 'on_housekeeping'],
    help: 'What is logged at info, as sr3: after_accept (each notification or message taken), after_work (each message written), after_post (each notification posted), on_housekeeping (the counters), reject (what accept/reject drop), nodupe (what was done before). sr3\'s other entry point names are accepted and log nothing more.' },
  { name: 'acceptUnmatched', kind: 'flag', default: true, aliases: ['accept_unmatch', 'accept_unmatched'],
    help: 'Take notifications that no accept or reject rule matched.' },
  { name: 'download', kind: 'flag', default: true, components: ['subscribe'],
    help: 'off: a relay (sr3): each notification taken is announced again on post_broker, nothing downloaded, written or done on the mail server. sr3\'s no_download and notify_only mean download off.' },
  { name: 'directory', kind: 'str', template: true, components: ['subscribe'],
    help: 'Where files are written; ${%Y%m%d}-style dates and message fields are filled in per message.' },
  { name: 'mirror', kind: 'flag', default: false, components: ['subscribe'],
    help: 'on: files go under directory in the folders of the notification\'s relPath (INBOX/Invoices/), after strip, as sr3 mirrors a tree. Each accept line keeps the value written above it.' },
  { name: 'strip', kind: 'str', default: '0', components: ['subscribe'],
    help: 'A count: leading relPath levels left out of mirror and flatten; any other text: a regex whose first match is removed from the relPath (sr3). Each accept line keeps the value written above it.' },
  { name: 'flatten', kind: 'str', default: '/', components: ['subscribe'],
    help: 'Not /: each file name starts with the relPath\'s folders (after strip) joined by this text, INBOX-Invoices-invoice.pdf with flatten - (sr3). Each accept line keeps the value written above it.' },

  // What a subscribe writes (docs/filters.md for the file rules)
  { name: 'attachmentsOnly', kind: 'flag', default: true, components: ['subscribe'],
    help: 'Write only attachments; off also writes each text and HTML body as a file (body.txt, body.html).' },
  { name: 'fileSync', kind: 'enum', choices: ['auto', 'fsync', 'syncfs'], default: 'auto', components: ['subscribe'],
    help: 'How written files are made durable, per batch of messages: syncfs (one sync --file-system of the output file system per batch, by a helper shell; it flushes other writers\' data on that file system too), fsync (one per file and directory, many at once), or auto (syncfs where sync --file-system works, else fsync).' },
  { name: 'inline', kind: 'enum', choices: ['keep', 'skip'], default: 'keep', components: ['subscribe'],
    help: 'Parts shown inside the message (images of an HTML mail, Content-Disposition inline): keep writes them as attachments, skip leaves them out.' },
  { name: 'decodeBudget', kind: 'duration', default: 120, components: ['subscribe'],
    help: 'How long a decode thread may be blocked by a message (and, ten times over plus 1 s per MB, hold it); a message over it is quarantined at once and its thread replaced, the other messages of that thread decoded again.' },
  { name: 'decodeDepth', kind: 'count', default: 3, components: ['subscribe'],
    help: 'Attached messages (message/rfc822) are opened this many levels deep; deeper ones are written whole as .eml files.' },
  { name: 'acceptFile', kind: 'fileRule', components: ['subscribe'],
    help: 'Regex, plain or /between slashes/ with flags i, m, s, u, on the whole decoded file name: keep the files it matches. Tried in order with rejectFile.' },
  { name: 'rejectFile', kind: 'fileRule', components: ['subscribe'],
    help: 'Regex on the whole decoded file name: leave out the files it matches. Tried in order with acceptFile.' },
  { name: 'acceptUnmatchedFile', kind: 'flag', default: true, components: ['subscribe'],
    help: 'Keep the decoded files that no acceptFile or rejectFile rule matched.' },
  { name: 'sidecar', kind: 'flag', default: false, components: ['subscribe'],
    help: 'Beside each file, write .<file>.json (a dot name no attachment takes) with where it came from: account, folder, UIDVALIDITY, UID or UIDL, Message-ID, subject, from, date, MIME part, type, size, sha256.' },
  { name: 'saveRaw', kind: 'flag', default: false, components: ['subscribe'],
    help: 'Also keep each message as it came, as .<UID or UIDL>.eml under rawDirectory (a local backup).' },
  { name: 'rawDirectory', kind: 'str', template: true, components: ['subscribe'],
    help: 'Where saveRaw keeps messages; templates as for directory. Default: the directory.' },
  { name: 'maxMessageSize', kind: 'size', default: 0, components: ['subscribe'],
    help: 'A message larger than this is not downloaded but quarantined; 0 takes any size.' },

  // What a subscribe does on the mail server, and with failures
  { name: 'mailAction', kind: 'str', default: 'none', components: ['subscribe'],
    help: 'Once the files and their notifications are safe: none, seen, flag <keyword>, move <folder> (created when missing) or delete. POP3 knows none and delete.' },
  { name: 'delete', kind: 'flag', default: false, components: ['subscribe'],
    help: 'sr3 spelling of mailAction delete: delete each message from the server once its files are safe.' },
  { name: 'attempts', kind: 'count', default: 3, min: 1, components: ['subscribe'], aliases: ['at'],
    help: 'A message failing this many times for a reason retrying cannot cure (undecodable, too large, not the announced message) is quarantined.' },
  { name: 'retry_ttl', kind: 'duration', default: 0, components: ['subscribe'], aliases: ['retry_expire'],
    help: 'A message still failing for a passing reason (server or broker down) is retried, with growing pauses, for this long; 0 retries forever. It stays on the mail server either way.' },
  { name: 'nodupe_ttl', kind: 'duration', default: { subscribe: 30 * 86400, poll: 0 }, components: ['subscribe', 'poll'], aliases: ['suppress_duplicates', 'no_duplicates', 'caching'],
    help: 'Subscribe: how long a message done is remembered by its server identity and Message-ID, so that a redelivered or re-announced one writes nothing again. Poll (off by default, the cursor never announces a message twice): a message with the Message-ID and size of one announced from the account within this time, in any folder, is passed over, and so never tidied by mailAction.' },
  { name: 'quarantineAgeMax', kind: 'duration', default: 90 * 86400, components: ['subscribe'],
    help: 'Quarantined messages older than this are removed from quarantineDirectory (the mail stays on its server, flagged $Quarantined or in quarantineFolder); 0 keeps them.' },
  { name: 'quarantineSizeMax', kind: 'size', default: 1024 ** 3, components: ['subscribe'],
    help: 'The quarantine keeps at most this many bytes: the oldest go first, as for quarantineAgeMax; 0: no bound.' },
  { name: 'quarantineDirectory', kind: 'str', components: ['subscribe'],
    help: 'Where quarantined messages go, each as .eml with a .reason.txt; default quarantine/ in the config\'s state directory.' },
  { name: 'quarantineFolder', kind: 'str', components: ['subscribe'],
    help: 'IMAP folder (created when missing) a quarantined message is moved to; without it the message gets the $Quarantined keyword and stays.' },

  // Where mail comes from
  { name: 'pollUrl', kind: 'urlList', schemes: MAIL_SCHEMES, components: ['poll'], aliases: ['destination'],
    help: 'Mailbox to watch, imap[s]://user@host[:port]/ or pop[s]://user@host[:port]/; may be given several times. The password comes from credentials.conf.' },
  { name: 'vip', kind: 'list', components: ['poll'],
    help: 'A poll on several hosts: only the host holding one of these addresses polls (sr3), or with vip broker the one holding a lease on the post broker (amqp only; the lease moves within a heartbeat when its host dies). The broker keeps the cursor (a stream of the announcements and snapshots), so the host taking over starts after the last message announced.' },
  { name: 'folder', kind: 'list', components: ['poll'],
    help: 'IMAP folder to watch; may be given several times; special-use names such as \\Inbox or \\Junk work. Default INBOX.' },
  { name: 'firstPass', kind: 'str', default: 'all', components: ['poll'],
    help: 'What the first pass over a mailbox takes of the mail already there: all, unseen (IMAP: the unread ones), new (none: only mail arriving from now on) or since YYYY-MM-DD (IMAP: arrived since that day, UTC). Mail arriving later, and folders created later, are always taken. Try it first with sr foreground --dry_run.' },
  { name: 'folderRecursive', kind: 'flag', default: false, components: ['poll'],
    help: 'Also watch every subfolder of each folder, at any depth.' },
  { name: 'mailSearch', kind: 'str', components: ['poll'],
    help: 'IMAP SEARCH keys that mail must match to be announced, e.g. UNSEEN SINCE 1-Nov-2026 FROM billing@example.org; checked by the server.' },
  { name: 'idle', kind: 'flag', default: false, components: ['poll'],
    help: 'IMAP IDLE on each watched folder: new mail is announced as it arrives; the scheduled passes go on as a catch-up.' },
  { name: 'imapCompress', kind: 'flag', default: false, components: ['poll', 'subscribe'],
    help: 'Ask IMAP servers that offer it (Cyrus) for COMPRESS=DEFLATE. Off by default: on a LAN it made fetches several times slower; turn it on for slow links.' },
  { name: 'batch', kind: 'count', default: 100, min: 1, components: ['poll'],
    help: 'At most this many messages announced per mailbox per pass, so a first pass over a large mailbox goes in bounded steps; while messages are left, the next pass follows at once, not at the next scheduled time.' },
  { name: 'sleep', kind: 'duration', default: 300, components: ['poll'], aliases: ['scheduled_interval'],
    help: 'Time between passes over the mailboxes; the first pass runs at start. scheduled_* and schedule replace it.' },
  { name: 'scheduled_hour', kind: 'list', components: ['poll'],
    help: 'Hours (UTC, comma-separated or repeated) at which to poll, combined with scheduled_minute.' },
  { name: 'scheduled_minute', kind: 'list', components: ['poll'],
    help: 'Minutes past the hour at which to poll (with scheduled_hour; default every hour).' },
  { name: 'scheduled_time', kind: 'list', components: ['poll'],
    help: 'Times of day HH:MM (UTC) at which to poll; may be given several times.' },
  { name: 'schedule', kind: 'str', components: ['poll'],
    help: 'A cron expression with seconds and an optional year: "*/15 * * * * *" polls every 15 seconds.' },
  { name: 'tls', kind: 'flag', default: true, components: ['poll', 'subscribe'],
    help: 'On imap:// and pop:// URLs, upgrade with STARTTLS/STLS and refuse a server that will not; off sends passwords in clear.' },
  { name: 'tlsCa', kind: 'str', components: ['poll', 'subscribe'],
    help: 'A PEM file of certificate authorities to trust for the mail server, for a private CA.' },
  { name: 'tlsVerify', kind: 'flag', default: true, components: ['poll', 'subscribe'],
    help: 'Verify the mail server certificate and host name; off is insecure, warned about at start and shown in sr status.' },
  { name: 'tlsRigour', kind: 'enum', choices: ['lax', 'medium', 'strict'], default: 'medium', components: ['poll', 'subscribe'], aliases: ['tls_rigour'],
    help: 'sr3\'s TLS strictness for mail servers: lax does not verify certificates (as tlsVerify off), medium verifies them unless tlsVerify off says otherwise, strict always verifies them (tlsVerify off is refused) and asks TLS 1.2 at least.' },
  { name: 'timeout', kind: 'duration', default: 60, components: ['poll', 'subscribe'],
    help: 'A mail server that does not answer for this long is given up on and reconnected.' },
  { name: 'callback', kind: 'list', aliases: ['cb', 'flowcb', 'flow_callback', 'flowCallback'],
    help: 'sr3 callback names: poll.mail selects the mail poll, download.mail_ingest the mail download.' },

  // Processes
  { name: 'messageCountMax', kind: 'count', default: 0,
    help: 'Stop the instance once it has handled this many notifications (a subscribe) or announced this many (a poll), finishing what it holds (sr3); 0: never.' },
  { name: 'instances', kind: 'count', default: 1, min: 1, aliases: ['instance'],
    help: 'Processes to run for this config; a poll always runs one.' },
  { name: 'housekeeping', kind: 'duration', default: 300, aliases: ['heartbeat'],
    help: 'Interval of periodic clean-up and of the housekeeping log line.' },
  { name: 'metricsDirectory', kind: 'str',
    help: 'Write Prometheus metrics there for node_exporter\'s textfile collector: each instance its mailpump_<component>_<config>_<NN>.prom, every metrics_writeInterval, removed when it stops (docs/metrics.md). Off when absent.' },
  { name: 'metrics_writeInterval', kind: 'duration', default: 5,
    help: 'Interval at which each instance writes its heartbeat and counters (read by sr status and sr sanity).' },
  { name: 'runStateThreshold_hung', kind: 'duration', default: 450, aliases: ['sanity_log_dead'],
    help: 'An instance whose heartbeat is older than this is hung: sr status says so and sr sanity restarts it.' },
  { name: 'stop_timeout', kind: 'duration', default: 30,
    help: 'How long sr stop waits after SIGTERM for an instance to finish the message in hand before SIGKILL.' },

  // Logging (sr3.md 2.4)
  { name: 'logLevel', kind: 'enum', choices: LOG_LEVELS, default: 'info', aliases: ['loglevel', 'll'],
    help: 'Least severe log lines written: debug, info, warning, error or critical.' },
  { name: 'logRotateCount', kind: 'count', default: 5, aliases: ['logdays', 'log_rotate', 'logRotate'],
    help: 'Rotated log files kept besides the current one.' },
  { name: 'logRotateInterval', kind: 'duration', default: 86400, aliases: ['logRotate_interval'],
    help: 'Log rotation period: 1d or more rotates daily at midnight, less rotates every that many minutes or hours.' },
];

const BY_NAME = new Map<string, OptionSpec>();
for (const spec of OPTIONS) {
  BY_NAME.set(spec.name, spec);
  for (const alias of spec.aliases ?? []) BY_NAME.set(alias, spec);
}

/**
 * Words that mean another option in one component only (sr3.md 3.5): in a poll, sr3
 * renames `broker` to `post_broker` because a poll only announces.
 */
const COMPONENT_ALIASES: { readonly [C in Component]?: Readonly<Record<string, string>> } = {
  poll: { broker: 'post_broker', b: 'post_broker' },
};

/** sr3 words that set a flag off when they are on (sr3's convert_to_v3: `no_download` is `download False`). */
const NEGATED: ReadonlyMap<string, string> = new Map([['no_download', 'download'], ['notify_only', 'download']]);

/** The flag an sr3 negated word sets off, if it is one. */
export function negatedOption(word: string): string | undefined {
  return NEGATED.get(word);
}

export function findOption(word: string, component: Component): OptionSpec | undefined {
  const renamed = COMPONENT_ALIASES[component]?.[word];
  return BY_NAME.get(renamed ?? word);
}

export function appliesTo(spec: OptionSpec, component: Component): boolean {
  return spec.components === undefined || spec.components.includes(component);
}

export function defaultValue(spec: OptionSpec, component: Component): OptionValue {
  const value = spec.default;
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    return (value as { readonly [C in Component]?: OptionValue })[component];
  }
  return value as OptionValue;
}

/** The table default of an option, for when no config can be read (a config broken while it runs). */
export function tableDefault(name: string, component: Component): OptionValue {
  const spec = BY_NAME.get(name);
  if (!spec) throw new Error(`no option "${name}" in the option table`);
  return defaultValue(spec, component);
}

/** Every word the parser knows, for "did you mean" suggestions. */
export function knownWords(): string[] {
  return [...BY_NAME.keys(), ...NEGATED.keys(), 'include', 'config', 'declare', 'header'];
}
