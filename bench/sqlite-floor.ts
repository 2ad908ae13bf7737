/**
 * Row 7's bare-SQLite reference: the raw-D1 floor's upserts (worker/routes/floor-upsert.ts, the
 * same SQL and statement sizes) run in process with better-sqlite3 on a file database that has every
 * migration applied, one transaction per 200-statement batch as `batch()` is one. It shows what the
 * same writes cost without D1's per-statement and per-batch overhead.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { floorUpsert, floorUpsertSql } from "../worker/routes/floor-upsert.ts";

const MIGRATIONS = join(import.meta.dirname, "..", "migrations");

function numbered(params: unknown[]): Record<number, unknown> {
  const out: Record<number, unknown> = {};
  for (let i = 0; i < params.length; i++) out[i + 1] = params[i];
  return out;
}

export interface SqliteFloor {
  /** Upserts `rows` generated people; answers the elapsed milliseconds. */
  run(rows: number, prefix: string): Promise<number>;
  close(): void;
}

export function openSqliteFloor(): SqliteFloor {
  const dir = mkdtempSync(join(tmpdir(), "sluice-sqlite-floor-"));
  const db = new Database(join(dir, "floor.sqlite"));
  // D1's own settings: write-ahead log, foreign keys enforced.
  db.pragma("journal_mode = WAL");
  db.pragma("foreign_keys = ON");
  for (const file of readdirSync(MIGRATIONS)
    .filter((f) => f.endsWith(".sql"))
    .sort()) {
    for (const sql of readFileSync(join(MIGRATIONS, file), "utf8").split("--> statement-breakpoint")) {
      if (sql.trim()) db.exec(sql);
    }
  }
  const account = "acc_sqlite_floor";
  db.prepare("INSERT INTO accounts (id, name, time_zone, created_at, updated_at) VALUES (?, 'Floor', 'UTC', 0, 0)").run(
    account,
  );
  const statements = new Map<number, Database.Statement>();
  return {
    async run(rows, prefix) {
      const started = performance.now();
      await floorUpsert(
        rows,
        account,
        prefix,
        Date.now(),
        (count) => {
          const prepared = statements.get(count) ?? db.prepare(floorUpsertSql(count));
          statements.set(count, prepared);
          // better-sqlite3 binds numbered parameters (?1, ?2, …) by key, not by position.
          return (params) => () => prepared.run(numbered(params));
        },
        db.transaction((batch: (() => unknown)[]) => {
          for (const run of batch) run();
        }),
      );
      return performance.now() - started;
    },
    close() {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
