/**
 * The venue-wide writes no table actor owns: a ticket number and a floor plan. Which ops and broadcast a
 * TICKET_NUMBER_REQUEST or FLOOR_PLAN_UPDATE produces, and who may send one, decided here without I/O;
 * the front posts the unit to the writer. The op shapes are spelled structurally (the writer's WriteOp
 * lives in actors/, which the domain does not import); the front's call site checks them against Unit.
 */
import type { ErrorCode } from '../protocol/errors.js';
import type { FloorPlan, HubMessage } from '../protocol/hub-messages.js';
import { refOf } from '../protocol/parse.js';
import type { TerminalMessageOf } from '../protocol/terminal-messages.js';
import { businessDay } from './business-day.js';

/** The request a unit answers: the writer tells this terminal STORAGE_UNAVAILABLE by this ref. */
export interface VenueOrigin {
  readonly terminalId: string;
  readonly ref: {
    readonly type: string;
    readonly posReference?: string;
    readonly tableId?: number;
    readonly mutationId?: string;
  };
}

export interface TicketUnit {
  readonly ops: readonly [
    {
      readonly op: 'ticket';
      readonly terminalId: string;
      readonly orderType: 'takeout' | 'delivery';
      readonly businessDay: string;
      readonly mutationId?: string;
    },
  ];
  readonly out: readonly [];
  readonly origin: VenueOrigin;
}

export interface FloorPlanUnit {
  readonly ops: readonly [
    { readonly op: 'floor_plan_put'; readonly plan: FloorPlan },
    {
      readonly op: 'event';
      readonly type: 'FLOOR_PLAN_CHANGED';
      readonly posReference: null;
      readonly payload: HubMessage;
      readonly sourceTerminal: null;
    },
  ];
  readonly out: readonly [{ readonly to: 'all'; readonly msg: HubMessage; readonly stamp: true }];
  readonly origin: VenueOrigin;
}

export type FloorPlanVerdict =
  | { readonly ok: true; readonly unit: FloorPlanUnit }
  | { readonly ok: false; readonly code: ErrorCode; readonly message: string };

function originOf(
  terminalId: string,
  msg: TerminalMessageOf<'TICKET_NUMBER_REQUEST' | 'FLOOR_PLAN_UPDATE'>,
): VenueOrigin {
  return { terminalId, ref: { ...refOf(msg), type: msg.type } };
}

/**
 * The next number of the (business day, order type) counter; the writer counts and answers TICKET_NUMBER.
 * The business day is the venue's date when the hub handles the request (`now`, epoch ms).
 */
/** `owner` scopes the ticket's mutation id with the device (docs/security.md); null for none. */
export function ticketNumberUnit(msg: TerminalMessageOf<'TICKET_NUMBER_REQUEST'>, terminalId: string, now: number, owner: string | null = null): TicketUnit {
  return {
    ops: [{ op: 'ticket', terminalId, ...(owner === null ? {} : { owner }), orderType: msg.orderType, businessDay: businessDay(now), ...(msg.mutationId === undefined ? {} : { mutationId: msg.mutationId }) }],
    out: [],
    origin: originOf(terminalId, msg),
  };
}

export interface FloorPlanRequest {
  readonly msg: TerminalMessageOf<'FLOOR_PLAN_UPDATE'>;
  readonly terminalId: string;
  readonly role: string;
  /** The frame as received, in bytes: the size every terminal will store and redraw. */
  readonly frameBytes: number;
  /** HUB_FLOOR_PLAN_MAX_BYTES. */
  readonly maxBytes: number;
}

/**
 * Every terminal stores and redraws a floor plan: only a manager may change it, within a size. The plan is
 * stored, recorded as an event (replayed on resume) and broadcast to every terminal, its sender included.
 */
export function floorPlanUnit(request: FloorPlanRequest): FloorPlanVerdict {
  const { msg, terminalId } = request;
  if (request.role !== 'manager')
    return { ok: false, code: 'FORBIDDEN', message: 'only a manager may change the floor plan' };
  if (request.frameBytes > request.maxBytes)
    return {
      ok: false,
      code: 'FLOOR_PLAN_TOO_LARGE',
      message: `a floor plan update may take ${request.maxBytes} bytes`,
    };
  const plan: FloorPlan = {
    floorId: msg.floorId,
    tables: msg.tables,
    ...(msg.layoutMode === undefined ? {} : { layoutMode: msg.layoutMode }),
  };
  const changed: HubMessage = { type: 'FLOOR_PLAN_CHANGED', ...plan, sourceTerminal: terminalId };
  return {
    ok: true,
    unit: {
      ops: [
        { op: 'floor_plan_put', plan },
        { op: 'event', type: 'FLOOR_PLAN_CHANGED', posReference: null, payload: changed, sourceTerminal: null },
      ],
      out: [{ to: 'all', msg: changed, stamp: true }],
      origin: originOf(terminalId, msg),
    },
  };
}
