// Config selectors: `component/config` shell globs, with or without `.conf`. A bare name
// matches that name in any component (sr3 rewrites it to flow/<name>, which finds nothing
// for mail users: sr3.md 1.1).
import picomatch from 'picomatch';
import { type ConfigId, configLabel } from '../config/components.js';
import { UserError } from '../config/errors.js';
import { closestWord } from '../config/suggest.js';

export function matchesSelector(selector: string, id: ConfigId): boolean {
  const pattern = selector.endsWith('.conf') ? selector.slice(0, -'.conf'.length) : selector;
  const subject = pattern.includes('/') ? configLabel(id) : id.name;
  return picomatch.isMatch(subject, pattern);
}

/**
 * The configs the selectors name, in catalog order; no selectors means all of them.
 * A selector that matches nothing fails the whole command before anything is done.
 */
export function selectConfigs(selectors: readonly string[], available: readonly ConfigId[]): ConfigId[] {
  if (selectors.length === 0) return [...available];
  const unmatched = selectors.filter((selector) => !available.some((id) => matchesSelector(selector, id)));
  if (unmatched.length > 0) {
    const labels = available.map(configLabel);
    const hints = unmatched.map((selector) => {
      const guess = closestWord(selector.replace(/\.conf$/, ''), labels);
      return `"${selector}"${guess ? ` (did you mean "${guess}"?)` : ''}`;
    });
    throw new UserError(`no config matches ${hints.join(', ')}; sr list shows the configs there are`);
  }
  return available.filter((id) => selectors.some((selector) => matchesSelector(selector, id)));
}
