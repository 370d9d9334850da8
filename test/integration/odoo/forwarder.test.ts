/**
 * Fault tests of the forwarder against the simulator, in both finalize modes: Odoo down for a while
 * then back, 5xx and timeouts after Odoo committed, session expiry mid-drain, serialization failures,
 * a poison order. Invariants checked every time: each finalized order exists in Odoo exactly once,
 * events are marked forwarded in commit order, and only after Odoo confirmed them.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createOdooClient } from '../../../src/adapters/odoo/client.js';
import { BACKOFF_MAX_MS, type Forwarder, createForwarder } from '../../../src/adapters/odoo/forwarder.js';
import { createLogger } from '../../../src/adapters/log/logger.js';
import { parseConfig, type Config } from '../../../src/config.js';
import type { ForwardOutcome } from '../../../src/ports/forwarding.js';
import { type HubMetrics, noopMetrics } from '../../../src/ports/metrics.js';
import { SIM_USERS, type StartedOdooSim, startOdooSim } from '../../helpers/odoo-sim.js';
import { MemoryForwardQueue, paidSnapshot } from '../../helpers/odoo-forward-queue.js';
import { TestClock } from '../../helpers/clocks.js';

const log = createLogger({ level: 'silent' });
const MODES = ['create_from_ui', 'hub_finalize_snapshot'] as const;
type Mode = (typeof MODES)[number];

interface Rig {
  odoo: StartedOdooSim;
  queue: MemoryForwardQueue;
  clock: TestClock;
  /** Drives the client's per-call HTTP timeouts (7.5 s): they fire only when a test advances it. */
  http: TestClock;
  fwd: Forwarder;
  outcomes: ForwardOutcome[];
  attempts: string[];
  finalizeLabel: string;
  config: Config;
}

async function rig(mode: Mode, options: { fetch?: typeof fetch; batch?: number } = {}): Promise<Rig> {
  const odoo = await startOdooSim();
  const config = parseConfig({
    ODOO_URL: odoo.url,
    ODOO_USER: SIM_USERS.hub.login,
    ODOO_PASSWORD: SIM_USERS.hub.password,
    ODOO_FINALIZE_MODE: mode,
    HUB_FORWARD_BATCH_SIZE: String(options.batch ?? 5),
    HUB_FORWARD_INTERVAL_MS: '5000',
  });
  const queue = new MemoryForwardQueue();
  const clock = new TestClock();
  const outcomes: ForwardOutcome[] = [];
  const attempts: string[] = [];
  const metrics: HubMetrics = { ...noopMetrics, forwardAttempt: (o) => attempts.push(o) };
  const http = new TestClock();
  const client = createOdooClient({ config, clock: http, log, metrics, ...(options.fetch ? { fetch: options.fetch } : {}) });
  const fwd = createForwarder({ queue, config, clock, log, metrics, client, random: () => 0.5, onOutcome: (o) => outcomes.push(o) });
  return { odoo, queue, clock, http, fwd, outcomes, attempts, config, finalizeLabel: mode === 'create_from_ui' ? 'pos.order.create_from_ui' : 'pos.order.hub_finalize_snapshot' };
}

function addOrders(r: Rig, n: number, prefix: string): string[] {
  const refs = Array.from({ length: n }, (_, i) => `NU/CFG1/S42/${prefix}-${String(i + 1).padStart(3, '0')}`);
  for (const ref of refs) r.queue.add(paidSnapshot(ref));
  return refs;
}

/** Drain until nothing is pending, jumping the manual clock over every backoff. Bounded. */
async function drainAll(r: Rig, maxRounds = 60): Promise<void> {
  for (let i = 0; i < maxRounds; i += 1) {
    if (r.queue.counts().pending === 0) return;
    const report = await r.fwd.drainNow();
    if (report.skipped === 'paused' || report.retrying > 0) r.clock.advance(BACKOFF_MAX_MS);
  }
  throw new Error(`queue not drained after ${maxRounds} rounds`);
}

/** The invariants: exactly once in Odoo, commit order, and every forwarded mark backed by an Odoo order. */
function assertExactlyOnce(r: Rig, refs: readonly string[], dead: readonly string[] = []): void {
  for (const ref of refs) {
    expect(r.odoo.sim.ordersFor(ref), ref).toBe(dead.includes(ref) ? 0 : 1);
  }
  const order = r.queue.forwardedOrder;
  expect([...order].sort((a, b) => a - b)).toEqual(order);
  for (const e of r.queue.events) {
    if (e.status !== 'forwarded') continue;
    const odooOrder = r.odoo.sim.data.orders.get(e.result!.orderId);
    expect(odooOrder?.pos_reference).toBe(e.event.posReference);
    const lineIds = [...(odooOrder?.lines ?? [])];
    expect(Object.values(e.result!.lineIdMap).sort()).toEqual(lineIds.sort());
    expect(Object.keys(e.result!.lineIdMap)).toEqual(e.event.snapshot.lines.map((l) => l.uid));
  }
  expect(r.queue.events.filter((e) => e.status === 'forwarded').length).toBe(refs.length - dead.length);
}

