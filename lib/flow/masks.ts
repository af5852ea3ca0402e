// accept / reject (sr3.md 3.4): rules tried in file order against the notification URL,
// first match decides; with none, acceptUnmatched does.
import type { Config } from '../config/load.js';
import type { Mask } from '../config/parser.js';
import type { EventLog } from './logEvents.js';

/** The rule that takes the URL, or undefined when it is rejected. */
export function acceptingMask(config: Config, url: string): Mask | 'unmatched' | undefined {
  for (const mask of config.masks) {
    if (mask.regex.test(url)) return mask.action === 'accept' ? mask : undefined;
  }
  return config.flag('acceptUnmatched') ? 'unmatched' : undefined;
}

/** Why the URL is rejected, for logReject: the rule that rejected it, or that none took it. */
export function rejectionOf(config: Config, url: string): string | undefined {
  const rule = config.masks.find((mask) => mask.regex.test(url));
  if (rule) return rule.action === 'reject' ? `reject ${rule.pattern} (${rule.where.file}:${rule.where.line})` : undefined;
  return config.flag('acceptUnmatched') ? undefined : 'no accept line takes it (acceptUnmatched off)';
}

/** The accepting rule, as acceptingMask; a rejected URL is logged when logEvents has reject (or logReject is on, sr3). */
export function acceptingMaskLogged(config: Config, url: string, events: EventLog): Mask | 'unmatched' | undefined {
  const mask = acceptingMask(config, url);
  if (mask === undefined) events('reject', () => `rejected: ${url}: ${rejectionOf(config, url)}`);
  return mask;
}
