/**
 * The load generator's orders must be ones the hub accepts: every snapshot of an order's life
 * (edits, checkout, paid) passes the wire schema and the hub's lifecycle gate, so errors in a
 * benchmark run mean the hub refused something real, not that the generator sent nonsense.
 */
import { describe, expect, it } from 'vitest';
import { newDraft, editDraft, rng, toSnapshot } from '../../../bench/venue/orders.js';
import { validateSnapshotChange } from '../../../src/domain/validate-snapshot.js';
import { isPosReference } from '../../../src/domain/pos-reference.js';
import { orderSnapshotSchema } from '../../../src/protocol/snapshot.js';
import type { OrderSnapshot } from '../../../src/protocol/snapshot.js';

describe('bench orders', () => {
  it('go editing → checkout → paid through the schema and the lifecycle gate, with 5–15 lines', () => {
    for (let seed = 1; seed <= 20; seed += 1) {
      const random = rng(seed);
      const draft = newDraft(`NU/CFG1/S42/1700000000000-b${seed}t1n0`, 1, random, '2026-11-23T18:00:00.000Z');
      expect(isPosReference(draft.posReference)).toBe(true);
      let previous: OrderSnapshot | null = null;
      const states = ['editing', 'editing', 'editing', 'editing', 'editing', 'editing', 'checkout', 'paid'] as const;
      for (const state of states) {
        if (state === 'editing') editDraft(draft, random);
        const next = orderSnapshotSchema.parse(
          toSnapshot(draft, { state, staffName: 'bench', extra: { benchSentUs: 1 } }),
        );
        expect(next.lines.length).toBeGreaterThanOrEqual(5);
        expect(next.lines.length).toBeLessThanOrEqual(15);
        expect(validateSnapshotChange(previous, next, { sendChangesToKitchen: true })).toEqual({ ok: true });
        expect(next.benchSentUs).toBe(1);
        previous = next;
      }
    }
  });
});