describe.each(MODES)('forwarder in %s mode', (mode) => {
  let r: Rig;
  beforeEach(async () => {
    r = await rig(mode);
  });
  afterEach(async () => {
    await r.fwd.stop();
    await r.odoo.close();
  });

  it('forwards batches in commit order with line id maps, exactly once', async () => {
    const refs = addOrders(r, 12, 'happy');
    const first = await r.fwd.drainNow();
    expect(first).toEqual({ skipped: null, forwarded: 5, dead: 0, retrying: 0 });
    await drainAll(r);
    assertExactlyOnce(r, refs);
    expect(r.outcomes.every((o) => o.kind === 'finalized' && o.result.created)).toBe(true);
    expect(r.fwd.status()).toMatchObject({ odooReachable: true, lastError: null, lastOdooSync: r.clock.now() });
  });

  it('survives Odoo being down for a while: backs off exponentially, then delivers everything once', async () => {
    const refs = addOrders(r, 7, 'down');
    await r.odoo.sim.refuse();
    const t0 = r.clock.now();
    const failed = await r.fwd.drainNow();
    expect(failed).toMatchObject({ forwarded: 0, retrying: 5 });
    expect(r.fwd.status()).toMatchObject({ odooReachable: false, lastOdooSync: null });
    expect(r.fwd.status().lastError).toContain('ECONNREFUSED');
    expect(await r.fwd.drainNow()).toMatchObject({ skipped: 'paused' });
    const waits: number[] = [];
    for (let i = 0; i < 4; i += 1) {
      const last = r.outcomes.at(-1);
      if (last?.kind !== 'retrying') throw new Error('expected retrying');
      waits.push(last.nextAttemptAt - r.clock.now());
      r.clock.advance(last.nextAttemptAt - r.clock.now());
      await r.fwd.drainNow();
    }
    // random = 0.5 → 0.75 × 1 s, 2 s, 4 s, 8 s.
    expect(waits).toEqual([750, 1500, 3000, 6000]);
    expect(r.queue.forwardedOrder).toEqual([]);
    expect(r.attempts.every((a) => a === 'retry')).toBe(true);
    await r.odoo.sim.accept();
    await drainAll(r);
    assertExactlyOnce(r, refs);
    expect(r.clock.now()).toBeGreaterThan(t0);
    expect(r.fwd.status()).toMatchObject({ odooReachable: true, lastError: null });
  });

  it('a 502 after Odoo committed mid-batch does not create a second order on retry', async () => {
    const refs = addOrders(r, 5, 'bad-gateway');
    // The second finalize call (or the only create_from_ui call) commits, then the proxy answers 502.
    r.odoo.sim.setFaults({ http: { status: 502, count: 1, match: r.finalizeLabel, phase: 'after' } });
    if (mode === 'hub_finalize_snapshot') {
      await r.fwd.drainNow();
      r.clock.advance(BACKOFF_MAX_MS);
    }
    r.odoo.sim.setFaults({ http: { status: 502, count: 1, match: r.finalizeLabel, phase: 'after' } });
    const report = await r.fwd.drainNow();
    expect(report.retrying).toBeGreaterThan(0);
    await drainAll(r);
    assertExactlyOnce(r, refs);
    expect(r.outcomes.filter((o) => o.kind === 'finalized' && !o.result.created).length).toBeGreaterThan(0);
  });

  it('a timeout after Odoo committed (and 500s before it did) still ends exactly once', async () => {
    const refs = addOrders(r, 8, 'timeout');
    r.odoo.sim.setFaults({ hang: { count: 1, match: r.finalizeLabel, phase: 'after' } });
    const n = r.odoo.sim.calls(r.finalizeLabel) + 1;
    const draining = r.fwd.drainNow();
    await r.odoo.sim.waitForHandled(r.finalizeLabel, n);
    r.http.advance(7500);
    const report = await draining;
    expect(report.retrying).toBeGreaterThan(0);
    expect(r.fwd.status().lastError).toContain('within 7500 ms');
    // In doubt (Odoo may still be running it): wait out Odoo's limit_time_real before looking again.
    const last = r.outcomes.at(-1);
    expect(last?.kind === 'retrying' && last.nextAttemptAt - r.clock.now()).toBe(r.config.ODOO_IN_DOUBT_PAUSE_MS);
    r.clock.advance(r.config.ODOO_IN_DOUBT_PAUSE_MS - 1);
    expect(await r.fwd.drainNow()).toMatchObject({ skipped: 'paused' });
    r.clock.advance(1);
    r.odoo.sim.setFaults({ http: { status: 500, count: 2, match: 'search_read' } });
    await drainAll(r);
    assertExactlyOnce(r, refs);
  });

  it('re-logs in when the hub session expires mid-drain and loses nothing', async () => {
    // A second rig whose fetch kills the hub's Odoo sessions right after the drain's first call_kw.
    let armed = false;
    let odooRef: StartedOdooSim | null = null;
    const killer: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (armed && (input instanceof Request ? input.url : input.toString()).includes('/web/dataset/call_kw')) {
        armed = false;
        odooRef?.sim.revokeUser(SIM_USERS.hub.login);
      }
      return res;
    };
    const m = await rig(mode, { fetch: killer });
    odooRef = m.odoo;
    try {
      const refs = addOrders(m, 3, 'expiry');
      await m.fwd.drainNow();
      const logins = m.odoo.sim.calls('/web/session/authenticate');
      const more = addOrders(m, 5, 'expiry-b');
      armed = true;
      const report = await m.fwd.drainNow();
      expect(armed).toBe(false);
      expect(report).toMatchObject({ forwarded: 5, retrying: 0 });
      expect(m.odoo.sim.calls('/web/session/authenticate')).toBe(logins + 1);
      assertExactlyOnce(m, [...refs, ...more]);
    } finally {
      await m.fwd.stop();
      await m.odoo.close();
    }
  });

  it('serialization failures beyond Odoo\'s own retries are retried later', async () => {
    const refs = addOrders(r, 3, 'serial');
    r.odoo.sim.setFaults({ serializationFailures: 6 });
    expect((await r.fwd.drainNow()).retrying).toBe(3);
    await drainAll(r);
    assertExactlyOnce(r, refs);
  });

  it('dead-letters a poison order without blocking the queue behind it', async () => {
    const refs = addOrders(r, 7, 'poison');
    const poison = refs[2]!;
    r.odoo.sim.setFaults({ poisonReferences: [poison] });
    await drainAll(r);
    assertExactlyOnce(r, refs, [poison]);
    expect(r.queue.statusOf(3)).toBe('dead');
    const dead = r.outcomes.filter((o) => o.kind === 'dead');
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ kind: 'dead', error: expect.stringContaining('poison order') });
    expect(r.queue.forwardedOrder).toEqual([1, 2, 4, 5, 6, 7]);
    expect(r.attempts.filter((a) => a === 'dead')).toHaveLength(1);
  });

  it('after a restart the first drain takes the head of the queue even if its backoff has not elapsed', async () => {
    const refs = addOrders(r, 4, 'restart');
    // A previous hub process left events 1-2 backing off far in the future; 3-4 never failed.
    await r.queue.markAttemptFailed(1, 'previous run', r.clock.now() + 3_600_000);
    await r.queue.markAttemptFailed(2, 'previous run', r.clock.now() + 3_600_000);
    await r.fwd.drainNow();
    expect(r.queue.forwardedOrder).toEqual([1, 2, 3, 4]);
    assertExactlyOnce(r, refs);
  });

  it('sends a reference queued twice once and confirms both events with the same order', async () => {
    const snap = paidSnapshot('NU/CFG1/S42/twice');
    r.queue.add(snap);
    r.queue.add(snap);
    await drainAll(r);
    expect(r.odoo.sim.ordersFor('NU/CFG1/S42/twice')).toBe(1);
    const [a, b] = r.queue.events;
    expect(a!.result!.orderId).toBe(b!.result!.orderId);
    expect([a!.result!.created, b!.result!.created]).toEqual([true, false]);
  });

  it('runs on its own schedule: start() drains, kick() drains again, stop() waits for the drain in flight', async () => {
    const done = (n: number): Promise<void> =>
      new Promise((resolve) => {
        const check = (): void => {
          if (r.outcomes.length >= n) resolve();
          else setImmediate(check);
        };
        check();
      });
    addOrders(r, 2, 'timer');
    r.fwd.start();
    r.clock.advance(0);
    await done(2);
    addOrders(r, 1, 'timer-b');
    r.fwd.kick();
    r.clock.advance(0);
    await done(3);
    addOrders(r, 1, 'timer-c');
    r.odoo.sim.setFaults({ latencyMs: 50 });
    r.clock.advance(5000);
    await r.fwd.stop();
    expect(r.queue.counts().pending).toBe(0);
    expect(r.outcomes).toHaveLength(4);
    expect(r.clock.pending()).toBe(0);
  });
});

describe('create_from_ui specifics', () => {
  it('bisects a batch rolled back by a one-off UserError so nothing is dead-lettered', async () => {
    const r = await rig('create_from_ui');
    try {
      const refs = addOrders(r, 5, 'oneoff');
      r.odoo.sim.setFaults({ userError: { count: 1 } });
      const report = await r.fwd.drainNow();
      expect(report).toEqual({ skipped: null, forwarded: 5, dead: 0, retrying: 0 });
      assertExactlyOnce(r, refs);
    } finally {
      await r.odoo.close();
    }
  });

  it('marks forwarded an order Odoo left in draft (it exists; resending would be skipped) ', async () => {
    const r = await rig('create_from_ui');
    try {
      const refs = addOrders(r, 2, 'draft');
      r.odoo.sim.setFaults({ postCreateFailures: 1 });
      await drainAll(r);
      assertExactlyOnce(r, refs);
      expect([...r.odoo.sim.data.orders.values()].map((o) => o.state)).toEqual(['draft', 'paid']);
    } finally {
      await r.odoo.close();
    }
  });
});
