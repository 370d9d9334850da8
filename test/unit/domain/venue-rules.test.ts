/**
 * Issue 15, item 3: the venue-wide writes as pure rules. A ticket request becomes one `ticket` op on the
 * business day of the hub's clock; a floor plan is a manager's, within a size, stored, recorded as an
 * event and broadcast to everyone. The writer answers the origin's ref if the disk refuses.
 */
import { describe, expect, it } from 'vitest';
import { businessDay } from '../../../src/domain/business-day.js';
import { floorPlanUnit, ticketNumberUnit } from '../../../src/domain/venue-rules.js';
import type { TerminalMessageOf } from '../../../src/protocol/terminal-messages.js';

const NOW = Date.UTC(2026, 11, 2, 12, 0, 0);

describe('ticket number rule', () => {
  it('counts within the business day of the hub clock and carries the mutation id when sent', () => {
    const msg: TerminalMessageOf<'TICKET_NUMBER_REQUEST'> = {
      type: 'TICKET_NUMBER_REQUEST',
      orderType: 'takeout',
      mutationId: 'm-1',
    };
    expect(ticketNumberUnit(msg, 'pos-1', NOW)).toEqual({
      ops: [
        { op: 'ticket', terminalId: 'pos-1', orderType: 'takeout', businessDay: businessDay(NOW), mutationId: 'm-1' },
      ],
      out: [],
      origin: { terminalId: 'pos-1', ref: { type: 'TICKET_NUMBER_REQUEST', mutationId: 'm-1' } },
    });
    const bare = ticketNumberUnit({ type: 'TICKET_NUMBER_REQUEST', orderType: 'delivery' }, 'pos-2', NOW);
    expect(bare.ops[0]).not.toHaveProperty('mutationId');
  });
});

describe('floor plan rule', () => {
  const msg: TerminalMessageOf<'FLOOR_PLAN_UPDATE'> = {
    type: 'FLOOR_PLAN_UPDATE',
    floorId: 2,
    tables: [],
    layoutMode: 'grid',
  } as unknown as TerminalMessageOf<'FLOOR_PLAN_UPDATE'>;

  it('refuses anyone but a manager, and a frame over the size limit', () => {
    expect(floorPlanUnit({ msg, terminalId: 'pos-1', role: 'cashier', frameBytes: 10, maxBytes: 100 })).toMatchObject({
      ok: false,
      code: 'FORBIDDEN',
    });
    expect(floorPlanUnit({ msg, terminalId: 'pos-1', role: 'manager', frameBytes: 101, maxBytes: 100 })).toMatchObject({
      ok: false,
      code: 'FLOOR_PLAN_TOO_LARGE',
    });
  });

  it('stores the plan, records it as an event and broadcasts it to every terminal, sender named', () => {
    const verdict = floorPlanUnit({ msg, terminalId: 'pos-1', role: 'manager', frameBytes: 100, maxBytes: 100 });
    if (!verdict.ok) throw new Error(verdict.message);
    const changed = { type: 'FLOOR_PLAN_CHANGED', floorId: 2, tables: [], layoutMode: 'grid', sourceTerminal: 'pos-1' };
    expect(verdict.unit).toEqual({
      ops: [
        { op: 'floor_plan_put', plan: { floorId: 2, tables: [], layoutMode: 'grid' } },
        { op: 'event', type: 'FLOOR_PLAN_CHANGED', posReference: null, payload: changed, sourceTerminal: null },
      ],
      out: [{ to: 'all', msg: changed, stamp: true }],
      origin: { terminalId: 'pos-1', ref: { type: 'FLOOR_PLAN_UPDATE' } },
    });
  });
});
