// What a poll must remember across restarts, in one SQLite file in the config's state
// directory: per IMAP folder the cursor (UIDVALIDITY and highest announced UID) and what
// was announced (Message-ID, size, internal date) to reconcile a UIDVALIDITY change; per
// POP3 account the UIDLs announced. A message is recorded only after the broker confirmed
// its notification, in the same transaction that moves the cursor.
import type Database from 'better-sqlite3';
import { openDatabase, Statements } from '../system/sqlite.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS imap_cursor (
  account TEXT NOT NULL, folder TEXT NOT NULL,
  uid_validity INTEGER NOT NULL, last_uid INTEGER NOT NULL,
  -- after a UIDVALIDITY change: messages up to this UID are checked against what was announced
  -- (every message of the new UIDVALIDITY: restored mail keeps coming after the change is seen)
  reconcile_until INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (account, folder)
);
CREATE TABLE IF NOT EXISTS imap_announced (
  account TEXT NOT NULL, folder TEXT NOT NULL, identity TEXT NOT NULL, announced REAL NOT NULL,
  PRIMARY KEY (account, folder, identity)
);
-- nodupe_ttl in a poll: a message (Message-ID and size) announced from the account, and when
CREATE TABLE IF NOT EXISTS nodupe (
  account TEXT NOT NULL, message TEXT NOT NULL, announced REAL NOT NULL,
  PRIMARY KEY (account, message)
);
CREATE TABLE IF NOT EXISTS pop_announced (
  account TEXT NOT NULL, uidl TEXT NOT NULL, announced REAL NOT NULL,
  PRIMARY KEY (account, uidl)
);
-- per watched directory (pollUrl file:), the version of each item announced: a name whose
-- size or time changed is a new item; one gone from the directory is forgotten
CREATE TABLE IF NOT EXISTS depot_announced (
  account TEXT NOT NULL, name TEXT NOT NULL, item TEXT NOT NULL, announced REAL NOT NULL,
  PRIMARY KEY (account, name)
);
-- firstPass unseen or since: the first pass of a folder takes, up to this UID (the highest
-- when it was first seen), only the mail the policy names; a row marks a POP3 account seen
CREATE TABLE IF NOT EXISTS first_pass (
  account TEXT NOT NULL, folder TEXT NOT NULL, until_uid INTEGER NOT NULL,
  PRIMARY KEY (account, folder)
);
`;

/** The whole cursor of a poll, as hosts sharing it (vip) pass it to each other. */
export interface CursorSnapshot {
  readonly imap: ReadonlyArray<{ readonly account: string; readonly folder: string; readonly uidValidity: number; readonly lastUid: number }>;
  readonly pop: ReadonlyArray<{ readonly account: string; readonly uidls: readonly string[] }>;
}

export interface FolderCursor {
  readonly uidValidity: number;
  readonly lastUid: number;
  readonly reconcileUntil: number;
}

/** What is recorded of an announced message: its Message-ID, size and internal date. */
export function messageIdentity(messageId: string | undefined, size: number, internalDate: Date | undefined): string {
  return `${messageId ?? ''}\u0000${size}\u0000${internalDate?.toISOString() ?? ''}`;
}

/**
 * The part of an identity that a restored message keeps: its Message-ID and size. A restore
 * need not keep INTERNALDATE (an APPEND without a date gets the time of the restore), so it
 * is compared only for mail without a Message-ID, where nothing else tells two apart.
 */
function restoredPrefix(identity: string): string | undefined {
  const [messageId, size] = identity.split('\u0000');
  return messageId ? `${messageId}\u0000${size}\u0000` : undefined;
}

/** A UID or UIDVALIDITY as the cursor may hold it: a server's nonsense must not become the cursor. */
function checkUid(what: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${what} ${String(value)} is not a UID: the cursor is not moved`);
}

export class PollState {
  private readonly statements: Statements;

  private constructor(private readonly db: Database.Database) {
    this.statements = new Statements(db);
  }

  static open(file: string): PollState {
    return new PollState(openDatabase(file, SCHEMA));
  }

  cursor(account: string, folder: string): FolderCursor | undefined {
    const row = this.statements.get('SELECT uid_validity, last_uid, reconcile_until FROM imap_cursor WHERE account = ? AND folder = ?')
      .get(account, folder) as { uid_validity: number; last_uid: number; reconcile_until: number } | undefined;
    return row && { uidValidity: row.uid_validity, lastUid: row.last_uid, reconcileUntil: row.reconcile_until };
  }

