/**
 * Terminal-side reconciliation: the reference's accept_remote / merge / keep_local (§6) and the
 * three-way offline merge that never drops an added item and reports what a paid hub order lost.
 */
import { describe, expect, it } from 'vitest';
import { addLine, mergeOffline, reconcile, removeLine, setLineQty, setTableMeta, validateSnapshotChange } from '../../../src/domain/index.js';
import { SEND, checkoutOrder, editingOrder, line, paidOrder, unwrap } from '../../helpers/domain-orders.js';

const uids = (lines: readonly { uid: string }[]) => lines.map((l) => l.uid);

describe('reconcile (reference §6)', () => {
  const remote = checkoutOrder(['a', 'b']);
  const local = unwrap(addLine(checkoutOrder(['a']), line('n'), SEND));

  it('accept_remote: no local changes', () => {
    expect(reconcile(local, remote, { localBaseVersion: 3, remoteVersion: 4, hasLocalChanges: false })).toEqual({ strategy: 'accept_remote', result: remote, lostLocalLines: [] });
  });

  it('accept_remote: paid orders, with the local-only items reported', () => {
    const paid = paidOrder(['a', 'b']);
    const out = reconcile(local, paid, { localBaseVersion: 3, remoteVersion: 4, hasLocalChanges: true });
    expect(out.strategy).toBe('accept_remote');
    expect(out.result).toBe(paid);
    expect(uids(out.lostLocalLines)).toEqual(['n']);
  });

  it('accept_remote: a terminal far behind, local-only items reported', () => {
    const out = reconcile(local, remote, { localBaseVersion: 1, remoteVersion: 4, hasLocalChanges: true });
    expect(out.strategy).toBe('accept_remote');
    expect(uids(out.lostLocalLines)).toEqual(['n']);
  });

  it('merge: local additions while exactly 1 behind — local-only lines appended to the hub snapshot', () => {
    const out = reconcile(local, remote, { localBaseVersion: 3, remoteVersion: 4, hasLocalChanges: true });
    expect(out.strategy).toBe('merge');
    expect(uids(out.result.lines)).toEqual(['a', 'b', 'n']);
    expect(out.result.amountTotal).toBeCloseTo(35.4, 10);
    expect(out.result.kitchenStatus).toBe('changed');
    expect(validateSnapshotChange(remote, out.result, { sendChangesToKitchen: true })).toEqual({ ok: true });
  });

  it('1 behind without local additions: accept_remote', () => {
    const edited = unwrap(setLineQty(checkoutOrder(['a', 'b']), 'a', 3, SEND));
    expect(reconcile(edited, remote, { localBaseVersion: 3, remoteVersion: 4, hasLocalChanges: true }).strategy).toBe('accept_remote');
  });

  it('keep_local: the hub is not ahead (re-send on its version), or the terminal took payment offline', () => {
    expect(reconcile(local, remote, { localBaseVersion: 4, remoteVersion: 4, hasLocalChanges: true })).toEqual({ strategy: 'keep_local', result: local, lostLocalLines: [] });
    const paidLocally = paidOrder(['a']);
    expect(reconcile(paidLocally, remote, { localBaseVersion: 2, remoteVersion: 4, hasLocalChanges: true }).strategy).toBe('keep_local');
  });
});

