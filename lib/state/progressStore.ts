// Progress that survives restarts and errors (sr status --full): each instance adds what its
// counters grew by since its last heartbeat to one SQLite file per config, so the totals
// count from the config's first start, whatever restarted or failed since.
import fs from 'node:fs';
import Database from 'better-sqlite3';
import { openDatabase, Statements } from '../system/sqlite.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS totals (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS since (at TEXT NOT NULL);
`;

export interface Progress {
  readonly totals: Readonly<Record<string, number>>;
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
  add(deltas: Readonly<Record<string, number>>): void {
    const entries = Object.entries(deltas).filter(([, value]) => value !== 0);
    if (entries.length === 0) return;
    this.db.transaction(() => {
      if (this.statements.get('SELECT 1 FROM since').get() === undefined) this.statements.get('INSERT INTO since (at) VALUES (?)').run(new Date().toISOString());
      for (const [name, value] of entries) {
        this.statements.get('INSERT INTO totals (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = value + excluded.value').run(name, value);
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

function totalsOf(db: Database.Database): Record<string, number> {
  const rows = db.prepare('SELECT name, value FROM totals ORDER BY name').all() as Array<{ name: string; value: number }>;
  return Object.fromEntries(rows.map((row) => [row.name, row.value]));
}

/** The progress as kept, read without writing (sr status); nothing when the config never counted. */
export function readProgress(file: string): Progress {
  if (!fs.existsSync(file)) return { totals: {}, since: undefined };
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    const since = db.prepare('SELECT at FROM since').get() as { at: string } | undefined;
    return { totals: totalsOf(db), since: since?.at };
  } finally {
    db.close();
  }
}
