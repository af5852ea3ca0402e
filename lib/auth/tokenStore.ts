// The OAuth2 grants of this host's accounts: oauth/tokens.db beside credentials.conf
// (../shared/reference/oauth.md 4.2). Not in the cache directory: a refresh token is a
// credential a person had to produce, and sr cleanup must never take it. One row per grant.
//
// Several processes refresh one grant under one lock, SQLite's own write lock (BEGIN
// IMMEDIATE), which the kernel releases when its holder dies, even by kill -9: no stale lock
// to guess about. The lock is tried without waiting (busy_timeout 0) and tried again on a
// timer, so the event loop and the heartbeats go on while a process waits for it.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { UserError } from '../config/errors.js';
import { readableByOthers } from '../config/privateFile.js';

export type GrantState = 'ok' | 'needs_reauth' | 'needs_config';

export interface GrantRow {
  readonly grantKey: string;
  /** the account label it was obtained for, for sr oauth status */
  readonly account: string;
  readonly provider: string;
  readonly accessToken: string | null;
  readonly accessObtainedAt: number | null;
  readonly accessExpiresAt: number | null;
  readonly refreshToken: string | null;
  readonly refreshObtainedAt: number | null;
  readonly lastRefreshAt: number | null;
  readonly refreshCount: number;
  readonly state: GrantState;
  readonly reason: string | null;
  /** a new login makes a new generation: instances that were waiting for one go on */
  readonly generation: number;
  readonly updatedAt: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS grants (
  grant_key TEXT PRIMARY KEY,
  account TEXT NOT NULL,
  provider TEXT NOT NULL,
  access_token TEXT,
  access_obtained_at INTEGER,
  access_expires_at INTEGER,
  refresh_token TEXT,
  refresh_obtained_at INTEGER,
  last_refresh_at INTEGER,
  refresh_count INTEGER NOT NULL DEFAULT 0,
  state TEXT NOT NULL DEFAULT 'ok',
  reason TEXT,
  generation INTEGER NOT NULL DEFAULT 1,
  updated_at INTEGER NOT NULL
);`;

const LOCK_WAIT_MS = 60_000;

export class TokenStoreError extends UserError {}

/** Where the grants of a credentials.conf live: SR_OAUTH_DIR (read-only config mounts) or oauth/ beside it. */
export function tokenDirectory(credentialsFile: string, env: NodeJS.ProcessEnv = process.env): string {
  return env.SR_OAUTH_DIR || path.join(path.dirname(credentialsFile), 'oauth');
}

/** A token answer, as it is stored: the refresh token replaces the stored one only when the answer has one (Google's have none). */
export interface TokenAnswer {
  readonly accessToken: string;
  readonly expiresInSeconds: number;
  readonly refreshToken?: string;
}

export class TokenStore {
  /** one transaction at a time on this process's connection, whichever grant it is for */
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(private readonly db: Database.Database, readonly file: string) {}

  static open(directory: string): TokenStore {
    const file = path.join(directory, 'tokens.db');
    fs.mkdirSync(directory, { recursive: true, mode: 0o700 });
    refuseOpenToOthers(directory, 'directory', 700);
    // Created 0600 before SQLite opens it: its -wal and -shm files take the same mode.
    fs.closeSync(fs.openSync(file, 'a', 0o600));
    refuseOpenToOthers(file, 'file', 600);
    const db = new Database(file);
    db.pragma('busy_timeout = 5000'); // opening only: the lock below never waits inside SQLite
    db.pragma('journal_mode = WAL');
    // A committed rotation of the refresh token must outlive a power cut: the old one may be dead already.
    db.pragma('synchronous = FULL');
    db.pragma('secure_delete = ON');
    db.exec(SCHEMA);
    db.pragma('busy_timeout = 0');
    return new TokenStore(db, file);
  }

  read(grantKey: string): GrantRow | undefined {
    return readGrant(this.db, grantKey);
  }

  all(): GrantRow[] {
    return (this.db.prepare('SELECT * FROM grants ORDER BY account').all() as Array<Record<string, unknown>>).map(toGrant);
  }

  /**
   * Runs `work` holding the store's write lock, shared with every process of the host; its
   * writes are committed (durably) when it returns, rolled back when it throws. Waits for the
   * lock on a timer, up to a minute.
   */
  locked<T>(work: (store: LockedStore) => Promise<T>): Promise<T> {
    const run = this.queue.then(async () => {
      await this.begin();
      try {
        const result = await work(new LockedStore(this.db));
        this.db.exec('COMMIT');
        return result;
      } catch (error) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw error;
      }
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async begin(): Promise<void> {
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (let delay = 10; ; delay = Math.min(200, delay * 2)) {
      try {
        this.db.exec('BEGIN IMMEDIATE');
        return;
      } catch (error) {
        if ((error as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() > deadline) {
          if ((error as { code?: string }).code === 'SQLITE_BUSY') throw new TokenStoreError(`${this.file}: another process has held the token lock for over ${LOCK_WAIT_MS / 1000} s`);
          throw error;
        }
      }
      await new Promise((resolve) => setTimeout(resolve, delay * (0.5 + Math.random())));
    }
  }

  close(): void {
    this.db.close();
  }
}

/** The store's writes, inside its lock. */
export class LockedStore {
  constructor(private readonly db: Database.Database) {}

  read(grantKey: string): GrantRow | undefined {
    return readGrant(this.db, grantKey);
  }

  /** A login's new grant: a new generation, state ok, whatever was there before. */
  saveLogin(grantKey: string, account: string, provider: string, answer: TokenAnswer, now = Date.now()): void {
    const generation = (this.read(grantKey)?.generation ?? 0) + 1;
    this.db.prepare(`INSERT OR REPLACE INTO grants (grant_key, account, provider, access_token, access_obtained_at, access_expires_at,
      refresh_token, refresh_obtained_at, last_refresh_at, refresh_count, state, reason, generation, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, 0, 'ok', NULL, ?, ?)`)
      .run(grantKey, account, provider, answer.accessToken, now, now + answer.expiresInSeconds * 1000, answer.refreshToken ?? null,
        answer.refreshToken ? now : null, generation, now);
  }

  /** A refresh (or a client-credentials grant) answered: the access token, and the rotated refresh token before anything else. */
  saveRefresh(grantKey: string, account: string, provider: string, answer: TokenAnswer, now = Date.now()): void {
    const existing = this.read(grantKey);
    if (!existing) {
      this.saveLogin(grantKey, account, provider, answer, now);
      return;
    }
    this.db.prepare(`UPDATE grants SET access_token = ?, access_obtained_at = ?, access_expires_at = ?,
      refresh_token = COALESCE(?, refresh_token), refresh_obtained_at = CASE WHEN ? IS NULL THEN refresh_obtained_at ELSE ? END,
      last_refresh_at = ?, refresh_count = refresh_count + 1, state = 'ok', reason = NULL, updated_at = ? WHERE grant_key = ?`)
      .run(answer.accessToken, now, now + answer.expiresInSeconds * 1000, answer.refreshToken ?? null, answer.refreshToken ?? null, now, now, now, grantKey);
  }

  /** The grant cannot be refreshed until a person acts: every process sees it, and stops asking the token endpoint. */
  markNeedsAttention(grantKey: string, state: Exclude<GrantState, 'ok'>, reason: string, now = Date.now()): void {
    this.db.prepare('UPDATE grants SET state = ?, reason = ?, access_token = NULL, updated_at = ? WHERE grant_key = ?').run(state, reason, now, grantKey);
  }

  remove(grantKey: string): void {
    this.db.prepare('DELETE FROM grants WHERE grant_key = ?').run(grantKey);
  }
}

function readGrant(db: Database.Database, grantKey: string): GrantRow | undefined {
  const row = db.prepare('SELECT * FROM grants WHERE grant_key = ?').get(grantKey) as Record<string, unknown> | undefined;
  return row ? toGrant(row) : undefined;
}

function refuseOpenToOthers(file: string, what: string, wanted: number): void {
  const stat = fs.statSync(file);
  // A grant stored by another user (sr oauth login run as root) could not be refreshed by the instances.
  if (process.getuid && stat.uid !== process.getuid()) {
    throw new TokenStoreError(`${file}: the OAuth token ${what} belongs to uid ${stat.uid}, not to you (uid ${process.getuid()}): run sr as the user the instances run as`);
  }
  const exposed = readableByOthers(file, stat.mode, `${file}: the OAuth token ${what}`, 'refresh tokens', String(wanted));
  if (exposed) throw new TokenStoreError(exposed);
}

function toGrant(row: Record<string, unknown>): GrantRow {
  const number = (value: unknown) => (value === null || value === undefined ? null : Number(value));
  return {
    grantKey: String(row.grant_key),
    account: String(row.account),
    provider: String(row.provider),
    accessToken: (row.access_token as string | null) ?? null,
    accessObtainedAt: number(row.access_obtained_at),
    accessExpiresAt: number(row.access_expires_at),
    refreshToken: (row.refresh_token as string | null) ?? null,
    refreshObtainedAt: number(row.refresh_obtained_at),
    lastRefreshAt: number(row.last_refresh_at),
    refreshCount: Number(row.refresh_count),
    state: String(row.state) as GrantState,
    reason: (row.reason as string | null) ?? null,
    generation: Number(row.generation),
    updatedAt: Number(row.updated_at),
  };
}