describe('mergeOffline (three-way)', () => {
  const base = checkoutOrder(['a', 'b', 'c']);

  it('keeps items added on both sides: remote order first, then local additions', () => {
    const local = unwrap(addLine(base, line('l1'), SEND));
    const remote = unwrap(addLine(base, line('r1'), SEND));
    const out = mergeOffline(base, local, remote);
    expect(out.strategy).toBe('merge');
    expect(uids(out.result.lines)).toEqual(['a', 'b', 'c', 'r1', 'l1']);
    expect(out.result.amountTotal).toBeCloseTo(59, 10);
    expect(out.lostLocalLines).toEqual([]);
  });

  it('qty edits: a one-sided edit applies; the same line edited on both sides → remote wins', () => {
    const local = unwrap(setLineQty(unwrap(setLineQty(base, 'a', 5, SEND)), 'b', 4, SEND));
    const remote = unwrap(setLineQty(base, 'b', 2, SEND));
    const out = mergeOffline(base, local, remote);
    expect(out.result.lines.map((l) => [l.uid, l.qty, l.priceSubtotalIncl])).toEqual([
      ['a', 5, 59],
      ['b', 2, 23.6],
      ['c', 1, 11.8],
    ]);
  });

  it('different fields of the same line from each side are both kept, and the line is re-priced', () => {
    const local = { ...base, lines: base.lines.map((l) => (l.uid === 'a' ? { ...l, qty: 2, priceSubtotal: 20, priceSubtotalIncl: 23.6 } : l)) };
    const remote = { ...base, lines: base.lines.map((l) => (l.uid === 'a' ? { ...l, discount: 50, priceSubtotal: 5, priceSubtotalIncl: 5.9 } : l)) };
    const out = mergeOffline(base, local, remote);
    expect(out.result.lines[0]).toMatchObject({ qty: 2, discount: 50, priceSubtotal: 10, priceSubtotalIncl: 11.8 });
  });

  it('deletions: a one-sided delete applies; delete against a remote edit keeps the edit; a remote delete of a local edit wins and is reported', () => {
    const local = unwrap(setLineQty(unwrap(removeLine(unwrap(removeLine(base, 'a', SEND)), 'b', SEND)), 'c', 7, SEND));
    const remote = unwrap(removeLine(unwrap(setLineQty(base, 'b', 3, SEND)), 'c', SEND));
    const out = mergeOffline(base, local, remote);
    expect(uids(out.result.lines)).toEqual(['b']);
    expect(out.result.lines[0]?.qty).toBe(3);
    expect(out.lostLocalLines.map((l) => [l.uid, l.qty])).toEqual([['c', 7]]);
  });

  it('a paid hub order wins outright; local additions and edits come back as lostLocalLines', () => {
    const local = unwrap(addLine(unwrap(setLineQty(base, 'a', 2, SEND)), line('l1'), SEND));
    const remote = paidOrder(['b', 'c'], base.posReference);
    const out = mergeOffline(base, local, remote);
    expect(out.strategy).toBe('accept_remote');
    expect(out.result).toBe(remote);
    expect(uids(out.lostLocalLines)).toEqual(['a', 'l1']);
  });

  it('header fields merge three-way, remote winning a conflict', () => {
    const local = unwrap(setTableMeta(base, { guestCount: 3, staffName: 'Ana' }));
    const remote = unwrap(setTableMeta(base, { staffName: 'Luis' }));
    expect(mergeOffline(base, local, remote).result).toMatchObject({ guestCount: 3, staffName: 'Luis' });
  });

  it('a payment taken offline stands when it covers the merged total, else the order returns to checkout with the payment kept', () => {
    const paidLocal = paidOrder(['a', 'b', 'c'], base.posReference);
    const untouchedRemote = base;
    expect(mergeOffline(base, paidLocal, untouchedRemote).result).toMatchObject({ state: 'paid', kitchenStatus: 'paid' });
    const remoteAdded = unwrap(addLine(base, line('r1', 100, 10), SEND));
    const out = mergeOffline(base, paidLocal, remoteAdded);
    expect(out.result).toMatchObject({ state: 'checkout', kitchenStatus: 'changed' });
    expect(out.result.payments).toEqual(paidLocal.payments);
    expect(validateSnapshotChange(remoteAdded, out.result, { sendChangesToKitchen: true })).toEqual({ ok: true });
  });

  it('is deterministic and equals the remote when nothing changed locally', () => {
    const remote = unwrap(addLine(base, line('r1'), SEND));
    expect(mergeOffline(base, base, remote)).toEqual({ strategy: 'accept_remote', result: remote, lostLocalLines: [] });
    const local = unwrap(addLine(base, line('l1'), SEND));
    expect(mergeOffline(base, local, remote)).toEqual(mergeOffline(base, local, remote));
  });

  it('with no base (never synced) both sides count as added and nothing is dropped', () => {
    const local = editingOrder(['x', 'y'], SEND, base.posReference);
    const remote = editingOrder(['y', 'z'], SEND, base.posReference);
    expect(uids(mergeOffline(null, local, remote).result.lines)).toEqual(['y', 'z', 'x']);
  });
});
