/**
 * Issue 12 regressions, items 1 and 2: a deep value can no longer be stored through any pass-through
 * field (every loose schema is tried, JSON and msgpack, 2,500 and 5,000 levels), and a hub restarted on
 * a database that already holds such records (written straight into SQLite) starts, serves a sign-in,
 * leaves them out of SYNC_INIT, counts them in /metrics and reports them to managers.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { msgpackCodec } from '../../../src/protocol/codec.js';
import { bootHubs } from '../../helpers/start-hub.js';
import { TestTerminal, snapshot, snapshotWithLines, type Msg } from '../../helpers/terminal.js';

/** `{"d":{"d":…}}` nested `levels` deep, built without recursion (the value the attack used). */
function deep(levels: number): unknown {
  let v: unknown = 'bottom';
  for (let i = 0; i < levels; i++) v = { d: v };
  return v;
}

const PLACEHOLDER = 'DEEP-VALUE-HERE';

/** `{"d":…}` `levels` deep as JSON text (JSON.stringify recurses, so it is written by hand). */
const deepJson = (levels: number): string => '{"d":'.repeat(levels) + '"bottom"' + '}'.repeat(levels);

/** The same as msgpack bytes: fixmap(1) "d" per level, then the string. */
function deepMsgpack(levels: number): Uint8Array {
  const level = [0x81, 0xa1, 0x64];
  const bottom = msgpackCodec.encode('bottom') as Uint8Array;
  const out = new Uint8Array(levels * level.length + bottom.length);
  for (let i = 0; i < levels; i++) out.set(level, i * level.length);
  out.set(bottom, levels * level.length);
  return out;
}

/** A frame with the placeholder string replaced by a value `levels` deep, in the terminal's encoding. */
function withDeepValue(frame: Msg, levels: number, encoding: 'json' | 'msgpack'): string | Buffer {
  if (encoding === 'json') return JSON.stringify(frame).replace(`"${PLACEHOLDER}"`, deepJson(levels));
  const bytes = Buffer.from(msgpackCodec.encode(frame) as Uint8Array);
  const marker = Buffer.from(msgpackCodec.encode(PLACEHOLDER) as Uint8Array);
  const at = bytes.indexOf(marker);
  return Buffer.concat([bytes.subarray(0, at), deepMsgpack(levels), bytes.subarray(at + marker.length)]);
}

/** Every pass-through (loose) place a terminal can put an unknown field, as a frame carrying `value` there. */
function framesCarrying(value: unknown): Array<{ where: string; frame: Msg }> {
  const order = (ref: string, extra: Record<string, unknown> = {}) => snapshot(ref, null, extra);
  const line = (extra: Record<string, unknown>) => ({ ...(snapshotWithLines('x', null, 1).lines as object[])[0], ...extra });
  return [
    { where: 'FLOOR_PLAN_UPDATE tables[]', frame: { type: 'FLOOR_PLAN_UPDATE', floorId: 1, tables: [{ id: 1, name: 'T1', extra: value }] } },
    { where: 'FLOOR_PLAN_UPDATE', frame: { type: 'FLOOR_PLAN_UPDATE', floorId: 1, tables: [], extra: value } },
    { where: 'ORDER_SNAPSHOT', frame: { type: 'ORDER_SNAPSHOT', posReference: 'D-1', baseVersion: 0, snapshot: order('D-1'), extra: value } },
    { where: 'ORDER_SNAPSHOT snapshot', frame: { type: 'ORDER_SNAPSHOT', posReference: 'D-1', baseVersion: 0, snapshot: order('D-1', { extra: value }) } },
    {
      where: 'ORDER_SNAPSHOT snapshot.lines[]',
      frame: { type: 'ORDER_SNAPSHOT', posReference: 'D-1', baseVersion: 0, snapshot: order('D-1', { lines: [line({ extra: value })], amountTotal: 2 }) },
    },
    {
      where: 'ORDER_SNAPSHOT snapshot.payments[]',
      frame: { type: 'ORDER_SNAPSHOT', posReference: 'D-1', baseVersion: 0, snapshot: order('D-1', { payments: [{ uid: 'p1', journalId: 1, statementId: 1, amount: 0, extra: value }] }) },
    },
    { where: 'ORDER_FINALIZE snapshot', frame: { type: 'ORDER_FINALIZE', posReference: 'D-1', configId: 1, snapshot: order('D-1', { extra: value }) } },
    { where: 'LEASE_RELEASE finalSnapshot', frame: { type: 'LEASE_RELEASE', posReference: 'D-1', finalSnapshot: order('D-1', { extra: value }) } },
    { where: 'LEASE_ACQUIRE', frame: { type: 'LEASE_ACQUIRE', posReference: 'D-1', baseVersion: 0, extra: value } },
    { where: 'TABLE_UPDATE', frame: { type: 'TABLE_UPDATE', tableId: 1, status: 'occupied', extra: value } },
    { where: 'TICKET_NUMBER_REQUEST', frame: { type: 'TICKET_NUMBER_REQUEST', orderType: 'takeout', extra: value } },
    { where: 'HEARTBEAT', frame: { type: 'HEARTBEAT', extra: value } },
  ];
}

