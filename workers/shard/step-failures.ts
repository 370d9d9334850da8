/**
 * Who asked for an actor input, and what they are told when it is refused here rather than by the actor:
 * a transfer's destination busy with its own, or an actor's step that throws instead of answering
 * (a bug the input reached). Without this a throwing step ended the shard worker, the hub restarted, the
 * SDK resent the same write and the hub fell over again: one bad frame could crash-loop a venue. Now the
 * sender gets ERROR INTERNAL (nothing applied), the actor is rebuilt from the store, everyone else goes on.
 */
import type { HubMessage } from '#protocol/hub-messages.js';
import type { ActorKey, Relay, ShardMessage, TransferMessage, TransferRequest, Unit, UnitOrigin } from '#threads/actor-io.js';
import type { ShardInput } from '#threads/contract.js';

/** The inputs that address one actor and may have to wait behind a transfer's fence. */
export type ActorInput = Extract<ShardInput, { type: 'terminal' | 'transfer' | 'relay' }>;

/** The terminal request behind an actor input, as the `ref` of an ERROR about it. */
export function originOf(m: ActorInput): UnitOrigin {
  switch (m.type) {
    case 'terminal':
      return { terminalId: m.input.from.terminalId, ref: refOfMessage(m.input.msg) };
    case 'transfer':
      return { terminalId: m.input.from.terminalId, ref: transferRef(m.input.msg) };
    case 'relay':
      return { terminalId: m.input.event.req.from.terminalId, ref: transferRef(m.input.event.req.msg) };
    default: {
      const unreachable: never = m;
      throw new Error(`unknown actor input ${JSON.stringify(unreachable)}`);
    }
  }
}

export function transferRef(msg: TransferMessage): UnitOrigin['ref'] {
  return { type: 'ORDER_TRANSFER', posReference: msg.fromPosReference, ...(msg.mutationId === undefined ? {} : { mutationId: msg.mutationId }) };
}

function refOfMessage(msg: ShardMessage): UnitOrigin['ref'] {
  const m = msg as { type: string; posReference?: unknown; tableId?: unknown; mutationId?: unknown };
  return {
    type: m.type,
    ...(typeof m.posReference === 'string' ? { posReference: m.posReference } : {}),
    ...(typeof m.tableId === 'number' ? { tableId: m.tableId } : {}),
    ...(typeof m.mutationId === 'string' ? { mutationId: m.mutationId } : {}),
  };
}

/** A transfer's destination is itself waiting on its own transfer's prepare: waiting here could deadlock. */
export function busyRefusal(key: ActorKey, req: TransferRequest): Relay {
  const refusal = {
    type: 'ERROR',
    code: 'TRANSFER_BUSY',
    message: `Table ${key} is busy with another transfer; retry`,
    ref: transferRef(req.msg),
  } as HubMessage;
  return { to: req.fromKey, event: { type: 'transfer_prepared', req, reply: { ok: false, refusal } } };
}

/** What the sender of a failed input is told; null when the input cannot be answered alone (see below). */
export type FailureAnswer = { readonly unit: Unit } | { readonly relay: Relay };

/**
 * The answer to an input whose step threw, or null when it cannot be contained: a step of a transfer
 * already under way (prepared, apply, abort) has a partner actor or a half-commit waiting on it, which
 * only a restart from the store resolves — the old behaviour, kept for those.
 */
export function failureAnswer(m: ActorInput): FailureAnswer | null {
  const origin = originOf(m);
  const refusal = {
    type: 'ERROR',
    code: 'INTERNAL',
    message: 'the hub could not apply this request (a fault on the hub, logged); nothing was applied',
    retryable: false,
    ref: origin.ref,
  } as HubMessage;
  switch (m.type) {
    case 'terminal':
    case 'transfer':
      // Through the writer like every answer, so it reaches the terminal in order with its other replies.
      return { unit: { ops: [], out: [{ to: 'terminal', terminalId: origin.terminalId, msg: refusal }] } };
    case 'relay':
      if (m.input.event.type !== 'transfer_prepare') return null;
      return { relay: { to: m.input.event.req.fromKey, event: { type: 'transfer_prepared', req: m.input.event.req, reply: { ok: false, refusal } } } };
    default: {
      const unreachable: never = m;
      throw new Error(`unknown actor input ${JSON.stringify(unreachable)}`);
    }
  }
}
