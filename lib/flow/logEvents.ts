// sr3's logEvents (its log callback): which steps of a message's way are said at info.
// A step not chosen is still said at debug, so `--logLevel debug` follows every message
// whatever logEvents holds; with neither, the line is not even built.
import type { Config } from '../config/load.js';
import type { Logger } from '../log/logger.js';

/** The logEvents words that make mailpump log something (the others are sr3 entry points without a log line here). */
export type LogEvent = 'after_accept' | 'after_work' | 'after_post' | 'on_housekeeping' | 'reject' | 'nodupe';

/** Says a step's line: `line` is called only when it will be logged. */
export type EventLog = (event: LogEvent, line: () => string) => void;

/** logEvents as configured; sr3's logReject adds reject to it. */
export function loggedEvents(config: Config): ReadonlySet<string> {
  const events = new Set(config.list('logEvents'));
  if (config.flag('logReject')) events.add('reject');
  return events;
}

export function eventLog(config: Config, logger: Logger): EventLog {
  const events = loggedEvents(config);
  // Asked once, and a line below the level never given to winston: it formats (timestamp,
  // redaction) every line it is given before its transport drops it.
  const info = logger.isLevelEnabled('info');
  const debug = logger.isDebugEnabled();
  return (event, line) => {
    if (events.has(event)) {
      if (info) logger.info(line());
    } else if (debug) logger.debug(line());
  };
}
