/**
 * Finalization exactly once across a leader change (issue 18, docs/ha.md). Two hubs' forwarders share one
 * queue and one store (a real SQLite file, fenced by takeovers); the simulator's create_from_ui searches at
 * once and commits later, as Odoo 12 does, so a second send while the first still runs creates the order
 * twice. The claims (workers/writer/forward-claim.ts) must keep it to one order in Odoo.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createOdooClient } from '../../../src/adapters/odoo/client.js';
import { createFromUiFinalizer } from '../../../src/adapters/odoo/finalizers.js';
import { type Forwarder, createForwarder } from '../../../src/adapters/odoo/forwarder.js';
import { createLogger } from '../../../src/adapters/log/logger.js';
import { SqliteStorePort } from '../../../src/adapters/sqlite/store-port.js';
import { parseConfig, type Config } from '../../../src/config.js';
import type { ForwardOutcome, ForwardQueue } from '../../../src/ports/forwarding.js';
import { noopMetrics } from '../../../src/ports/metrics.js';
import { createForwardClaims, inDoubtWait } from '../../../workers/writer/forward-claim.js';
import { TestClock } from '../../helpers/clocks.js';
import { MemoryForwardQueue, paidSnapshot } from '../../helpers/odoo-forward-queue.js';
import { SIM_USERS, type StartedOdooSim, startOdooSim } from '../../helpers/odoo-sim.js';
import { pollUntil } from '../../helpers/wait.js';

const log = createLogger({ level: 'silent' });
const CREATE = 'pos.order.create_from_ui';

let odoo: StartedOdooSim;
let config: Config;
let dir: string;
let queue: MemoryForwardQueue;
const stores: SqliteStorePort[] = [];
const forwarders: Forwarder[] = [];

beforeEach(async () => {
  odoo = await startOdooSim();
  config = parseConfig({ ODOO_URL: odoo.url, ODOO_USER: SIM_USERS.hub.login, ODOO_PASSWORD: SIM_USERS.hub.password, ODOO_FINALIZE_MODE: 'create_from_ui' });
  dir = mkdtempSync(join(tmpdir(), 'pos-hub-claim-'));
  queue = new MemoryForwardQueue();
});

afterEach(async () => {
  for (const f of forwarders.splice(0)) await f.stop();
  for (const s of stores.splice(0)) await s.close();
  await odoo.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Hub {
  readonly fwd: Forwarder;
  readonly clock: TestClock;
  readonly outcomes: ForwardOutcome[];
}

/** A hub that took over in the shared store: its forwarder claims under its epoch. `lost`: its outcome writes never land. */
async function leader(name: string, options: { lost?: boolean } = {}): Promise<Hub> {
  const store = SqliteStorePort.open({ path: join(dir, 'hub.sqlite'), sync: 'normal' });
  stores.push(store);
  const clock = new TestClock();
  const epoch = await store.takeOver(name, clock.now());
  const claim = createForwardClaims({ store, commit: async (units) => void (await store.commit(units, clock.now(), epoch)), clock, config, epoch });
  const died = (): Promise<void> => Promise.reject(new Error(`${name} died before recording the outcome`));
  const view: ForwardQueue = {
    pending: (limit, now) => queue.pending(limit, now),
    markForwarded: options.lost === true ? died : (id, result) => queue.markForwarded(id, result),
    markAttemptFailed: options.lost === true ? died : (id, error, next) => queue.markAttemptFailed(id, error, next),
    markDead: options.lost === true ? died : (id, error) => queue.markDead(id, error),
    claim,
  };
  const outcomes: ForwardOutcome[] = [];
  const client = createOdooClient({ config, clock: new TestClock(), log, metrics: noopMetrics });
  const fwd = createForwarder({ queue: view, config, clock, log, metrics: noopMetrics, client, random: () => 0.5, onOutcome: (o) => outcomes.push(o) });
  forwarders.push(fwd);
  return { fwd, clock, outcomes };
}

const creates = (): number => odoo.sim.callCounts()[CREATE] ?? 0;

describe('finalization across a leader change', () => {
  it("an old leader's create still running in Odoo when a new leader takes over: one order in Odoo", async () => {
    const ref = 'NU/CFG1/S42/claim-001';
    queue.add(paidSnapshot(ref));
    const a = await leader('hub-a', { lost: true });
    odoo.sim.setFaults({ slowCreate: { count: 1, ms: 400 } });
    const aDrain = a.fwd.drainNow();
    await pollUntil(() => creates() === 1, "hub A's create_from_ui reaching Odoo");

    const b = await leader('hub-b');
    const waitUntil = b.clock.now() + inDoubtWait(config);
    expect(b.fwd.status().claimWaitUntil).toBeNull();
    expect(await b.fwd.drainNow()).toMatchObject({ skipped: 'paused', forwarded: 0 });
    // What /health and the dashboard show while nothing reaches Odoo (HealthView.odooForwardWait).
    expect(b.fwd.status().claimWaitUntil).toBe(waitUntil);
    await aDrain;
    expect(a.fwd.status().claimWaitUntil).toBeNull();
    expect(odoo.sim.ordersFor(ref)).toBe(1);
    expect(queue.statusOf(1)).toBe('pending');

    b.clock.advance(inDoubtWait(config));
    expect(b.fwd.status().claimWaitUntil).toBeNull();
    expect(await b.fwd.drainNow()).toMatchObject({ skipped: null, forwarded: 1 });
    expect(b.fwd.status().claimWaitUntil).toBeNull();
    expect(creates()).toBe(1);
    expect(odoo.sim.ordersFor(ref)).toBe(1);
    expect(b.outcomes).toEqual([expect.objectContaining({ kind: 'finalized', result: expect.objectContaining({ created: false }) })]);
  });

  it('a demoted leader cannot claim: it sends nothing, not even the look-up', async () => {
    queue.add(paidSnapshot('NU/CFG1/S42/claim-002'));
    const a = await leader('hub-a');
    await leader('hub-b');
    expect(await a.fwd.drainNow()).toMatchObject({ skipped: 'paused', forwarded: 0 });
    expect(odoo.sim.callCounts()['pos.order.search_read'] ?? 0).toBe(0);
    expect(creates()).toBe(0);
  });

  it('a new leader does not wait when its predecessor recorded the outcome of everything it claimed', async () => {
    queue.add(paidSnapshot('NU/CFG1/S42/claim-003'));
    const a = await leader('hub-a');
    expect(await a.fwd.drainNow()).toMatchObject({ forwarded: 1 });
    queue.add(paidSnapshot('NU/CFG1/S42/claim-004'));
    const b = await leader('hub-b');
    expect(await b.fwd.drainNow()).toMatchObject({ skipped: null, forwarded: 1 });
    expect(b.fwd.status().claimWaitUntil).toBeNull();
    expect(odoo.sim.ordersFor('NU/CFG1/S42/claim-004')).toBe(1);
  });

  it('a finalizer whose claim has run out sends nothing more', async () => {
    const event = queue.add(paidSnapshot('NU/CFG1/S42/claim-005'));
    const client = createOdooClient({ config, clock: new TestClock(), log, metrics: noopMetrics });
    const report = await createFromUiFinalizer(client, log).finalize([event], () => false);
    expect(report.outcomes).toEqual([]);
    expect(report.retry?.retryable).toBe(true);
    expect(creates()).toBe(0);
  });
});
