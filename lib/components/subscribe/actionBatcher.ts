// Mail actions in batches: messages finishing close together are tidied by one command per
// folder (`UID MOVE 41,42,57 EZGED_OK`) rather than one each, and each message's handler
// waits for its batch, so a notification is still acknowledged only after its action.
import type { MailAction, MailSource, MessageCoordinates } from '../../mail/mailSource.js';

/** How long a batch waits for more messages, and its largest size. */
const GATHER_MS = 50;
const MAX_BATCH = 200;

interface Waiting {
  readonly at: MessageCoordinates;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

interface Batch {
  readonly source: MailSource;
  readonly action: MailAction;
  readonly waiting: Waiting[];
  timer?: NodeJS.Timeout;
}

export class ActionBatcher {
  private readonly open = new Map<string, Batch>();

  /** Resolves once the action was applied to the message (with others of its batch). */
  apply(source: MailSource, action: MailAction, at: MessageCoordinates): Promise<void> {
    if (action.kind === 'none') return Promise.resolve();
    const key = `${source.account.label}\u0000${JSON.stringify(action)}`;
    let batch = this.open.get(key);
    if (!batch) {
      const created: Batch = { source, action, waiting: [] };
      created.timer = setTimeout(() => this.flush(key, created), GATHER_MS);
      this.open.set(key, created);
      batch = created;
    }
    const done = new Promise<void>((resolve, reject) => batch.waiting.push({ at, resolve, reject }));
    if (batch.waiting.length >= MAX_BATCH) this.flush(key, batch);
    return done;
  }

  private flush(key: string, batch: Batch): void {
    clearTimeout(batch.timer);
    if (this.open.get(key) === batch) this.open.delete(key);
    batch.source.apply(batch.action, batch.waiting.map((w) => w.at)).then(
      () => batch.waiting.forEach((w) => w.resolve()),
      (error: unknown) => batch.waiting.forEach((w) => w.reject(error)),
    );
  }
}
