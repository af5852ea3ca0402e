// What a subscribe must remember across restarts and share between its instances, in one
// SQLite file in the config's state directory:
// - done: messages fully ingested (files, notifications, mail action), by their server
//   identity and by Message-ID, for nodupe_ttl: a redelivered or re-announced message
//   writes nothing again;
// - posted: messages whose files and notifications are durable but whose mail action may
//   not have happened: after a crash there, a redelivery goes straight to the action;
// - failures: the tries of a message that keeps failing, so that retry_ttl and attempts
//   count across redeliveries and restarts;
// - names: which message part each output file name was given to, claimed before the file
//   is linked there, so that a retry knows its own file from another message's file that
//   happens to have the same name and bytes (two mails with the same body text).
import type Database from 'better-sqlite3';
import { PerTurn } from '../system/perTurn.js';
import { openDatabase, Statements } from '../system/sqlite.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS done (key TEXT PRIMARY KEY, at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS posted (key TEXT PRIMARY KEY, at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS names (path TEXT PRIMARY KEY, owner TEXT NOT NULL, at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS failures (
  key TEXT PRIMARY KEY,
  -- failures retrying cannot cure (counted against attempts)
  lasting INTEGER NOT NULL DEFAULT 0,
  first_at REAL NOT NULL,
  reason TEXT NOT NULL
);
`;

export interface NameClaim {
  readonly path: string;
  readonly owner: string;
}

export interface FailureRecord {
  readonly lasting: number;
  /** epoch milliseconds of the first failure */
  readonly firstAt: number;
}

const now = () => Date.now() / 1000;

export class SubscribeState {
  private readonly statements: Statements;

  private constructor(private readonly db: Database.Database) {
    this.statements = new Statements(db);
  }

  private run(sql: string, ...values: unknown[]): Database.RunResult {
    return this.statements.get(sql).run(...values);
  }

  static open(file: string): SubscribeState {
    return new SubscribeState(openDatabase(file, SCHEMA));
  }

  /** The first of `keys` already done, if any. */
  doneKey(keys: readonly string[]): string | undefined {
    const statement = this.statements.get('SELECT 1 FROM done WHERE key = ?');
    return keys.find((key) => statement.get(key) !== undefined);
  }

  isPosted(key: string): boolean {
    return this.statements.get('SELECT 1 FROM posted WHERE key = ?').get(key) !== undefined;
  }

  markPosted(key: string): void {
    this.run('INSERT OR REPLACE INTO posted (key, at) VALUES (?, ?)', key, now());
  }

  private readonly postedSoon = new PerTurn<string>((keys) => {
    this.db.transaction(() => { for (const key of keys) this.markPosted(key); }).immediate();
  });

  /** markPosted for the messages of one turn, in one transaction (as markDoneSoon); resolves once committed. */
  markPostedSoon(key: string): Promise<void> {
    return this.postedSoon.add(key);
  }

  private readonly doneSoon = new PerTurn<readonly string[]>((keys) => this.markDone(keys.flat()));

  /**
   * markDone, for the messages finishing together: the messages of one mail-action batch
   * finish in the same turn of the event loop, and their marks go in one transaction at the
   * end of it, not one each (a commit each was a tenth of the main thread's time). Resolves
   * once committed: nothing is acknowledged before.
   */
  markDoneSoon(keys: readonly string[]): Promise<void> {
    return this.doneSoon.add(keys);
  }

  /** The message is done: remembered under every key, its journal and failures forgotten. */
  markDone(keys: readonly string[]): void {
    this.db.transaction(() => {
      for (const key of keys) {
        this.run('INSERT OR REPLACE INTO done (key, at) VALUES (?, ?)', key, now());
        this.run('DELETE FROM posted WHERE key = ?', key);
        this.run('DELETE FROM failures WHERE key = ?', key);
      }
    }).immediate();
  }

  /** Forgets the message, done or failed: `sr quarantine retry` sends it through again. */
  forget(key: string): void {
    this.db.transaction(() => {
      for (const table of ['done', 'posted', 'failures']) this.run(`DELETE FROM ${table} WHERE key = ?`, key);
    }).immediate();
  }

  /** Records one more failure; `lasting` for one retrying cannot cure. Returns the record after it. */
  recordFailure(key: string, reason: string, lasting: boolean): FailureRecord {
    const row = this.statements.get(`INSERT INTO failures (key, lasting, first_at, reason) VALUES (?, ?, ?, ?)
      ON CONFLICT (key) DO UPDATE SET lasting = lasting + excluded.lasting, reason = excluded.reason
      RETURNING lasting, first_at`).get(key, lasting ? 1 : 0, now(), reason) as { lasting: number; first_at: number };
    return { lasting: row.lasting, firstAt: row.first_at * 1000 };
  }

  /**
   * Gives each path to its owner unless another owner has it, all in one transaction (one
   * lock for a message's files, not one per file); returns the paths that are their owner's.
   * Atomic across instances and threads.
   */
  claimNames(claims: readonly NameClaim[]): Set<string> {
    if (claims.length === 0) return new Set();
    return this.db.transaction(() => this.claimEach(claims)).immediate();
  }

  private claimEach(claims: readonly NameClaim[]): Set<string> {
    // The row that stays is the first owner's; RETURNING says whose it is.
    const claim = this.statements.get('INSERT INTO names (path, owner, at) VALUES (?, ?, ?) ON CONFLICT (path) DO UPDATE SET at = at RETURNING owner');
    const ours = new Set<string>();
    for (const { path, owner } of claims) {
      if ((claim.get(path, owner, now()) as { owner: string }).owner === owner) ours.add(path);
    }
    return ours;
  }

  private readonly claimsSoon = new PerTurn<readonly NameClaim[], Set<string>>((batches) => this.db.transaction(() => batches.map((claims) => this.claimEach(claims))).immediate());

  /** claimNames for the messages of one turn, in one transaction (a commit per message was a twentieth of a decode thread). */
  claimNamesSoon(claims: readonly NameClaim[]): Promise<Set<string>> {
    return claims.length === 0 ? Promise.resolve(new Set()) : this.claimsSoon.add(claims);
  }

  /** Forgets what is older than the ttl (seconds; 0 keeps it forever). */
  expire(nodupeTtlSeconds: number): number {
    if (nodupeTtlSeconds <= 0) return 0;
    const before = now() - nodupeTtlSeconds;
    return this.db.transaction(() => this.run('DELETE FROM done WHERE at < ?', before).changes
      + this.run('DELETE FROM names WHERE at < ?', before).changes)();
  }

  close(): void {
    this.db.close();
  }
}
