/**
 * A hub changing role gives up a store call hung on a primary that lost its standby (docs/ha.md, the two-hub
 * `partition` fault, where both waited out the store's 15 s query timeout). A leader demoted with a commit
 * in flight: its units are in doubt, refused STORAGE_UNAVAILABLE saying so, the shards reload, nothing is
 * acked; resent to the new leader with the same mutation id they are answered from the store if the commit
 * landed after all, applied once if it did not. A follower taking over while its tail's mark refresh (a
 * synchronous commit) hangs: the takeover does not wait behind it. Real SQLite file shared by two writers;
 * the store holds calls open until the test lands, answers or the writer abandons them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/adapters/log/logger.js';
import { CommitInDoubtError } from '../../../src/adapters/postgres/pg-fault.js';
import { SqliteStorePort } from '../../../src/adapters/sqlite/store-port.js';
import { parseConfig } from '../../../src/config.js';
import { noopMetrics } from '../../../src/ports/metrics.js';
import type { CommitResult, HubStorePort, StoreUnit } from '../../../src/ports/store.js';
import type { Outbound } from '../../../src/threads/actor-io.js';
import type { WriterNotice } from '../../../src/threads/contract.js';
import { fixedClock, writerClock } from '../../helpers/clocks.js';
import { orderWriteUnit } from '../../helpers/order-write-unit.js';
import { WriterCore } from '../../../workers/writer/writer-core.js';

const config = parseConfig({ HUB_DEV_AUTH: 'true', HUB_HOST: '127.0.0.1', HUB_COMMIT_WINDOW_MS: '0' });
const LEADER_B = { url: 'ws://hub-b.local:8766/', epoch: 2 };
let dir: string;
const ports: SqliteStorePort[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pos-hub-demoted-commit-'));
});
afterEach(async () => {
  for (const p of ports.splice(0)) await p.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Hung {
  readonly units: readonly StoreUnit[];
  readonly fence: number | undefined;
  resolve(result: CommitResult): void;
  reject(error: unknown): void;
}

/**
 * The SQLite port as a remote store whose commits can hang (while `hang` is set): the test applies one
 * without answering (`land`: the standby got it, the answer was lost), answers it, or the writer abandons
 * it — which, as PgStore's does, rejects it in doubt at once.
 */