describe('stored values cannot crash the hub', () => {
  const boot = bootHubs();

  for (const encoding of ['json', 'msgpack'] as const) {
    it(`refuses a deep value in every pass-through field (${encoding}), keeps the connection and still serves a sign-in`, async () => {
      const hub = await boot();
      // One manager per batch: each batch stays under the abuse threshold (ABUSE_LIMIT invalid frames close 4002).
      for (const levels of [2_500, 5_000]) {
        const manager = await TestTerminal.connect(hub.wsUrl, { deviceId: `m-${encoding}-${levels}`, encoding });
        for (const { where, frame } of framesCarrying(PLACEHOLDER)) {
          manager.sendRaw(withDeepValue(frame, levels, encoding));
          expect(await manager.awaitType('ERROR'), `${where} at ${levels} levels`).toMatchObject({ code: 'FRAME_TOO_DEEP' });
        }
        manager.send({ type: 'HEARTBEAT' });
        await manager.awaitType('HEARTBEAT_ACK');
        expect(manager.closeInfo).toBeNull();
        await manager.close();
      }
      // Within the frame's depth but past the pass-through bound (8 levels): refused by name, not stored.
      const manager = await TestTerminal.connect(hub.wsUrl, { deviceId: `m-${encoding}`, encoding });
      for (const { where, frame } of framesCarrying(deep(9))) {
        manager.send(frame);
        expect(await manager.awaitType('ERROR'), where).toMatchObject({ code: 'PASSTHROUGH_TOO_LARGE' });
      }
      manager.send({ type: 'HEARTBEAT' });
      await manager.awaitType('HEARTBEAT_ACK');
      expect(manager.closeInfo).toBeNull();

      const next = await TestTerminal.open(hub.wsUrl, { deviceId: `next-${encoding}`, encoding });
      const { sync } = await next.authenticate();
      expect(sync).toMatchObject({ type: 'SYNC_INIT', floorPlans: [] });
      await Promise.all([manager.close(), next.close()]);
    });
  }

  it('stores and passes on a pass-through field within the bounds, without prototype keys', async () => {
    const hub = await boot();
    const writer = await TestTerminal.connect(hub.wsUrl, { deviceId: 'w' });
    const reader = await TestTerminal.connect(hub.wsUrl, { deviceId: 'r' });
    writer.send({ type: 'LEASE_ACQUIRE', posReference: 'K-1', baseVersion: 0 });
    await writer.awaitType('LEASE_GRANTED');
    const lines = [{ ...(snapshotWithLines('K-1', null, 1).lines as object[])[0], lot: { name: 'A1', expiry: { y: 2027 } } }];
    writer.sendRaw(
      JSON.stringify({ type: 'ORDER_SNAPSHOT', posReference: 'K-1', baseVersion: 0, snapshot: snapshot('K-1', null, { lines, amountTotal: 2 }) }).replace(
        '"lot":',
        '"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}},"lot":',
      ),
    );
    await writer.awaitType('ORDER_ACK');
    const updated = await reader.awaitType('ORDER_UPDATED', (m) => m.posReference === 'K-1');
    const line = (updated.snapshot as { lines: Record<string, unknown>[] }).lines[0]!;
    expect(line.lot).toEqual({ name: 'A1', expiry: { y: 2027 } });
    expect(Object.keys(line)).not.toContain('__proto__');
    expect(Object.keys(line)).not.toContain('constructor');
    await Promise.all([writer.close(), reader.close()]);
  });

  it('restarts on a database holding unreadable records, serves sign-ins, leaves them out and reports them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pos-hub-quarantine-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const dbPath = join(dir, 'hub.sqlite');
    const first = await boot({ dbPath });
    const t = await TestTerminal.connect(first.wsUrl, { deviceId: 'seed' });
    t.send({ type: 'LEASE_ACQUIRE', posReference: 'GOOD-1', baseVersion: 0, tableId: 4 });
    await t.awaitType('LEASE_GRANTED');
    t.send({ type: 'ORDER_SNAPSHOT', posReference: 'GOOD-1', baseVersion: 0, snapshot: snapshotWithLines('GOOD-1', 4, 1) });
    await t.awaitType('ORDER_ACK');
    t.send({ type: 'FLOOR_PLAN_UPDATE', floorId: 1, tables: [{ id: 4, name: 'T4' }] });
    await t.awaitType('FLOOR_PLAN_CHANGED');
    await t.close();
    await first.close();

    // What an older hub let through: written straight into SQLite, 5,000 levels deep.
    const poison = deepJson(5_000);
    const db = new Database(dbPath);
    const now = new Date().toISOString();
    const badSnapshot = JSON.stringify(snapshot('BAD-1', 5)).replace('"lines":[]', `"lines":[],"extra":${poison}`);
    db.prepare(`INSERT INTO orders (pos_reference, home_key, table_id, version, snapshot, state, terminal_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(
      'BAD-1',
      't:5',
      5,
      3,
      badSnapshot,
      'editing',
      'seed',
      now,
      now,
    );
    db.prepare(`INSERT INTO floor_plans (floor_id, plan, updated_at) VALUES (?, ?, ?)`).run(2, `{"floorId":2,"tables":[{"id":9,"extra":${poison}}]}`, now);
    db.prepare(`INSERT INTO floor_plans (floor_id, plan, updated_at) VALUES (?, ?, ?)`).run(3, `{"floorId":3,"tables":[`, now);
    const lastSeq = (db.prepare(`SELECT max(id) AS id FROM events`).get() as { id: number }).id;
    db.prepare(`INSERT INTO events (type, pos_reference, payload, source_terminal, forwarded, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`).run(
      'ORDER_UPDATED',
      'BAD-1',
      `{"type":"ORDER_UPDATED","posReference":"BAD-1","version":3,"snapshot":${poison},"sourceTerminal":"seed","seq":${lastSeq + 1}}`,
      'seed',
      null,
      'local',
      now,
    );
    db.close();

    const hub = await boot({ dbPath });
    const cashier = await TestTerminal.open(hub.wsUrl, { deviceId: 'cashier', token: 'dev:cashier:ann' });
    const { sync } = await cashier.authenticate();
    expect(sync.type).toBe('SYNC_INIT');
    expect((sync.orders as Array<{ posReference: string }>).map((o) => o.posReference)).toEqual(['GOOD-1']);
    expect(sync.floorPlans).toEqual([{ floorId: 1, tables: [{ id: 4, name: 'T4' }] }]);

    const manager = await TestTerminal.open(hub.wsUrl, { deviceId: 'manager' });
    await manager.authenticate();
    const report = await manager.awaitType('RECORDS_QUARANTINED');
    expect(report.count).toBe(3);
    expect(report.records).toEqual(
      expect.arrayContaining([
        { kind: 'order', key: 'BAD-1', reason: 'FRAME_TOO_DEEP' },
        { kind: 'floor_plan', key: '2', reason: 'FRAME_TOO_DEEP' },
        { kind: 'floor_plan', key: '3', reason: 'BAD_JSON' },
      ]),
    );
    // Cashiers are not told; they only miss what nobody can use.
    cashier.send({ type: 'HEARTBEAT' });
    await cashier.awaitType('HEARTBEAT_ACK');
    expect(cashier.messages.some((m) => m.type === 'RECORDS_QUARANTINED')).toBe(false);

    // A resume across the poisoned event falls back to a full SYNC_INIT instead of skipping it.
    const resumer = await TestTerminal.open(hub.wsUrl, { deviceId: 'resumer', lastSeq });
    const resumed = await resumer.authenticate();
    expect(resumed.sync.type).toBe('SYNC_INIT');
    expect(report.count).toBe(3);

    // The quarantined order can be written again (its version is kept): it is replaced, not resurrected.
    manager.send({ type: 'LEASE_ACQUIRE', posReference: 'BAD-1', baseVersion: 3, tableId: 5 });
    expect(await manager.awaitType('LEASE_GRANTED')).toMatchObject({ posReference: 'BAD-1', version: 3 });
    manager.send({ type: 'ORDER_SNAPSHOT', posReference: 'BAD-1', baseVersion: 3, snapshot: snapshotWithLines('BAD-1', 5, 1) });
    expect(await manager.awaitType('ORDER_ACK')).toMatchObject({ version: 4 });

    const metrics = await (await fetch(`${hub.url}/metrics`)).text();
    const quarantined = metrics.split('\n').filter((l) => l.startsWith('pos_hub_quarantined_records_total'));
    const count = (kind: string) => quarantined.filter((l) => l.includes(`kind="${kind}"`)).reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
    expect(count('order')).toBe(1);
    expect(count('floor_plan')).toBe(2);
    expect(count('event')).toBe(1);
    await Promise.all([cashier.close(), manager.close(), resumer.close()]);
  });
});
