/**
 * Durability against a real child-process hub: SIGKILL in the middle of a stream of snapshots, then a
 * restart on the same SQLite file. Every ORDER_ACK'd write must be there, in order, and the other
 * terminal must never have been shown a version that was not committed. Also: SIGTERM shuts down
 * gracefully (1001 to sockets, exit 0) after committing what was in flight.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { bootHubs } from '../../helpers/start-hub.js';
import { TestTerminal, snapshot } from '../../helpers/terminal.js';

const boot = bootHubs();

const IN_FLIGHT = 8;
const KILL_AFTER_ACKS = 120;

describe('hub crash safety', () => {
  it('keeps every acknowledged write across SIGKILL and never broadcast an uncommitted one', async () => {
    const first = await boot({ mode: 'child-process' });
    const writer = await TestTerminal.connect(first.wsUrl, { deviceId: 'crash-writer' });
    const observer = await TestTerminal.connect(first.wsUrl, { deviceId: 'crash-observer' });
    writer.send({ type: 'LEASE_ACQUIRE', posReference: 'Crash-1', baseVersion: 0, tableId: 3 });
    await writer.awaitType('LEASE_GRANTED');

    // A steady stream with IN_FLIGHT writes always outstanding, so the kill lands mid-stream.
    let sent = 0;
    const sendNext = (): void => {
      sent += 1;
      writer.send({
        type: 'ORDER_SNAPSHOT',
        posReference: 'Crash-1',
        baseVersion: sent - 1,
        mutationId: `w-${sent}`,
        snapshot: snapshot('Crash-1', 3, { staffName: `v${sent}` }),
      });
    };
    for (let i = 0; i < IN_FLIGHT; i++) sendNext();
    const acked: number[] = [];
    while (acked.length < KILL_AFTER_ACKS) {
      const ack = await writer.awaitType('ORDER_ACK');
      acked.push(Number(ack.version));
      sendNext();
    }
    // Every ack still sends the next write while the kill lands, so IN_FLIGHT writes are outstanding when
    // it does: on a busy box the hub could otherwise ack the last ones before the signal arrives.
    const pump = (async (): Promise<void> => {
      for (;;) {
        const ack = await writer.awaitType('ORDER_ACK').catch(() => null);
        if (ack === null) return;
        acked.push(Number(ack.version));
        sendNext();
      }
    })();
    await first.kill('SIGKILL');
    expect((await first.exit)?.signal).toBe('SIGKILL');
    await writer.closed;
    await pump;
    // Late acks that were already on the wire before the kill count as acknowledged too.
    for (const m of writer.messages) if (m.type === 'ORDER_ACK' && !acked.includes(Number(m.version))) acked.push(Number(m.version));
    const broadcast = observer.messages.filter((m) => m.type === 'ORDER_UPDATED').map((m) => ({ version: Number(m.version), seq: Number(m.seq), staff: (m.snapshot as { staffName: string }).staffName }));
    expect(acked).toEqual(Array.from({ length: acked.length }, (_, i) => i + 1));
    expect(sent).toBeGreaterThan(acked.length);

    // Restart on the same file: SYNC_INIT shows at least every acknowledged version.
    const second = await boot({ mode: 'child-process', dbPath: first.dbPath });
    const reader = await TestTerminal.connect(second.wsUrl, { deviceId: 'crash-reader' });
    const order = (reader.messages[1]!.orders as Array<{ posReference: string; version: number; snapshot: { staffName: string } }>).find((o) => o.posReference === 'Crash-1');
    expect(order).toBeDefined();
    const committed = order!.version;
    expect(committed).toBeGreaterThanOrEqual(Math.max(...acked));
    expect(order!.snapshot.staffName).toBe(`v${committed}`);
    await reader.close();
    await second.close();

    // The event log holds every committed version exactly once, in commit order.
    const db = new Database(first.dbPath, { readonly: true });
    try {
      const rows = db.prepare(`SELECT id, payload FROM events WHERE type = 'ORDER_UPDATED' AND pos_reference = 'Crash-1' ORDER BY id`).all() as { id: number; payload: string }[];
      const logged = rows.map((r) => {
        const p = JSON.parse(r.payload) as { version: number; seq: number; snapshot: { staffName: string } };
        return { id: r.id, version: p.version, seq: p.seq, staff: p.snapshot.staffName };
      });
      expect(logged.map((l) => l.version)).toEqual(Array.from({ length: committed }, (_, i) => i + 1));
      for (const l of logged) {
        expect(l.seq).toBe(l.id);
        expect(l.staff).toBe(`v${l.version}`);
      }
      // Nothing the observer saw was uncommitted: each broadcast matches its logged event.
      const bySeq = new Map(logged.map((l) => [l.seq, l]));
      for (const b of broadcast) expect(bySeq.get(b.seq)).toEqual({ id: b.seq, version: b.version, seq: b.seq, staff: b.staff });
      const orderRow = db.prepare(`SELECT pos_reference, version, terminal_id, updated_at FROM orders`).get() as { version: number; terminal_id: string };
      expect(orderRow).toMatchObject({ version: committed, terminal_id: 'crash-writer' });
      const mutations = db.prepare(`SELECT count(*) AS n FROM mutations WHERE terminal_id = 'crash-writer'`).get() as { n: number };
      expect(mutations.n).toBe(committed);
    } finally {
      db.close();
    }
  });

  it('shuts down on SIGTERM: commits in-flight writes, closes sockets with 1001, exits 0', async () => {
    const hub = await boot({ mode: 'child-process' });
    const t = await TestTerminal.connect(hub.wsUrl, { deviceId: 'term-1' });
    t.send({ type: 'LEASE_ACQUIRE', posReference: 'Bye-1', baseVersion: 0 });
    await t.awaitType('LEASE_GRANTED');
    t.send({ type: 'ORDER_SNAPSHOT', posReference: 'Bye-1', baseVersion: 0, snapshot: snapshot('Bye-1', null) });
    await t.awaitType('ORDER_ACK');
    await hub.kill('SIGTERM');
    expect((await t.closed).code).toBe(1001);
    expect(await hub.exit).toEqual({ code: 0, signal: null });
    const db = new Database(hub.dbPath, { readonly: true });
    try {
      expect(db.prepare(`SELECT version FROM orders WHERE pos_reference = 'Bye-1'`).get()).toEqual({ version: 1 });
    } finally {
      db.close();
    }
  });

  it('exits 78 and names every invalid variable when the configuration is bad', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: fileURLToPath(new URL('../../../', import.meta.url)),
      env: { PATH: process.env.PATH ?? '', HUB_ENV_FILE: '/nonexistent/.env', HUB_HTTP_PORT: 'eighty', HUB_SHARDS: '0', HUB_DEV_AUTH: 'true' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(run.status).toBe(78);
    expect(run.stderr).toContain('HUB_HTTP_PORT');
    expect(run.stderr).toContain('HUB_SHARDS');
  });
});
