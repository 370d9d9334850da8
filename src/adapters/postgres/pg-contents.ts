/**
 * What the Postgres store reads for the shards: every row a full reload needs (one REPEATABLE READ view)
 * and one actor's rows, with stored JSON read under the read limits (a quarantined snapshot reads as none).
 * Each runs on PgStore's one connection. Split from store.ts, which keeps the connection.
 */
import type pg from 'pg';
import type {
  KeyContents,
  StoreContents,
  StoredLease,
  StoredLock,
  StoredOrder,
  StoredTable,
} from '../../ports/store.js';
import type { OrderSnapshot } from '../../protocol/snapshot.js';
import { UNREADABLE, type StoredJsonReader } from './stored-json.js';

type Row = Record<string, unknown>;

/** Start each query only after the one before it finished (a pg client runs one at a time). */
async function sequential<T extends readonly (() => Promise<unknown>)[]>(
  thunks: T,
): Promise<{ -readonly [K in keyof T]: Awaited<ReturnType<T[K]>> }> {
  const out: unknown[] = [];
  for (const thunk of thunks) out.push(await thunk());
  return out as { -readonly [K in keyof T]: Awaited<ReturnType<T[K]>> };
}

/** A stored snapshot, or null when it is quarantined: the order keeps its version and route. */
function snapshotOf(json: StoredJsonReader, text: string | null, posReference: string): OrderSnapshot | null {
  const snapshot = json.read<OrderSnapshot>(text, 'order', posReference);
  return snapshot === UNREADABLE ? null : snapshot;
}

/** Every row of a full reload, in one REPEATABLE READ view (read on the connection). */
export async function contentsRows(c: pg.Client) {
  const q = async <T extends Row>(sql: string): Promise<T[]> => (await c.query<T>(sql)).rows;
  // One after another: one connection runs one query at a time (and REPEATABLE READ makes them one view).
  await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  const all = await sequential([
    () =>
      q<{
        posReference: string;
        homeKey: string;
        tableId: number | null;
        version: number;
        snapshot: string | null;
        state: string | null;
        terminalId: string | null;
        odooOrderId: number | null;
      }>(
        `SELECT pos_reference AS "posReference", home_key AS "homeKey", table_id AS "tableId", version, snapshot, state, terminal_id AS "terminalId",
         odoo_order_id AS "odooOrderId" FROM orders ORDER BY pos_reference`,
      ),
    () =>
      q<StoredLease & Row>(
        `SELECT pos_reference AS "posReference", home_key AS "homeKey", terminal_id AS "terminalId", role, table_id AS "tableId", expires_at AS "expiresAt", epoch FROM leases`,
      ),
    () =>
      q<StoredLock & Row>(
        `SELECT table_id AS "tableId", terminal_id AS "terminalId", role, expires_at AS "expiresAt", epoch FROM table_locks`,
      ),
    () =>
      q<StoredTable & Row>(
        `SELECT table_id AS "tableId", status, pos_reference AS "posReference" FROM tables ORDER BY table_id`,
      ),
    () => q<{ floorId: number; plan: string }>(`SELECT floor_id AS "floorId", plan FROM floor_plans ORDER BY floor_id`),
    () => q<{ key: string; homeKey: string; epoch: number }>(`SELECT key, home_key AS "homeKey", epoch FROM epochs`),
    () =>
      q<{ terminalId: string; owner: string; mutationId: string; homeKey: string }>(
        `SELECT terminal_id AS "terminalId", owner, mutation_id AS "mutationId", home_key AS "homeKey" FROM mutations`,
      ),
    () =>
      q<{ posReference: string }>(
        `SELECT pos_reference AS "posReference" FROM events WHERE type = 'ORDER_FINALIZE' AND status IN ('pending', 'forwarded')
       UNION SELECT pos_reference FROM orders WHERE odoo_order_id IS NOT NULL`,
      ),
  ] as const);
  await c.query('COMMIT');
  return all;
}

/** The rows as the port's StoreContents (read after the connection is free). */
export function contentsFrom(
  [orders, leases, locks, tables, plans, epochs, mutations, finalizing]: Awaited<ReturnType<typeof contentsRows>>,
  json: StoredJsonReader,
): StoreContents {
  const floorPlans: unknown[] = [];
  for (const p of plans) {
    const plan = json.read<unknown>(p.plan, 'floor_plan', String(p.floorId));
    if (plan !== UNREADABLE && plan !== null) floorPlans.push(plan);
  }
  return {
    orders: orders.map((o): StoredOrder => ({ ...o, snapshot: snapshotOf(json, o.snapshot, o.posReference) })),
    leases,
    locks,
    tables,
    floorPlans,
    epochs,
    mutations,
    finalizing: finalizing.map((f) => f.posReference),
  };
}

/** One actor's rows (its home key): orders, leases, lock, table, lease epochs, mutation ids. */
export async function seedOn(c: pg.Client, json: StoredJsonReader, homeKey: string): Promise<KeyContents> {
  const tableId = homeKey.startsWith('t:') ? Number(homeKey.slice(2)) : null;
  const q = async <T extends Row>(sql: string, params: unknown[]): Promise<T[]> => (await c.query<T>(sql, params)).rows;
  const orders = await q<{
    posReference: string;
    tableId: number | null;
    version: number;
    snapshot: string | null;
    state: string | null;
    finalizing: boolean;
  }>(
    `SELECT o.pos_reference AS "posReference", o.table_id AS "tableId", o.version, o.snapshot, o.state,
       (o.odoo_order_id IS NOT NULL OR EXISTS (SELECT 1 FROM events e WHERE e.type = 'ORDER_FINALIZE' AND e.pos_reference = o.pos_reference
         AND e.status IN ('pending', 'forwarded'))) AS finalizing
     FROM orders o WHERE o.home_key = $1`,
    [homeKey],
  );
  const leases = await q<Omit<StoredLease, 'homeKey'> & Row>(
    `SELECT pos_reference AS "posReference", terminal_id AS "terminalId", role, table_id AS "tableId", expires_at AS "expiresAt", epoch FROM leases WHERE home_key = $1`,
    [homeKey],
  );
  const lock =
    tableId === null
      ? []
      : await q<Omit<StoredLock, 'tableId'> & Row>(
          `SELECT terminal_id AS "terminalId", role, expires_at AS "expiresAt", epoch FROM table_locks WHERE table_id = $1`,
          [tableId],
        );
  const table =
    tableId === null
      ? []
      : await q<Omit<StoredTable, 'tableId'> & Row>(
          `SELECT status, pos_reference AS "posReference" FROM tables WHERE table_id = $1`,
          [tableId],
        );
  const epochs = await q<{ key: string; epoch: number }>(`SELECT key, epoch FROM epochs WHERE home_key = $1`, [
    homeKey,
  ]);
  const mutations = await q<{ terminalId: string; owner: string; mutationId: string }>(
    `SELECT terminal_id AS "terminalId", owner, mutation_id AS "mutationId" FROM mutations WHERE home_key = $1`,
    [homeKey],
  );
  return {
    orders: orders.map((o) => ({
      posReference: o.posReference,
      tableId: o.tableId,
      version: o.version,
      snapshot: snapshotOf(json, o.snapshot, o.posReference),
      state: o.state,
    })),
    leases,
    lock: lock[0] ?? null,
    table: table[0] ?? null,
    epochs,
    mutations,
    finalizing: orders.filter((o) => o.finalizing).map((o) => o.posReference),
  };
}
