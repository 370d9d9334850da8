/**
 * Odoo faults during finalize traffic (issue 14 item 6), against the simulator as a separate process
 * behind a switchable TCP proxy: Odoo hanging (a listener that accepts and never answers), packets
 * vanishing (a black hole that never reads), and the simulator process frozen with SIGSTOP — whose
 * requests the hub gave up on are executed when it is continued. In each case the terminal's
 * ORDER_ACKs arrive while Odoo is away, forwarding resumes by itself once it is back, and every order
 * exists in Odoo exactly once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, waitForHttp } from '../../../bench/lib/proc.js';
import { startFaultProxy, type FaultProxy, type ProxyMode } from '../../fixtures/tcp-fault-proxy.js';
import { paidSnapshot } from '../../helpers/odoo-forward-queue.js';
import { HUB_LOGIN, HUB_PASSWORD, SIM_DB, SIM_POS_CONFIG } from '../../helpers/odoo-sim.js';
import { startHub, type StartedHub } from '../../helpers/start-hub.js';
import { TestTerminal } from '../../helpers/terminal.js';
import { pollUntil, waitForDashboard } from '../../helpers/wait.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const ORDERS_PER_FAULT = 4;
const ADMIN = 'faults-admin-token';

let sim: ChildProcess;
let simUrl: string;
let proxy: FaultProxy;
let hub: StartedHub;
let till: TestTerminal;

beforeAll(async () => {
  const port = await freePort();
  sim = spawn(process.execPath, ['--import', 'tsx', 'src/odoo-sim/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, ODOO_SIM_PORT: String(port) },
    stdio: 'ignore',
  });
  simUrl = `http://127.0.0.1:${port}`;
  await waitForHttp(`${simUrl}/pos-hub-sim/state`, 30_000, () => sim.exitCode === null);
  proxy = await startFaultProxy(port);
  hub = await startHub({
    env: {
      ODOO_URL: proxy.url,
      ODOO_DB: SIM_DB,
      ODOO_USER: HUB_LOGIN,
      ODOO_PASSWORD: HUB_PASSWORD,
      ODOO_TIMEOUT_MS: '500',
      // The simulator's own requests are its limit_time_real here: an in-doubt call is decided after 1 s.
      ODOO_IN_DOUBT_PAUSE_MS: '1000',
      HUB_FORWARD_INTERVAL_MS: '200',
      // The dashboard socket pushes odooReachable when it changes: the tests wait on it, not on /health.
      HUB_ADMIN_TOKEN: ADMIN,
    },
  });
  till = await TestTerminal.connect(hub.wsUrl, { deviceId: 'fault-till' });
}, 60_000);

afterAll(async () => {
  await till?.close();
  await hub?.close();
  await proxy?.close();
  if (sim && sim.exitCode === null) {
    sim.kill('SIGCONT');
    sim.kill('SIGTERM');
    await new Promise((resolve) => sim.once('exit', resolve));
  }
});

async function simOrders(): Promise<Record<string, number>> {
  return ((await (await fetch(`${simUrl}/pos-hub-sim/state`)).json()) as { orders: Record<string, number> }).orders;
}

async function health(): Promise<{ odooReachable: boolean; pendingForward: number }> {
  return (await (await fetch(`${hub.url}/health`)).json()) as { odooReachable: boolean; pendingForward: number };
}

/** Waits for the hub's dashboard push saying Odoo is unreachable while `also()` holds (an in-process count). */
async function untilUnreachable(what: string, also: () => boolean = () => true): Promise<void> {
  await waitForDashboard(hub.wsUrl, ADMIN, (push) => push.state.health.odooReachable === false && also(), what, 30_000);
}

