/**
 * Transfers and splits: one ORDER_TRANSFER, answered by ORDER_TRANSFERRED or a refusal. Not queued
 * offline: a transfer is decided against both orders as the hub has them, which a replay minutes later
 * would not be. A LEASE_DENIED names an order, not a mutationId, so waiting transfers are also known
 * by both their order references.
 */
import { HubError } from '../protocol/errors.js';
import type { HubMessageOf } from '../protocol/hub-messages.js';
import { orderSnapshotSchema, type OrderSnapshot } from '../protocol/snapshot.js';
import type { TerminalMessage } from '../protocol/terminal-messages.js';
import type { PendingRequests } from './requests.js';
import type { TransferOptions, TransferResult } from './types.js';

export interface TransferLink {
  readonly isReady: boolean;
  send(message: TerminalMessage): boolean;
  settledAttempt(): Promise<void>;
}

/** A snapshot riding on a message as a loose field, or null when absent or not a valid snapshot. */
export function parseSnapshot(value: unknown): OrderSnapshot | null {
  if (value === undefined) return null;
  const parsed = orderSnapshotSchema.safeParse(value);
  return parsed.success ? parsed.data : null;
}

const RETRYABLE = new Set(['TRANSFER_BUSY', 'REQUEST_TIMEOUT', 'HUB_UNREACHABLE', 'RATE_LIMITED', 'STORAGE_UNAVAILABLE']);

export class Transfers {
  private readonly byOrder = new Map<string, string>();

  constructor(
    private readonly link: TransferLink,
    private readonly requests: PendingRequests,
    private readonly newId: () => string,
    private readonly requestTimeoutMs: number,
  ) {}

  async transfer(from: string, to: string, lineUids: readonly string[], split: boolean, options: TransferOptions): Promise<TransferResult> {
    await this.link.settledAttempt();
    if (!this.link.isReady) {
      return { status: 'error', code: 'HUB_UNREACHABLE', error: 'not connected to the hub: transfers and splits need it online', retryable: true };
    }
    const mutationId = this.newId();
    const reply = this.requests.transfer.wait(mutationId, this.requestTimeoutMs, () =>
      new HubError('REQUEST_TIMEOUT', `The hub did not answer ORDER_TRANSFER ${from} → ${to} within ${Math.round(this.requestTimeoutMs / 1000)} seconds; check the orders before repeating it.`, { retryable: true }),
    );
    this.byOrder.set(from, mutationId);
    this.byOrder.set(to, mutationId);
    const sent = this.link.send({
      type: 'ORDER_TRANSFER',
      fromPosReference: from,
      toPosReference: to,
      lineUids: [...lineUids],
      ...(split ? { split: true } : {}),
      ...(options.toTableId === undefined ? {} : { toTableId: options.toTableId }),
      mutationId,
    });
    if (!sent) this.requests.transfer.reject(mutationId, new HubError('HUB_UNREACHABLE', 'the connection to the hub closed before ORDER_TRANSFER was sent', { retryable: true }));
    try {
      return await reply;
    } catch (error) {
      const hubError = error instanceof HubError ? error : new HubError('INTERNAL', String(error));
      return { status: 'error', code: hubError.code, error: hubError.message, retryable: true };
    } finally {
      for (const ref of [from, to]) if (this.byOrder.get(ref) === mutationId) this.byOrder.delete(ref);
    }
  }

  /** ORDER_TRANSFERRED: settle the transfer that asked for it. */
  transferred(message: HubMessageOf<'ORDER_TRANSFERRED'>, fromSnapshot: OrderSnapshot | null, toSnapshot: OrderSnapshot | null): void {
    if (message.mutationId === undefined) return;
    this.requests.transfer.resolve(message.mutationId, {
      status: 'transferred',
      fromPosReference: message.fromPosReference,
      toPosReference: message.toPosReference,
      fromVersion: message.fromVersion,
      toVersion: message.toVersion,
      ...(fromSnapshot === null ? {} : { fromSnapshot }),
      ...(toSnapshot === null ? {} : { toSnapshot }),
    });
  }

  /** Settle the transfer waiting with `mutationId` (or on `posReference`) with a refusal; false when none waits. */
  refuse(ref: { readonly mutationId?: string | undefined; readonly posReference?: string | undefined }, code: string, error: string): boolean {
    const mutationId = ref.mutationId ?? (ref.posReference === undefined ? undefined : this.byOrder.get(ref.posReference));
    if (mutationId === undefined) return false;
    return this.requests.transfer.resolve(mutationId, { status: 'error', code, error, retryable: RETRYABLE.has(code) });
  }
}
