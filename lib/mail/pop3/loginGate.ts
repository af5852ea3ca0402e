// POP3 logins of one account kept as far apart as its server asks (RFC 2449 LOGIN-DELAY:
// Cyrus, as Debian configures it, refuses logins of a user less than 60 s apart). The poll
// and the subscribes each log in on their own, in processes of their own: they take turns
// through one SQLite file on this host, first come first served, so that none of them
// starves the others and no login is wasted on a refusal. Without a LOGIN-DELAY a turn is
// granted at once.
import type Database from 'better-sqlite3';
import { openDatabase, Statements } from '../../system/sqlite.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS pop3_account (
  account TEXT PRIMARY KEY,
  -- seconds the server wants between logins (its CAPA LOGIN-DELAY), 0 when it said none
  delay REAL NOT NULL DEFAULT 0,
  last_login REAL NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS pop3_waiting (
  ticket INTEGER PRIMARY KEY AUTOINCREMENT,
  account TEXT NOT NULL, pid INTEGER NOT NULL
);
`;

/** How often a waiter looks again when it is not its turn (another may have finished sooner). */
const LOOK_AGAIN_MS = 1000;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class LoginGate {
  private readonly statements: Statements;

  private constructor(private readonly db: Database.Database) {
    this.statements = new Statements(db);
  }

  static open(file: string): LoginGate {
    return new LoginGate(openDatabase(file, SCHEMA));
  }

  /** What the server said of its delay between logins (CAPA LOGIN-DELAY), in seconds; written only when it changed. */
  learn(account: string, delaySeconds: number): void {
    if (this.delayOf(account) === delaySeconds) return;
    this.statements.get(`INSERT INTO pop3_account (account, delay) VALUES (?, ?)
      ON CONFLICT (account) DO UPDATE SET delay = excluded.delay`).run(account, delaySeconds);
  }

  /** The delay known for the account, in seconds (0 when its server asked for none). */
  delayOf(account: string): number {
    return (this.statements.get('SELECT delay FROM pop3_account WHERE account = ?').get(account) as { delay: number } | undefined)?.delay ?? 0;
  }

  /**
   * Waits for this process's turn to log in to the account and takes it: the oldest waiter
   * goes first, once the delay since the last login of any process has passed. `onWait` is
   * told how long the wait is when there is one; `stopped` ends the wait early (false).
   */
  async turn(account: string, stopped: () => boolean, onWait?: (seconds: number) => void): Promise<boolean> {
    const ticket = Number(this.statements.get('INSERT INTO pop3_waiting (account, pid) VALUES (?, ?)').run(account, process.pid).lastInsertRowid);
    let told = false;
    try {
      for (;;) {
        if (stopped()) return false;
        const waitMs = this.tryTake(account, ticket);
        if (waitMs === 0) return true;
        if (!told && waitMs > LOOK_AGAIN_MS) {
          told = true;
          onWait?.(Math.ceil(waitMs / 1000));
        }
        await new Promise((resolve) => setTimeout(resolve, Math.min(waitMs, LOOK_AGAIN_MS)));
      }
    } finally {
      this.statements.get('DELETE FROM pop3_waiting WHERE ticket = ?').run(ticket);
    }
  }

  /**
   * A login just succeeded (or was refused for coming too soon): the delay counts from now,
   * not from the turn, which came a connection and a TLS handshake earlier.
   */
  loggedIn(account: string): void {
    this.recordLogin(account, Date.now() / 1000);
  }

  private recordLogin(account: string, at: number): void {
    this.statements.get(`INSERT INTO pop3_account (account, last_login) VALUES (?, ?)
      ON CONFLICT (account) DO UPDATE SET last_login = excluded.last_login`).run(account, at);
  }

  /** Takes the turn when it is this ticket's (0), or says how long until the delay has passed. */
  private tryTake(account: string, ticket: number): number {
    return this.db.transaction(() => {
      // Waiters of processes that died (kill -9) never come back for their turn.
      const waiting = this.statements.get('SELECT ticket, pid FROM pop3_waiting WHERE account = ? ORDER BY ticket').all(account) as Array<{ ticket: number; pid: number }>;
      const first = waiting.find((waiter) => waiter.ticket === ticket || alive(waiter.pid));
      for (const waiter of waiting) {
        if (waiter === first) break;
        this.statements.get('DELETE FROM pop3_waiting WHERE ticket = ?').run(waiter.ticket);
      }
      const row = this.statements.get('SELECT delay, last_login FROM pop3_account WHERE account = ?').get(account) as { delay: number; last_login: number } | undefined;
      const now = Date.now() / 1000;
      const dueIn = row ? Math.max(0, row.last_login + row.delay - now) * 1000 : 0;
      if (first?.ticket !== ticket) return Math.max(dueIn, LOOK_AGAIN_MS);
      if (dueIn > 0) return dueIn;
      this.recordLogin(account, now);
      return 0;
    }).immediate();
  }

  close(): void {
    this.db.close();
  }
}
