import { it } from 'vitest';
import { startHub } from '../helpers/start-hub.js';
import { hubClient, line, snapshot, until } from '../fixtures/client-orders.js';
it('dbg', async () => {
  const hub = await startHub();
  const log: unknown[] = [];
  const a = hubClient(hub.wsUrl, 'term-a', {}, { encoding: 'msgpack' });
  const b = hubClient(hub.wsUrl, 'term-b');
  for (const [n, c] of [['A', a], ['B', b]] as const) {
    c.onError((e) => log.push([n, 'err', e.code, e.message]));
    c.onOrderUpdated((u) => log.push([n, 'upd', u.version]));
    c.onTableUpdated((u) => log.push([n, 'tbl', u]));
    c.onOrderAcked((r, v) => log.push([n, 'ack', v]));
    c.onConflict((x) => log.push([n, 'conflict', x.strategy]));
  }
  await a.connect(); await b.connect();
  const r1 = 'NU/CFG1/S42/1764000000000-0001';
  log.push(await a.acquireTableLock(5));
  await a.acquireLease(r1, 0);
  a.sendOrderSnapshot(r1, 0, snapshot(r1, [line('a1')], { tableId: 5 }));
  await until(() => a.outboxCount === 0, 'x');
  a.releaseLease(r1);
  await new Promise((r) => setTimeout(r, 200));
  log.push(['B lease', await b.acquireLease(r1, 1)]);
  b.sendOrderSnapshot(r1, 1, snapshot(r1, [line('a1'), line('b1')], { tableId: 5 }));
  b.sendTableUpdate(5, 'occupied', r1);
  await new Promise((r) => setTimeout(r, 1000));
  log.push(['B outbox', b.outboxEntries()]);
  console.log(JSON.stringify(log));
  a.disconnect(); b.disconnect(); await hub.close();
});
