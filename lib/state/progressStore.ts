// Progress that survives restarts and errors (sr status --full): each instance adds what its
// counters grew by since its last heartbeat to one SQLite file per config, so the totals
// count from the config's first start, whatever restarted or failed since.
import fs from 'node:fs';
import Database from 'better-sqlite3';
import { openDatabase, Statements } from '../system/sqlite.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS totals (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS since (at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS mailbox_totals (mailbox TEXT NOT NULL, name TEXT NOT NULL, value INTEGER NOT NULL, PRIMARY KEY (mailbox, name));
`;

/** What an instance's counters grew by since it last added them: in all, and per mailbox. */
export interface ProgressDeltas {
  readonly all: Readonly<Record<string, number>>;
  readonly perMailbox: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

export interface Progress {
  readonly totals: Readonly<Record<string, number>>;
  /** the same per mailbox (account label) */
  readonly perMailbox: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** ISO time of the first counter added: the config's first start that did work */
  readonly since: string | undefined;
}

export class ProgressStore {
  private readonly statements: Statements;

  private constructor(private readonly db: Database.Database) {
    this.statements = new Statements(db);
  }

  static open(file: string): ProgressStore {
    return new ProgressStore(openDatabase(file, SCHEMA));
  }

  /** Adds what the counters grew by, in one transaction. */
  add(deltas: ProgressDeltas): void {
    const grown = (counters: Readonly<Record<string, number>>) => Object.entries(counters).filter(([, value]) => value !== 0);
    const entries = grown(deltas.all);
    const perMailbox = Object.entries(deltas.perMailbox).map(([mailbox, counters]) => [mailbox, grown(counters)] as const).filter(([, each]) => each.length > 0);
    if (entries.length === 0 && perMailbox.length === 0) return;
    this.db.transaction(() => {
      if (this.statements.get('SELECT 1 FROM since').get() === undefined) this.statements.get('INSERT INTO since (at) VALUES (?)').run(new Date().toISOString());
      for (const [name, value] of entries) {
        this.statements.get('INSERT INTO totals (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = value + excluded.value').run(name, value);
      }
      for (const [mailbox, each] of perMailbox) {
        for (const [name, value] of each) {
          this.statements.get('INSERT INTO mailbox_totals (mailbox, name, value) VALUES (?, ?, ?) ON CONFLICT (mailbox, name) DO UPDATE SET value = value + excluded.value').run(mailbox, name, value);
        }
      }
    }).immediate();
  }

  /** The totals as they stand (the metrics show them). */
  totals(): Record<string, number> {
    return totalsOf(this.db);
  }

  close(): void {
    this.db.close();
  }
}

function mailboxTotalsOf(db: Database.Database): Record<string, Record<string, number>> {
  // A file written before the per-mailbox totals existed, opened read-only, has not the table.
  if (db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'mailbox_totals'").get() === undefined) return {};
  const rows = db.prepare('SELECT mailbox, name, value FROM mailbox_totals ORDER BY mailbox, name').all() as Array<{ mailbox: string; name: string; value: number }>;
  const perMailbox: Record<string, Record<string, number>> = {};
  for (const row of rows) (perMailbox[row.mailbox] ??= {})[row.name] = row.value;
  return perMailbox;
}

function totalsOf(db: Database.Database): Record<string, number> {
  const rows = db.prepare('SELECT name, value FROM totals ORDER BY name').all() as Array<{ name: string; value: number }>;
  return Object.fromEntries(rows.map((row) => [row.name, row.value]));
}

/** The progress as kept, read without writing (sr status); nothing when the config never counted. */
export function readProgress(file: string): Progress {
  if (!fs.existsSync(file)) return { totals: {}, perMailbox: {}, since: undefined };
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    const since = db.prepare('SELECT at FROM since').get() as { at: string } | undefined;
    return { totals: totalsOf(db), perMailbox: mailboxTotalsOf(db), since: since?.at };
  } finally {
    db.close();
  }
}
