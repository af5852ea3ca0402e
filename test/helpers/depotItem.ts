// A watched directory's item decoded and written as a subscribe's decode thread does it
// (writeMessageFiles with a depot job), for the tests and the PES bench: the item found by
// the poll's listing, its notification read by the subscribe's own reader.
import path from 'node:path';
import { depotItemRef } from '../../lib/components/subscribe/depotNotification.js';
import { depotOrigin } from '../../lib/components/subscribe/origin.js';
import { type WriteResult, writeMessageFiles } from '../../lib/components/subscribe/writeFiles.js';
import { FLAT_LAYOUT } from '../../lib/config/pathLayout.js';
import { listDepot } from '../../lib/depot/listing.js';
import { type EnvelopeKind, ENVELOPE_KINDS } from '../../lib/envelopes/types.js';
import type { SubscribeState } from '../../lib/state/subscribeState.js';

/** The item `name` of `root`, written under `out/${KIND}` (malformed envelopes to out/quarantine). */
export function decodeDepotItem(root: string, name: string, out: string, state: SubscribeState, kinds: readonly EnvelopeKind[] = ENVELOPE_KINDS): Promise<WriteResult> {
  const item = listDepot(root, 0).ready.find((entry) => entry.name === name)!;
  const label = `file:${root}/`;
  const notification = { pubTime: '20261203T000000.000', baseUrl: label, relPath: `${name}${item.entry === 'deposit' ? '/' : ''}` };
  const ref = depotItemRef({ ...notification, depot: { name, entry: item.entry, item: item.key } }, new Set([label]));
  return writeMessageFiles({
    settings: {
      directory: path.join(out, '${KIND}'), layout: FLAT_LAYOUT, writer: 'subscribe_depot_01', rawDirectory: undefined, sidecar: false, decodeDepth: 3, syncMethod: 'fsync',
      policy: { attachmentsOnly: true, skipInline: false, rules: [], acceptUnmatched: true },
      envelopes: { kinds, source: true, quarantineDirectory: path.join(out, 'quarantine') },
    },
    notification, origin: depotOrigin(ref),
    raw: { kind: 'depot', path: ref.path, name, entry: item.entry, item: item.key }, size: item.size, now: Date.now(),
  }, state, 'subscribe_depot_01.t0');
}