function hangingPort(inner: SqliteStorePort) {
  const hung: Hung[] = [];
  /** The follower tail's mark refreshes left hanging (a synchronous commit, like the writer's own). */
  const marks: ((error: Error) => void)[] = [];
  const state = { hang: false, hangMarks: false, abandoned: 0, rejectOnAbandon: true };
  let last: Hung | undefined;
  const port = new Proxy(inner, {
    get(target, key) {
      if (key === 'engine') return 'postgres';
      if (key === 'classifyError') return (error: unknown) => (error instanceof CommitInDoubtError ? 'in_doubt' : inner.classifyError(error));
      if (key === 'commit')
        return (units: readonly StoreUnit[], now: number, fence?: number): Promise<CommitResult> =>
          state.hang
            ? new Promise<CommitResult>((resolve, reject) => {
                last = { units, fence, resolve, reject };
                hung.push(last);
              })
            : inner.commit(units, now, fence);
      if (key === 'refreshMark')
        return (): Promise<number> => (state.hangMarks ? new Promise<number>((_resolve, reject) => marks.push(reject)) : inner.refreshMark());
      if (key === 'abandon')
        return (): boolean => {
          if (hung.length === 0 && marks.length === 0) return false;
          state.abandoned += 1;
          if (state.rejectOnAbandon) for (const h of hung.splice(0)) h.reject(new CommitInDoubtError(new Error('Connection terminated')));
          for (const reject of marks.splice(0)) reject(new CommitInDoubtError(new Error('Connection terminated')));
          return true;
        };
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  }) as HubStorePort;
  /** Apply the last hung commit on the store (given up or not) without answering it. */
  const land = async (): Promise<CommitResult> => {
    if (last === undefined) throw new Error('no hung commit');
    return inner.commit(last.units, 0, last.fence);
  };
  return { port, hung, marks, state, land };
}

function hub(store: HubStorePort) {
  const sent: WriterNotice[] = [];
  const rollbacks: number[] = [];
  const clock = fixedClock();
  const core = new WriterCore({
    store,
    config,
    clock: writerClock(clock),
    log: createLogger({ level: 'silent' }),
    metrics: noopMetrics,
    toFront: (m) => sent.push(m),
    onRollback: (g) => rollbacks.push(g),
    role: 'follower',
  });
  const outs = (): Outbound[] => sent.flatMap((m) => (m.type === 'deliver' ? m.input.deliveries.flatMap((d) => d.out) : []));
  return { core, sent, rollbacks, outs, clock };
}

function open(): SqliteStorePort {
  const port = SqliteStorePort.open({ path: join(dir, 'hub.sqlite'), sync: 'normal' });
  ports.push(port);
  return port;
}

/** Hub A leads with m1's commit hung in its store; hub B is ready to take over on the same store. */
async function hungLeader() {
  const held = hangingPort(open());
  const a = hub(held.port);
  await a.core.request('take_over', { node: 'hub-a' });
  await a.core.settled();
  held.state.hang = true;
  a.core.enqueue([orderWriteUnit('m1')]);
  a.core.commit();
  await new Promise((resolve) => setImmediate(resolve));
  expect(held.hung).toHaveLength(1);
  const bStore = open();
  const b = hub(bStore);
  return { held, a, b, bStore };
}

const inDoubt = (o: Outbound): boolean =>
  o.msg.type === 'ERROR' && o.msg.code === 'STORAGE_UNAVAILABLE' && o.msg.retryable === true && /maybe stored/.test(o.msg.message);

describe('a leader demoted with a commit hung in its store', () => {
  it('gives it up at once: its writes are refused in doubt and the shards reload; the new leader answers the resend from the store', async () => {
    const { held, a, b, bStore } = await hungLeader();
    // The commit reached the store (the standby flushed it) but its answer never came back.
    const landed = await held.land();
    const seq = landed.seq;
    await b.core.request('take_over', { node: 'hub-b' });
    const rollbacksBefore = a.rollbacks.length;

    await a.core.request('demote', { leader: LEADER_B });
    await a.core.settled();
    expect(held.state.abandoned).toBe(1);
    expect(a.outs().filter(inDoubt)).toEqual([expect.objectContaining({ to: 'terminal', terminalId: 'ann' })]);
    expect(a.outs().some((o) => o.msg.type === 'ORDER_ACK' || o.msg.type === 'ORDER_UPDATED')).toBe(false);
    // One reload for the given-up commit, one for the demotion; not a storage fault.
    expect(a.rollbacks.length).toBe(rollbacksBefore + 2);
    expect(a.core.stats().storageError).toBeNull();

    // The terminal resends m1 to hub B: answered with the stored reply, applied nowhere.
    b.core.enqueue([orderWriteUnit('m1')]);
    await b.core.settled();
    expect(b.outs()).toEqual([{ to: 'terminal', terminalId: 'ann', msg: { type: 'ORDER_ACK', posReference: 'A', version: 1, mutationId: 'm1', seq } }]);
    expect((await bStore.recentEvents(10)).map((e) => e.id)).toEqual([seq]);
  });

  it('when the given-up commit never landed, the resend is applied once on the new leader', async () => {
    const { held, a, b, bStore } = await hungLeader();
    await b.core.request('take_over', { node: 'hub-b' });
    await a.core.request('demote', { leader: LEADER_B });
    await a.core.settled();
    expect(a.outs().filter(inDoubt)).toHaveLength(1);

    b.core.enqueue([orderWriteUnit('m1')]);
    await b.core.settled();
    expect(b.outs().map((o) => o.msg.type)).toEqual(['ORDER_ACK', 'ORDER_UPDATED']);
    expect(await bStore.recentEvents(10)).toHaveLength(1);
    // Whatever the old connection still does, it cannot commit after the takeover: the fence refuses it.
    await expect(held.land()).rejects.toMatchObject({ code: 'NOT_LEADER' });
  });

  it('acks a commit whose answer arrives after all: it is durable', async () => {
    const { held, a } = await hungLeader();
    held.state.rejectOnAbandon = false;
    const result = await held.land();
    const demoted = a.core.request('demote', { leader: LEADER_B });
    held.hung[0]?.resolve(result);
    await demoted;
    await a.core.settled();
    expect(a.outs().filter(inDoubt)).toHaveLength(0);
    expect(a.outs().map((o) => o.msg.type)).toEqual(['ORDER_ACK', 'ORDER_UPDATED']);
  });

  it("gives up the term's own commit hung in the store (a heartbeat); the writes queued behind it are refused NOT_LEADER", async () => {
    const held = hangingPort(open());
    const a = hub(held.port);
    await a.core.request('take_over', { node: 'hub-a' });
    await a.core.settled();
    held.state.hang = true;
    a.clock.advance(config.HUB_LEADER_HEARTBEAT_MS);
    for (let i = 0; i < 20 && held.hung.length === 0; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(held.hung).toHaveLength(1);
    a.core.enqueue([orderWriteUnit('m1')]);
    a.core.commit();

    await a.core.request('demote', { leader: LEADER_B });
    await settlesWithin(a.core.settled(), 10_000, 'the lane after the demotion');
    expect(held.state.abandoned).toBe(1);
    expect(a.outs().map((o) => (o.msg.type === 'ERROR' ? o.msg.code : o.msg.type))).toEqual(['NOT_LEADER']);
  });

  it('gives nothing up when no commit is in flight', async () => {
    const held = hangingPort(open());
    const a = hub(held.port);
    await a.core.request('take_over', { node: 'hub-a' });
    await a.core.settled();
    await a.core.request('demote', { leader: LEADER_B });
    expect(held.state.abandoned).toBe(0);
  });
});

/** Rejects naming `what` if `promise` has not settled within `ms` (it never does without the give-up). */
function settlesWithin<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: still waiting after ${ms} ms`)), ms);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

describe('a follower taking over while its tail is hung on the old primary', () => {
  it("gives the tail's call up and takes over at once, then commits as the leader", async () => {
    const held = hangingPort(open());
    const b = hub(held.port);
    held.state.hangMarks = true;
    // The tail's tick: its mark refresh is a synchronous commit, hung on a primary that lost its standby.
    b.clock.advance(config.HUB_FOLLOWER_TAIL_MS);
    for (let i = 0; i < 20 && held.marks.length === 0; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(held.marks).toHaveLength(1);
    held.state.hangMarks = false;

    const taken = await settlesWithin(b.core.request('take_over', { node: 'hub-b' }), 10_000, 'the takeover');
    expect(taken.epoch).toBe(1);
    expect(held.state.abandoned).toBe(1);
    // Leading now: a write commits.
    b.core.enqueue([orderWriteUnit('m1')]);
    await b.core.settled();
    expect(b.outs().map((o) => o.msg.type)).toContain('ORDER_ACK');
  });
});
