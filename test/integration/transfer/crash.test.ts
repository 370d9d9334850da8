/**
 * A cross-shard transfer is atomic under SIGKILL: a child-process hub (HUB_SHARDS=2) is killed in the
 * middle of a pipelined stream of transfers between two tables on different shards, then restarted on
 * the same SQLite file. For every transfer both orders are as they were or both moved, the line uids
 * are conserved with no duplicate anywhere, and re-sent transfers (same mutationId) apply exactly once.
 */
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { OrderSnapshot } from '../../../src/protocol/snapshot.js';
import { shardOf, tableKey } from '../../../src/threads/keys.js';
import { editingOrder } from '../../helpers/domain-orders.js';
import { bootHubs } from '../../helpers/start-hub.js';
import { TestTerminal } from '../../helpers/terminal.js';

const boot = bootHubs();

const LINES = 160;
const IN_FLIGHT = 4;
const KILL_AFTER = 90;
const X = 'NU/CFG1/S42/1-crash-x';
const Y = 'NU/CFG1/S42/1-crash-y';
const uid = (i: number): string => `c${i}`;

function tableOn(shard: number): number {
  for (let t = 1; t < 1000; t++) if (shardOf(tableKey(t), 2) === shard) return t;
  throw new Error(`no table on shard ${shard}`);
}

function readOrders(dbPath: string): {
  x: { version: number; uids: string[] };
  y: { version: number; uids: string[] };
} {
  const db = new Database(dbPath, { readonly: true });
  try {
    const get = (ref: string): { version: number; uids: string[] } => {
      const row = db.prepare(`SELECT version, snapshot FROM orders WHERE pos_reference = ?`).get(ref) as {
        version: number;
        snapshot: string;
      };
      return { version: row.version, uids: (JSON.parse(row.snapshot) as OrderSnapshot).lines.map((l) => l.uid) };
    };
    return { x: get(X), y: get(Y) };
  } finally {
    db.close();
  }
}

/** Where the lines are after the first n transfers (transfer i moves c<i> from X to the end of Y). */
function expected(n: number): { x: string[]; y: string[] } {
  const all = Array.from({ length: LINES }, (_, i) => uid(i + 1));
  return { x: all.slice(n), y: all.slice(0, n) };
}

describe('cross-shard transfer crash safety', () => {
  it('leaves both orders as they were or both moved after SIGKILL mid-stream', async () => {
    const a = tableOn(0);
    const b = tableOn(1);
    const first = await boot({ mode: 'child-process', env: { HUB_SHARDS: '2' } });
    const till = await TestTerminal.connect(first.wsUrl, { deviceId: 'xc-till' });
    const watcher = await TestTerminal.connect(first.wsUrl, { deviceId: 'xc-watch' });
    for (const [ref, table, lines] of [
      [X, a, expected(0).x],
      [Y, b, []],
    ] as const) {
      till.send({ type: 'LEASE_ACQUIRE', posReference: ref, baseVersion: 0, tableId: table });
      await till.awaitType('LEASE_GRANTED', (m) => m.posReference === ref);
      till.send({
        type: 'ORDER_SNAPSHOT',
        posReference: ref,
        baseVersion: 0,
        snapshot: { ...editingOrder(lines, undefined, ref), tableId: table },
      });
      await till.awaitType('ORDER_ACK', (m) => m.posReference === ref);
    }

    // Always X → Y, so every transfer's source is the same (fenced) actor: they queue, never collide.
    let sent = 0;
    const transfer = (i: number): void =>
      till.send({
        type: 'ORDER_TRANSFER',
        fromPosReference: X,
        toPosReference: Y,
        lineUids: [uid(i)],
        mutationId: `xc-${i}`,
      });
    const sendNext = (): void => {
      sent += 1;
      transfer(sent);
    };
    for (let i = 0; i < IN_FLIGHT; i++) sendNext();
    let acked = 0;
    while (acked < KILL_AFTER) {
      const done = await till.awaitMessage(
        (m) => m.type === 'ORDER_TRANSFERRED' || m.type === 'ERROR',
        'a transfer result',
      );
      expect(done).toMatchObject({
        type: 'ORDER_TRANSFERRED',
        fromVersion: acked + 2,
        toVersion: acked + 2,
        mutationId: `xc-${acked + 1}`,
      });
      acked += 1;
      sendNext();
    }
    await first.kill('SIGKILL');
    await till.closed;
    await watcher.closed;
    acked = till.messages.filter((m) => m.type === 'ORDER_TRANSFERRED').length;
    expect(sent).toBeGreaterThan(acked);

    // Restarted on the same file: a contiguous prefix of the transfers is there, each one whole.
    const second = await boot({ mode: 'child-process', env: { HUB_SHARDS: '2' }, dbPath: first.dbPath });
    const after = readOrders(first.dbPath);
    const n = after.x.version - 1;
    expect(after.y.version - 1).toBe(n);
    expect(n).toBeGreaterThanOrEqual(acked);
    expect(n).toBeLessThanOrEqual(sent);
    expect(after.x.uids).toEqual(expected(n).x);
    expect(after.y.uids).toEqual(expected(n).y);
    const everywhere = [...after.x.uids, ...after.y.uids];
    expect(new Set(everywhere).size).toBe(everywhere.length);
    expect([...everywhere].sort()).toEqual(expected(0).x.sort());

    // Nothing the watcher was shown is missing from SQLite.
    for (const m of watcher.messages) {
      if (m.type === 'ORDER_UPDATED' && (m.posReference === X || m.posReference === Y))
        expect(Number(m.version)).toBeLessThanOrEqual(n + 1);
    }

    // The sender re-sends everything it was not told about: each applies once, whether it had committed or not.
    const again = await TestTerminal.connect(second.wsUrl, { deviceId: 'xc-till' });
    for (let i = acked + 1; i <= sent; i++) {
      again.send({
        type: 'ORDER_TRANSFER',
        fromPosReference: X,
        toPosReference: Y,
        lineUids: [uid(i)],
        mutationId: `xc-${i}`,
      });
      expect(
        await again.awaitMessage(
          (m) => m.type === 'ORDER_TRANSFERRED' || m.type === 'ERROR',
          'a re-sent transfer result',
        ),
      ).toMatchObject({
        type: 'ORDER_TRANSFERRED',
        fromVersion: i + 1,
        toVersion: i + 1,
      });
    }
    await again.close();
    await second.close();
    const final = readOrders(first.dbPath);
    expect(final.x).toEqual({ version: sent + 1, uids: expected(sent).x });
    expect(final.y).toEqual({ version: sent + 1, uids: expected(sent).y });
  }, 120_000); // two child-process hubs: each start compiles through tsx, ~4–10 s on this 2-core box
});
