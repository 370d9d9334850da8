/**
 * The shard host's transfer fences: inputs for a fenced actor wait and come back in arrival order once
 * the commit notice lifts the fence; a prepare of another transfer waits, except at an actor that is
 * itself waiting for a prepared reply (refused: the two-sources deadlock); stale changes are ignored.
 */
import { describe, expect, it } from 'vitest';
import { TransferFences } from '../../../workers/shard/transfer-fences.js';

function drain<T>(fences: TransferFences<T>): Array<[string, T]> {
  const out: Array<[string, T]> = [];
  for (let n = fences.next(); n !== null; n = fences.next()) out.push([n.key, n.input]);
  return out;
}

describe('transfer fences', () => {
  it('defers inputs while fenced and replays them in order after the commit notice', () => {
    const f = new TransferFences<string>();
    expect(f.isBlocked('t:1')).toBe(false);
    f.change('t:1', { txId: 'a', phase: 'awaiting_prepared' });
    f.defer('t:1', 'snapshot-1');
    f.defer('t:1', 'release');
    f.change('t:1', { txId: 'a', phase: 'awaiting_commit' });
    expect(drain(f)).toEqual([]);
    expect(f.isBlocked('t:1')).toBe(true);
    f.committed(['other']);
    expect(drain(f)).toEqual([]);
    f.committed(['a']);
    expect(drain(f)).toEqual([
      ['t:1', 'snapshot-1'],
      ['t:1', 'release'],
    ]);
    expect(f.isBlocked('t:1')).toBe(false);
  });

  it('stops replaying when a replayed input fences the actor again', () => {
    const f = new TransferFences<string>();
    f.change('t:1', { txId: 'a', phase: 'reserved' });
    f.defer('t:1', 'transfer-b');
    f.defer('t:1', 'snapshot');
    f.change('t:1', { txId: 'a', phase: 'free' });
    const first = f.next();
    expect(first).toEqual({ key: 't:1', input: 'transfer-b' });
    f.change('t:1', { txId: 'b', phase: 'awaiting_prepared' });
    expect(f.next()).toBeNull();
    expect(f.isBlocked('t:1')).toBe(true);
    f.change('t:1', { txId: 'b', phase: 'free' });
    expect(drain(f)).toEqual([['t:1', 'snapshot']]);
  });

  it('refuses a foreign prepare only where the actor awaits its own prepared reply', () => {
    const f = new TransferFences<string>();
    expect(f.prepareVerdict('t:1', 'x')).toBe('handle');
    f.change('t:1', { txId: 'a', phase: 'awaiting_prepared' });
    expect(f.prepareVerdict('t:1', 'a')).toBe('handle');
    expect(f.prepareVerdict('t:1', 'x')).toBe('refuse');
    f.change('t:1', { txId: 'a', phase: 'reserved' });
    expect(f.prepareVerdict('t:1', 'x')).toBe('defer');
    f.change('t:1', { txId: 'a', phase: 'awaiting_commit' });
    expect(f.prepareVerdict('t:1', 'x')).toBe('defer');
  });

  it('ignores a change for a transfer that no longer owns the fence', () => {
    const f = new TransferFences<string>();
    f.change('t:1', { txId: 'b', phase: 'awaiting_commit' });
    f.change('t:1', { txId: 'a', phase: 'free' });
    expect(f.isBlocked('t:1')).toBe(true);
    f.clear();
    expect(f.isBlocked('t:1')).toBe(false);
    expect(f.size).toBe(0);
  });
});
