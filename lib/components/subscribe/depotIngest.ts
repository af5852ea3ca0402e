// One item of a watched directory, start to end, as ingest.ts does a message: check it is
// the one announced, have a decode thread read it where it is and write its files, announce
// them, record that all of it is durable, then apply fileAction and record the item done.
// Each step is safe to repeat: a retry after a crash finds its files already in place, and
// the action either done or still to do (depot/actions.ts).
import { applyFileAction } from '../../depot/actions.js';
import { checkItem, ItemChanged, ItemGone } from '../../depot/item.js';
import type { Notification } from '../../message.js';
import type { DepotItemRef } from './depotNotification.js';
import { type IngestOutcome, type IngestTools, writeAndAnnounce } from './ingest.js';
import { depotOrigin } from './origin.js';

export async function ingestDepotItem(tools: IngestTools, notification: Notification, ref: DepotItemRef): Promise<IngestOutcome> {
  const { state } = tools;
  if (state.isPosted(ref.serverKey)) {
    // Files and notifications were made durable before a stop or crash: only the action is left.
    await actOnItem(tools, ref);
    await state.markDoneSoon([ref.serverKey]);
    return { kind: 'resumed' };
  }
  try {
    checkItem(ref.path, ref.entry, ref.item);
  } catch (error) {
    if (!(error instanceof ItemChanged)) throw error;
    await state.markDoneSoon([ref.serverKey]);
    return { kind: 'superseded', why: error.message };
  }
  const input = { kind: 'depot', path: ref.path, name: ref.name, entry: ref.entry, item: ref.item } as const;
  const outcome = await writeAndAnnounce(tools, notification, depotOrigin(ref), input, ref.expected.size ?? 0);
  await state.markPostedSoon(ref.serverKey);
  await actOnItem(tools, ref);
  await state.markDoneSoon([ref.serverKey]);
  return outcome;
}

/**
 * fileAction on the item, when it is still the version whose files were written: one that
 * changed meanwhile is another item, with its own notification, and is left to it; one gone
 * was moved or deleted already (before a crash) or taken away: nothing is left to do, but a
 * delete's copy set aside is removed.
 */
async function actOnItem(tools: IngestTools, ref: DepotItemRef): Promise<void> {
  const action = tools.settings.fileAction;
  if (action.kind === 'leave') return;
  try {
    checkItem(ref.path, ref.entry, ref.item);
  } catch (error) {
    if (error instanceof ItemChanged) return;
    if (!(error instanceof ItemGone)) throw error;
    if (action.kind !== 'delete') return;
  }
  try {
    await applyFileAction(action, ref.location.root, ref.name);
  } catch (error) {
    if (!(error instanceof ItemGone)) throw error;
  }
  tools.debug?.(`${ref.where}: fileAction ${action.kind === 'move' ? `move ${action.directory}` : action.kind} done`);
}