  /** A new folder, or one whose UIDVALIDITY changed: start from UID 0, reconciling up to `reconcileUntil`. */
  resetCursor(account: string, folder: string, uidValidity: number, reconcileUntil: number): void {
    checkUid('UIDVALIDITY', uidValidity);
    checkUid('UID', reconcileUntil);
    this.db.transaction(() => {
      this.statements.get(`INSERT INTO imap_cursor (account, folder, uid_validity, last_uid, reconcile_until) VALUES (?, ?, ?, 0, ?)
        ON CONFLICT (account, folder) DO UPDATE SET uid_validity = excluded.uid_validity, last_uid = 0, reconcile_until = excluded.reconcile_until`)
        .run(account, folder, uidValidity, reconcileUntil);
      // A first-pass limit names UIDs of the UIDVALIDITY it was set in.
      this.statements.get('DELETE FROM first_pass WHERE account = ? AND folder = ?').run(account, folder);
    })();
  }

  /**
   * The first sight of an IMAP account: every folder gets its cursor at once, with the first
   * pass's policy (firstPass.ts): `all` from UID 0, `skip` past what is there now, `restrict`
   * from UID 0 with the policy's search up to what is there now.
   */
  firstSight(account: string, folders: ReadonlyArray<{ folder: string; uidValidity: number; highest: number }>, mode: 'all' | 'skip' | 'restrict'): void {
    this.db.transaction(() => {
      for (const { folder, uidValidity, highest } of folders) {
        this.resetCursor(account, folder, uidValidity, 0);
        if (mode === 'skip') this.advance(account, folder, highest, undefined);
        if (mode === 'restrict') this.setFirstPassUntil(account, folder, highest);
      }
    })();
  }

  /** Moves the cursor past `uid`, recording the message as announced (or as skipped, when identity is undefined). */
  advance(account: string, folder: string, uid: number, identity: string | undefined): void {
    checkUid('UID', uid);
    this.db.transaction(() => {
      if (identity !== undefined) {
        this.statements.get('INSERT OR REPLACE INTO imap_announced (account, folder, identity, announced) VALUES (?, ?, ?, ?)')
          .run(account, folder, identity, Date.now() / 1000);
      }
      this.statements.get('UPDATE imap_cursor SET last_uid = max(last_uid, ?) WHERE account = ? AND folder = ?').run(uid, account, folder);
    })();
  }

  /** Whether this message (by Message-ID and size; with the internal date when it has no Message-ID) was announced from the folder before. */
  wasAnnounced(account: string, folder: string, identity: string): boolean {
    const prefix = restoredPrefix(identity);
    if (prefix === undefined) return this.statements.get('SELECT 1 FROM imap_announced WHERE account = ? AND folder = ? AND identity = ?').get(account, folder, identity) !== undefined;
    // A range on the key, so the primary key's index answers it.
    return this.statements.get('SELECT 1 FROM imap_announced WHERE account = ? AND folder = ? AND identity >= ? AND identity < ?')
      .get(account, folder, prefix, `${prefix}\uffff`) !== undefined;
  }

  /** Whether the poll has seen this IMAP account before (a folder new to it is then taken whole). */
  knowsImapAccount(account: string): boolean {
    return this.statements.get('SELECT 1 FROM imap_cursor WHERE account = ? LIMIT 1').get(account) !== undefined;
  }

  /** firstPass unseen or since: the UID up to which the folder's first pass is restricted; 0 when none. */
  firstPassUntil(account: string, folder: string): number {
    const row = this.statements.get('SELECT until_uid FROM first_pass WHERE account = ? AND folder = ?').get(account, folder) as { until_uid: number } | undefined;
    return row?.until_uid ?? 0;
  }

  setFirstPassUntil(account: string, folder: string, uid: number): void {
    checkUid('UID', uid);
    this.statements.get('INSERT OR REPLACE INTO first_pass (account, folder, until_uid) VALUES (?, ?, ?)').run(account, folder, uid);
  }

  /** Whether a POP3 account had its first pass (an empty mailbox leaves no UIDL to say so). */
  knowsPopAccount(account: string): boolean {
    return this.statements.get("SELECT 1 FROM first_pass WHERE account = ? AND folder = ''").get(account) !== undefined
      || this.statements.get('SELECT 1 FROM pop_announced WHERE account = ? LIMIT 1').get(account) !== undefined;
  }

  /** The first pass of a POP3 account: with firstPass new, what is there now is recorded, not announced. */
  firstPopPass(account: string, skipped: readonly string[]): void {
    this.db.transaction(() => {
      for (const uidl of skipped) this.recordPop(account, uidl);
      this.statements.get("INSERT OR IGNORE INTO first_pass (account, folder, until_uid) VALUES (?, '', 0)").run(account);
    })();
  }

  popAnnounced(account: string): Set<string> {
    const rows = this.statements.get('SELECT uidl FROM pop_announced WHERE account = ?').all(account) as Array<{ uidl: string }>;
    return new Set(rows.map((row) => row.uidl));
  }

  recordPop(account: string, uidl: string): void {
    this.statements.get('INSERT OR IGNORE INTO pop_announced (account, uidl, announced) VALUES (?, ?, ?)').run(account, uidl, Date.now() / 1000);
  }

