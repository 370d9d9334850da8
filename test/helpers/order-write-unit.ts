/**
 * One writer unit as a table actor builds it for ORDER_SNAPSHOT: order A at `version` by terminal ann under
 * a mutation id — the ack to ann and the broadcast to the others, both stamped. For writer tests that
 * drive WriterCore directly (a commit given up, a resend answered from the store).
 */
import type { HubMessage } from '../../src/protocol/hub-messages.js';
import type { Unit } from '../../src/threads/actor-io.js';
import { snapshot } from './terminal.js';

export function orderWriteUnit(mutationId: string, version = 1): Unit {
  const snap = snapshot('A', 1, { lines: [{ uid: `l${version}` }] });
  const updated: HubMessage = { type: 'ORDER_UPDATED', posReference: 'A', version, snapshot: snap, sourceTerminal: 'ann' };
  const ack: HubMessage = { type: 'ORDER_ACK', posReference: 'A', version, mutationId };
  return {
    ops: [
      { op: 'order_put', posReference: 'A', homeKey: 't:1', tableId: 1, version, snapshot: snap, terminalId: 'ann', state: 'editing' },
      { op: 'event', type: 'ORDER_UPDATED', posReference: 'A', payload: updated, sourceTerminal: 'ann' },
      { op: 'mutation', terminalId: 'ann', mutationId, homeKey: 't:1', posReference: 'A', result: ack },
    ],
    out: [
      { to: 'terminal', terminalId: 'ann', msg: ack, stamp: true },
      { to: 'others', except: 'ann', msg: updated, stamp: true },
    ],
    origin: { terminalId: 'ann', ref: { type: 'ORDER_SNAPSHOT', posReference: 'A', mutationId } },
  };
}