/** Finalize `n` paid orders; every one must be acknowledged while Odoo is still away. */
async function finalizeOrders(tag: string, n: number): Promise<string[]> {
  const refs = Array.from({ length: n }, (_, i) => `Main/00${tag}-001-000${i + 1}`);
  for (const ref of refs)
    till.send({
      type: 'ORDER_FINALIZE',
      posReference: ref,
      snapshot: paidSnapshot(ref),
      configId: SIM_POS_CONFIG.id,
      mutationId: `fin-${ref}`,
    });
  for (const ref of refs)
    expect(await till.awaitType('ORDER_ACK', (m) => m.mutationId === `fin-${ref}`)).toMatchObject({
      posReference: ref,
    });
  return refs;
}

async function expectForwardedOnce(refs: readonly string[]): Promise<void> {
  for (const ref of refs)
    expect(
      await till.awaitMessage((m) => m.type === 'ORDER_FINALIZED' && m.posReference === ref, `ORDER_FINALIZED ${ref}`),
    ).toMatchObject({ posReference: ref });
  const orders = await simOrders();
  for (const ref of refs) expect(orders[ref], ref).toBe(1);
  expect((await health()).pendingForward).toBe(0);
}

describe('finalize traffic while Odoo misbehaves', () => {
  it('warms up: the hub signs in and forwards through the proxy', async () => {
    const refs = await finalizeOrders('10', 1);
    await expectForwardedOnce(refs);
  }, 60_000);

  it.each<[string, ProxyMode, string]>([
    ['hangs (accepts, never answers)', 'hang', '20'],
    ['is a black hole (accepts, never reads)', 'blackhole', '30'],
  ])(
    'Odoo %s: acks unaffected, forwarding resumes after, each order once',
    async (_what, mode, tag) => {
      proxy.mode = mode;
      const before = proxy.accepted[mode];
      const refs = await finalizeOrders(tag, ORDERS_PER_FAULT);
      await untilUnreachable(`the forwarder to hit the ${mode} and time out`, () => proxy.accepted[mode] > before);
      expect(Object.keys(await simOrders()).filter((r) => refs.includes(r))).toEqual([]);
      proxy.mode = 'pass';
      await expectForwardedOnce(refs);
    },
    90_000,
  );

  it('the simulator process is stopped (SIGSTOP): requests given up on run after SIGCONT, still each order once', async () => {
    const before = proxy.accepted.pass;
    sim.kill('SIGSTOP');
    try {
      const refs = await finalizeOrders('40', ORDERS_PER_FAULT);
      await untilUnreachable('the forwarder to time out on the stopped simulator', () => proxy.accepted.pass > before);
      sim.kill('SIGCONT');
      await expectForwardedOnce(refs);
    } finally {
      sim.kill('SIGCONT');
    }
  }, 90_000);

  it('the simulator is stopped while create_from_ui is in its hands: the abandoned call commits after SIGCONT, the retry finds it, each order once', async () => {
    const postFaults = (patch: Record<string, unknown>): Promise<Response> =>
      fetch(`${simUrl}/pos-hub-sim/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(patch),
      });
    const creates = async (): Promise<number> =>
      ((await (await fetch(`${simUrl}/pos-hub-sim/state`)).json()) as { calls: Record<string, number> }).calls[
        'pos.order.create_from_ui'
      ] ?? 0;
    const baseline = await creates();
    // The simulator counts a call on arrival and runs it after this delay: time to freeze it in between.
    await postFaults({ latencyMs: 450 });
    try {
      const refs = await finalizeOrders('50', ORDERS_PER_FAULT);
      // The simulator is another process with no push channel: its call counter is only readable by asking.
      await pollUntil(async () => (await creates()) !== baseline, 'create_from_ui to reach the simulator', { everyMs: 10, limitMs: 30_000 });
      sim.kill('SIGSTOP');
      await untilUnreachable('the forwarder to time out on the frozen create_from_ui');
      sim.kill('SIGCONT');
      await postFaults({ latencyMs: 0 });
      await expectForwardedOnce(refs);
    } finally {
      sim.kill('SIGCONT');
      await postFaults({ latencyMs: 0 });
    }
  }, 90_000);
});
