// accept / reject (sr3.md 3.4): rules tried in file order against the notification URL,
// first match decides; with none, acceptUnmatched does.
import type { Config } from '../config/load.js';
import type { Mask } from '../config/parser.js';

/** The rule that takes the URL, or undefined when it is rejected. */
export function acceptingMask(config: Config, url: string): Mask | 'unmatched' | undefined {
  for (const mask of config.masks) {
    if (mask.regex.test(url)) return mask.action === 'accept' ? mask : undefined;
  }
  return config.flag('acceptUnmatched') ? 'unmatched' : undefined;
}
