/**
 * One unit's ops applied inside the Postgres commit's transaction: its mutation id answered instead of
 * applied twice (a retried commit), each op's rows written, events numbered from the cursor. Split from
 * store.ts so the connection handling (reconnect, timeouts, high-water mark) reads apart from the rows.
 */
import type pg from 'pg';
import type { StoreOp, StoreUnit, UnitOutcome, UnitReply } from '../../ports/store.js';
import { UNREADABLE, type StoredJsonReader } from './stored-json.js';

const iso = (ms: number): string => new Date(ms).toISOString();

export async function applyUnit(
  c: pg.Client,
  json: StoredJsonReader,
  unit: StoreUnit,
  cursor: { seq: number },
  now: number,
): Promise<UnitOutcome> {
  if (unit.dedupe !== undefined) {
    const reply = await mutationOn(c, json, unit.dedupe.terminalId, unit.dedupe.mutationId, unit.dedupe.owner ?? '');
    if (reply !== undefined) return { kind: 'duplicate', reply };
  }
  let seq: number | null = null;
  const replies: UnitReply[] = [];
  const mutations: Extract<StoreOp, { op: 'mutation' }>[] = [];
  const at = iso(now);
  for (const op of unit.ops) {
    switch (op.op) {
      case 'order_put': {
        const o = op.order;
        await c.query(
          `INSERT INTO orders (pos_reference, home_key, table_id, version, snapshot, state, terminal_id, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
           ON CONFLICT (pos_reference) DO UPDATE SET table_id = excluded.table_id, version = excluded.version, snapshot = excluded.snapshot,
             state = excluded.state, terminal_id = excluded.terminal_id, updated_at = excluded.updated_at`,
          [
            o.posReference,
            o.homeKey,
            o.tableId,
            o.version,
            o.snapshot === null ? null : JSON.stringify(o.snapshot),
            o.state,
            o.terminalId,
            at,
          ],
        );
        break;
      }
      case 'lease_put': {
        const l = op.lease;
        await c.query(
          `INSERT INTO leases (pos_reference, home_key, terminal_id, role, table_id, expires_at, epoch) VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (pos_reference) DO UPDATE SET terminal_id = excluded.terminal_id, role = excluded.role, table_id = excluded.table_id,
             expires_at = excluded.expires_at, epoch = excluded.epoch`,
          [l.posReference, l.homeKey, l.terminalId, l.role, l.tableId, l.expiresAt, l.epoch],
        );
        await putEpoch(c, `lease:${l.posReference}`, l.homeKey, l.epoch);
        break;
      }
      case 'lease_delete':
        await c.query('DELETE FROM leases WHERE pos_reference = $1', [op.posReference]);
        break;
      case 'lock_put': {
        const l = op.lock;
        await c.query(
          `INSERT INTO table_locks (table_id, terminal_id, role, expires_at, epoch) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (table_id) DO UPDATE SET terminal_id = excluded.terminal_id, role = excluded.role, expires_at = excluded.expires_at, epoch = excluded.epoch`,
          [l.tableId, l.terminalId, l.role, l.expiresAt, l.epoch],
        );
        await putEpoch(c, `lock:${l.tableId}`, `t:${l.tableId}`, l.epoch);
        break;
      }
      case 'lock_delete':
        await c.query('DELETE FROM table_locks WHERE table_id = $1', [op.tableId]);
        break;
      case 'table_put':
        await c.query(
          `INSERT INTO tables (table_id, status, pos_reference, updated_at) VALUES ($1, $2, $3, $4)
           ON CONFLICT (table_id) DO UPDATE SET status = excluded.status, pos_reference = excluded.pos_reference, updated_at = excluded.updated_at`,
          [op.table.tableId, op.table.status, op.table.posReference, at],
        );
        break;
      case 'floor_plan_put':
        await c.query(
          `INSERT INTO floor_plans (floor_id, plan, updated_at) VALUES ($1, $2, $3)
           ON CONFLICT (floor_id) DO UPDATE SET plan = excluded.plan, updated_at = excluded.updated_at`,
          [op.floorId, JSON.stringify(op.plan), at],
        );
        break;
      case 'event': {
        const id = cursor.seq + 1;
        await c.query(
          `INSERT INTO events (id, type, pos_reference, payload, source_terminal, forwarded, status, finalize, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
          [
            id,
            op.type,
            op.posReference,
            op.payload === null ? null : JSON.stringify({ ...op.payload, seq: id }),
            op.sourceTerminal,
            op.finalize === undefined ? null : 0,
            op.finalize === undefined ? 'local' : 'pending',
            op.finalize === undefined ? null : JSON.stringify(op.finalize),
            at,
          ],
        );
        cursor.seq = id;
        if (op.payload !== null || seq === null) seq = id;
        break;
      }
      case 'mutation':
        mutations.push(op);
        break;
      case 'replay': {
        const reply = await mutationOn(c, json, op.terminalId, op.mutationId, op.owner ?? '');
        if (reply !== undefined) replies.push({ terminalId: op.terminalId, reply });
        break;
      }
      case 'ticket': {
        const previous =
          op.mutationId === undefined ? undefined : await mutationOn(c, json, op.terminalId, op.mutationId, op.owner ?? '');
        if (previous !== undefined) {
          replies.push({ terminalId: op.terminalId, reply: previous });
          break;
        }
        const { rows } = await c.query<{ n: number }>(
          `INSERT INTO tickets (business_day, order_type, last_number) VALUES ($1, $2, 1)
           ON CONFLICT (business_day, order_type) DO UPDATE SET last_number = tickets.last_number + 1 RETURNING last_number AS n`,
          [op.businessDay, op.orderType],
        );
        const reply = op.reply(rows[0]?.n ?? 1);
        if (op.mutationId !== undefined) await putMutation(c, op.terminalId, op.owner ?? '', op.mutationId, '', null, reply, at);
        replies.push({ terminalId: op.terminalId, reply });
        break;
      }
      case 'meta_put':
        await c.query(
          'INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
          [op.key, op.value],
        );
        break;
      default: {
        const unreachable: never = op;
        throw new Error(`unknown store op ${JSON.stringify(unreachable)}`);
      }
    }
  }
  for (const m of mutations)
    await putMutation(
      c,
      m.terminalId,
      m.owner ?? '',
      m.mutationId,
      m.homeKey,
      m.posReference,
      seq === null ? m.result : { ...m.result, seq },
      at,
    );
  return { kind: 'applied', seq, replies };
}

async function putEpoch(c: pg.Client, key: string, homeKey: string, epoch: number): Promise<void> {
  await c.query(
    'INSERT INTO epochs (key, home_key, epoch) VALUES ($1, $2, $3) ON CONFLICT (key) DO UPDATE SET epoch = GREATEST(epochs.epoch, excluded.epoch)',
    [key, homeKey, epoch],
  );
}

async function putMutation(
  c: pg.Client,
  terminalId: string,
  owner: string,
  mutationId: string,
  homeKey: string,
  posReference: string | null,
  result: unknown,
  at: string,
): Promise<void> {
  await c.query(
    'INSERT INTO mutations (terminal_id, mutation_id, home_key, pos_reference, result, created_at, owner) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING',
    [terminalId, mutationId, homeKey, posReference, JSON.stringify(result), at, owner],
  );
}

export async function mutationOn(
  c: pg.Client,
  json: StoredJsonReader,
  terminalId: string,
  mutationId: string,
  owner: string,
): Promise<unknown> {
  const { rows } = await c.query<{ result: string }>(
    'SELECT result FROM mutations WHERE terminal_id = $1 AND mutation_id = $2 AND owner = $3',
    [terminalId, mutationId, owner],
  );
  const row = rows[0];
  if (row === undefined) return undefined;
  const result = json.read<unknown>(row.result, 'mutation', `${terminalId}/${mutationId}`);
  return result === UNREADABLE || result === null ? undefined : result;
}