  /** A watched directory's items announced, each name with the version announced. */
  depotAnnounced(account: string): Map<string, string> {
    const rows = this.statements.get('SELECT name, item FROM depot_announced WHERE account = ?').all(account) as Array<{ name: string; item: string }>;
    return new Map(rows.map((row) => [row.name, row.item]));
  }

  recordDepotItem(account: string, name: string, item: string): void {
    this.statements.get('INSERT OR REPLACE INTO depot_announced (account, name, item, announced) VALUES (?, ?, ?, ?)').run(account, name, item, Date.now() / 1000);
  }

  /** Items no longer in the directory (moved, deleted): a new file of the same name is new. */
  forgetDepotItems(account: string, names: readonly string[]): void {
    const statement = this.statements.get('DELETE FROM depot_announced WHERE account = ? AND name = ?');
    this.db.transaction(() => { for (const name of names) statement.run(account, name); })();
  }

  /** Whether the directory had its first pass (firstPass new records what is there, announced or not). */
  knowsDepot(account: string): boolean {
    return this.statements.get("SELECT 1 FROM first_pass WHERE account = ? AND folder = ''").get(account) !== undefined;
  }

  /** The first pass of a directory: with firstPass new, what is there now is recorded, not announced. */
  firstDepotPass(account: string, skipped: ReadonlyArray<{ readonly name: string; readonly key: string }>): void {
    this.db.transaction(() => {
      for (const { name, key } of skipped) this.recordDepotItem(account, name, key);
      this.statements.get("INSERT OR IGNORE INTO first_pass (account, folder, until_uid) VALUES (?, '', 0)").run(account);
    })();
  }

  /** vip: a message another host announced moves this folder's cursor too (a new UIDVALIDITY starts it again). */
  follow(account: string, folder: string, uidValidity: number, uid: number, identity: string | undefined): void {
    this.db.transaction(() => {
      if (this.cursor(account, folder)?.uidValidity !== uidValidity) this.resetCursor(account, folder, uidValidity, 0);
      this.advance(account, folder, uid, identity);
    })();
  }

  snapshot(): CursorSnapshot {
    const imap = this.statements.get('SELECT account, folder, uid_validity, last_uid FROM imap_cursor').all() as Array<{ account: string; folder: string; uid_validity: number; last_uid: number }>;
    const pop = this.statements.get('SELECT account, uidl FROM pop_announced ORDER BY account').all() as Array<{ account: string; uidl: string }>;
    const uidls = new Map<string, string[]>();
    for (const { account, uidl } of pop) {
      const list = uidls.get(account);
      if (list) list.push(uidl);
      else uidls.set(account, [uidl]);
    }
    return {
      imap: imap.map((row) => ({ account: row.account, folder: row.folder, uidValidity: row.uid_validity, lastUid: row.last_uid })),
      pop: [...uidls].map(([account, list]) => ({ account, uidls: list })),
    };
  }

  /** Another host's whole cursor: each folder moves to it, never back within one UIDVALIDITY. A malformed one is refused whole (the transaction rolls back). */
  applySnapshot(snapshot: CursorSnapshot): void {
    this.db.transaction(() => {
      for (const { account, folder, uidValidity, lastUid } of snapshot.imap ?? []) {
        if (typeof account === 'string' && typeof folder === 'string') this.follow(account, folder, uidValidity, lastUid, undefined);
      }
      for (const { account, uidls } of snapshot.pop ?? []) {
        for (const uidl of Array.isArray(uidls) ? uidls : []) if (typeof uidl === 'string') this.recordPop(account, uidl);
      }
    })();
  }

  /** nodupe_ttl: whether this message was announced from the account (any folder) in the last `seconds`. */
  /**
   * Runs `work` (records of one pass's batch) in one transaction: a commit per message was
   * most of the poll's time in SQLite. Killed before the commit, none of them is recorded and
   * the batch is announced again (the subscribe knows what it has done); never half of one.
   */
  together<T>(work: () => T): T {
    return this.db.transaction(work).immediate();
  }

  announcedWithin(account: string, message: string, seconds: number): boolean {
    return this.statements.get('SELECT 1 FROM nodupe WHERE account = ? AND message = ? AND announced >= ?').get(account, message, Date.now() / 1000 - seconds) !== undefined;
  }

  rememberAnnounced(account: string, message: string): void {
    this.statements.get('INSERT OR REPLACE INTO nodupe (account, message, announced) VALUES (?, ?, ?)').run(account, message, Date.now() / 1000);
  }

  /** At housekeeping: what nodupe_ttl no longer covers is forgotten. */
  forgetAnnouncedBefore(seconds: number): void {
    this.statements.get('DELETE FROM nodupe WHERE announced < ?').run(Date.now() / 1000 - seconds);
  }

  close(): void {
    this.db.close();
  }
}
