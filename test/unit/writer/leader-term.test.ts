/**
 * The writer's leadership term (docs/ha.md): a leader's forwarder gets a claim that commits under the
 * writer's fence (finalization exactly once across a leader change), a standalone forwarder gets none, a
 * claim refused by a newer takeover makes the writer follow like any fenced commit; and a leader commits
 * its fenced heartbeat on schedule until it is demoted. Real SQLite, two handles.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/adapters/log/logger.js';
import { SqliteStorePort } from '../../../src/adapters/sqlite/store-port.js';
import { parseConfig } from '../../../src/config.js';
import type { ForwardQueue } from '../../../src/ports/forwarding.js';
import { noopMetrics } from '../../../src/ports/metrics.js';
import { isFenced } from '../../../src/ports/store.js';
import type { WriterNotice } from '../../../src/threads/contract.js';
import { FORWARD_CLAIM_KEY } from '../../../workers/writer/forward-claim.js';
import { LEADER_HEARTBEAT_KEY } from '../../../workers/writer/leader-heartbeat.js';
import { WriterCore } from '../../../workers/writer/writer-core.js';
import { fixedClock, writerClock } from '../../helpers/clocks.js';
import { pollUntil } from '../../helpers/wait.js';

const config = parseConfig({ HUB_DEV_AUTH: 'true', HUB_HOST: '127.0.0.1', HUB_COMMIT_WINDOW_MS: '0' });
let dir: string;
const stores: SqliteStorePort[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pos-hub-writer-claim-'));
});
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  rmSync(dir, { recursive: true, force: true });
});

function open(): SqliteStorePort {
  const store = SqliteStorePort.open({ path: join(dir, 'hub.sqlite'), sync: 'normal' });
  stores.push(store);
  return store;
}

function writer(role: 'standalone' | 'follower') {
  const store = open();
  const clock = fixedClock();
  const queues: ForwardQueue[] = [];
  const sent: WriterNotice[] = [];
  const core = new WriterCore({
    store,
    config,
    clock: writerClock(clock),
    log: createLogger({ level: 'silent' }),
    metrics: noopMetrics,
    toFront: (m) => sent.push(m),
    role,
    createForwarder: ({ queue }) => {
      queues.push(queue);
      return { start: () => undefined, kick: () => undefined, stop: () => Promise.resolve(), status: () => ({ lastOdooSync: null, odooReachable: true, lastError: null }) };
    },
  });
  return { store, core, queues, sent, clock };
}

const event = { eventId: 7, posReference: 'A', snapshot: {} as never, configId: 1, terminalId: 'ann', attempts: 0 };

describe('the writer claims what its forwarder sends', () => {
  it('a standalone forwarder gets no claim: SQLite alone never needs one', () => {
    const w = writer('standalone');
    expect(w.queues).toHaveLength(1);
    expect(w.queues[0]?.claim).toBeUndefined();
  });

  it("a leader's claim commits under its epoch; after another hub's takeover it is refused and the writer follows", async () => {
    const w = writer('follower');
    const { epoch } = await w.core.request('take_over', { node: 'hub-a' });
    const claim = w.queues[0]?.claim;
    expect(claim).toBeDefined();
    expect(await claim!([event], 1)).toMatchObject({ kind: 'granted' });
    expect(JSON.parse((await w.store.meta(FORWARD_CLAIM_KEY)) ?? 'null')).toMatchObject({ epoch, events: [7] });

    await open().takeOver('hub-b', 2);
    const refused = await claim!([event], 3).then(
      () => null,
      (error: unknown) => error,
    );
    expect(isFenced(refused)).toBe(true);
    expect(w.sent).toContainEqual({ type: 'fenced', input: { epoch, current: epoch + 1 } });
    expect(JSON.parse((await w.store.meta(FORWARD_CLAIM_KEY)) ?? 'null')).toMatchObject({ epoch });
  });

  it('a leader commits its heartbeat at the takeover and every interval, and stops when demoted', async () => {
    const w = writer('follower');
    const beat = async (): Promise<unknown> => JSON.parse((await w.store.meta(LEADER_HEARTBEAT_KEY)) ?? 'null');
    expect(await beat()).toBeNull();
    const { epoch } = await w.core.request('take_over', { node: 'hub-a' });
    await pollUntil(async () => (await beat()) !== null, 'the first heartbeat');
    expect(await beat()).toEqual({ epoch, beat: 1 });
    w.clock.advance(config.HUB_LEADER_HEARTBEAT_MS);
    await pollUntil(async () => ((await beat()) as { beat: number }).beat === 2, 'the second heartbeat');
    await w.core.request('demote', { leader: null });
    w.clock.advance(config.HUB_LEADER_HEARTBEAT_MS * 3);
    await w.core.settled();
    expect(await beat()).toEqual({ epoch, beat: 2 });
  });
});
