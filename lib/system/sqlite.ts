// Opening the SQLite files mailpump keeps (the local broker, the poll and subscribe state)
// the same way, and running their statements prepared once.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

/** WAL, so readers and one writer work at once across processes; NORMAL sync survives a kill -9. */
export function openDatabase(file: string, schema: string): Database.Database {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const db = new Database(file);
  // The busy timeout first: switching a new file to WAL takes a lock that another
  // process opening it at the same moment would otherwise fail on at once.
  db.pragma('busy_timeout = 30000');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(schema);
  return db;
}

/** Prepares each SQL text once per database: preparing costs more than running the small statements mailpump runs per message. */
export class Statements {
  private readonly prepared = new Map<string, Database.Statement>();

  constructor(private readonly db: Database.Database) {}

  get(sql: string): Database.Statement {
    let statement = this.prepared.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.prepared.set(sql, statement);
    }
    return statement;
  }
}
