/**
 * Issue 16 (the commit stage): a committed broadcast crosses to the front as the JSON text the store wrote
 * for its event — the same message with the same seq — instead of a second stringify of its snapshot. Held
 * here: the text sent is the stored payload's, it reads back as the stamped message, and only the message
 * whose seq is its own event's gets it (a unit's earlier event carries another seq, so it is encoded anew).
 * On a real SQLite file, through the worker's encodeDeliveries.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config.js';
import type { HubMessage } from '../../../src/protocol/hub-messages.js';
import type { Unit } from '../../../src/threads/actor-io.js';
import type { EncodedBroadcast, FrontNotice } from '../../../src/threads/contract.js';
import { encodeDeliveries } from '../../../workers/writer/encode-deliveries.js';
import { orderWriteUnit } from '../../helpers/order-write-unit.js';
import { sqliteWriter } from '../../helpers/sqlite-writer.js';

const config = parseConfig({ HUB_DEV_AUTH: 'true', HUB_HOST: '127.0.0.1', HUB_COMMIT_WINDOW_MS: '0' });
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pos-hub-broadcast-text-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function setup() {
  const sent: FrontNotice[] = [];
  // As the writer worker posts them (writer.worker.ts).
  const { store, core } = sqliteWriter(join(dir, 'hub.sqlite'), config, (notice, encoded) => sent.push(encodeDeliveries(notice, encoded)), 'full');
  const broadcasts = (): EncodedBroadcast[] =>
    sent.flatMap((n) => (n.type === 'deliver' ? n.input.deliveries.flatMap((d) => d.out.filter((o): o is EncodedBroadcast => o.to === 'broadcast')) : []));
  const storedPayload = (seq: number): string =>
    (store.db.prepare('SELECT payload FROM events WHERE id = ?').get(seq) as { payload: string }).payload;
  const send = (units: Unit[]): void => {
    core.enqueue(units);
    core.commit();
  };
  return { store, broadcasts, storedPayload, send };
}

describe('a committed broadcast', () => {
  it('is sent as the text its event was stored as, which reads back as the stamped message', () => {
    const { store, broadcasts, storedPayload, send } = setup();
    const unit = orderWriteUnit('m1', 1);
    send([unit]);
    const seq = store.currentSeq();
    const [updated] = broadcasts();
    expect(updated?.json).toBe(storedPayload(seq));
    const msg = unit.out[1]?.msg as HubMessage;
    expect(JSON.parse(updated?.json ?? 'null')).toEqual({ ...msg, seq });
  });

  it('of an earlier event of its unit is encoded anew: it carries the unit seq, not its own', () => {
    const { store, broadcasts, storedPayload, send } = setup();
    const first: HubMessage = { type: 'TABLE_LOCKED', tableId: 1, lockedBy: 'ann' };
    const unit = orderWriteUnit('m1', 1);
    const withTwo: Unit = {
      ...unit,
      ops: [{ op: 'event', type: 'TABLE_LOCKED', posReference: null, payload: first, sourceTerminal: 'ann' }, ...unit.ops],
      out: [{ to: 'all', msg: first, stamp: true }, ...unit.out],
    };
    send([withTwo]);
    const seq = store.currentSeq();
    const [table, updated] = broadcasts();
    // Stored under its own seq (seq - 1), sent with the unit's.
    expect(JSON.parse(storedPayload(seq - 1))).toMatchObject({ seq: seq - 1 });
    expect(JSON.parse(table?.json ?? 'null')).toEqual({ ...first, seq });
    expect(updated?.json).toBe(storedPayload(seq));
  });

  it('of a resend answered from the store is not sent again', () => {
    const { broadcasts, send } = setup();
    send([orderWriteUnit('m1', 1)]);
    send([orderWriteUnit('m1', 1)]);
    expect(broadcasts()).toHaveLength(1);
  });
});
