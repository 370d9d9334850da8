/**
 * Rate limits and caps on a real hub: one terminal's flood of lease and lock requests meets
 * RATE_LIMITED (with retryAfterMs) and the TOO_MANY_* caps while another terminal works normally; a
 * terminal that ignores its refusals is closed with 4007; one address cannot hold more unauthenticated
 * sockets or send AUTH faster than allowed; and random or repeated bad tokens do not reach Odoo at full
 * rate (the simulator counts its get_session_info calls).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/adapters/log/logger.js';
import { createOdooClient } from '../../../src/adapters/odoo/client.js';
import { createOdooTokenValidator } from '../../../src/adapters/odoo/token-validator.js';
import { parseConfig } from '../../../src/config.js';
import { systemClock } from '../../../src/ports/clock.js';
import { CLOSE_CODES } from '../../../src/protocol/close-codes.js';
import { TestClock } from '../../helpers/clocks.js';
import { bootHubs } from '../../helpers/start-hub.js';
import { startOdooSim, SIM_USERS, type StartedOdooSim } from '../../helpers/odoo-sim.js';
import { TestTerminal, type Msg } from '../../helpers/terminal.js';

const boot = bootHubs();

const errorsOf = (t: TestTerminal, code: string): Msg[] =>
  t.messages.filter((m) => m.type === 'ERROR' && m.code === code);

describe('per-terminal rate limits and caps', () => {
  it('a flood of lease and lock requests is refused with RATE_LIMITED and TOO_MANY_*; another terminal is served', async () => {
    // The front's clock stands still unless the test moves it, so the bucket cannot refill mid-flood
    // however slowly this machine delivers the frames: the counts below are exact at any speed.
    const clock = new TestClock();
    const hub = await boot({
      env: {
        HUB_RATE_GRANTS: '10/50',
        HUB_MAX_LEASES_PER_TERMINAL: '5',
        HUB_MAX_LOCKS_PER_TERMINAL: '3',
        HUB_RATE_ABUSE_LIMIT: '100000',
      },
      clock,
    });
    const flood = await TestTerminal.connect(hub.wsUrl, { deviceId: 'flood' });
    for (let i = 0; i < 30; i++) flood.send({ type: 'LEASE_ACQUIRE', posReference: `F-${i}`, baseVersion: 0 });
    for (let i = 1; i <= 30; i++) flood.send({ type: 'TABLE_LOCK_ACQUIRE', tableId: i });
    flood.send({ type: 'HEARTBEAT' });
    await flood.awaitType('HEARTBEAT_ACK');
    const limited = await flood.awaitMessage((m) => m.type === 'ERROR' && m.code === 'RATE_LIMITED', 'RATE_LIMITED');
    expect(limited.retryAfterMs).toBe(100); // one token at 10/s
    expect(limited.ref).toMatchObject({ type: expect.stringMatching(/LEASE_ACQUIRE|TABLE_LOCK_ACQUIRE/) });
    await flood.awaitMessage((m) => m.type === 'ERROR' && m.code === 'TOO_MANY_LEASES', 'TOO_MANY_LEASES');
    await flood.awaitMessage((m) => m.type === 'ERROR' && m.code === 'TOO_MANY_LOCKS', 'TOO_MANY_LOCKS');
    // Every one of the 60 frames is answered: exactly the caps granted, 50 frames passed the bucket (its
    // burst, no refill), the other 10 rate limited.
    const answered = (): number =>
      flood.messages.filter((m) => m.type === 'LEASE_GRANTED' || m.type === 'TABLE_LOCK_GRANTED').length +
      ['TOO_MANY_LEASES', 'TOO_MANY_LOCKS', 'RATE_LIMITED'].reduce((n, code) => n + errorsOf(flood, code).length, 0);
    await flood.awaitMessage(() => answered() >= 60, 'an answer to every frame');
    expect(answered()).toBe(60);
    expect(flood.messages.filter((m) => m.type === 'LEASE_GRANTED')).toHaveLength(5);
    expect(flood.messages.filter((m) => m.type === 'TABLE_LOCK_GRANTED')).toHaveLength(3);
    expect(errorsOf(flood, 'TOO_MANY_LEASES').length + errorsOf(flood, 'TOO_MANY_LOCKS').length + 8).toBe(50);
    expect(errorsOf(flood, 'RATE_LIMITED')).toHaveLength(10);

    const other = await TestTerminal.connect(hub.wsUrl, { deviceId: 'calm' });
    other.send({ type: 'LEASE_ACQUIRE', posReference: 'CALM-1', baseVersion: 0 });
    await other.awaitType('LEASE_GRANTED', (m) => m.posReference === 'CALM-1');

    // Releasing a lease frees its slot, but the bucket is still empty until retryAfterMs has passed.
    flood.send({ type: 'LEASE_RELEASE', posReference: 'F-0' });
    await flood.awaitType('LEASE_RELEASED', (m) => m.posReference === 'F-0');
    const attempt = (): Promise<Msg> => {
      flood.send({ type: 'LEASE_ACQUIRE', posReference: 'F-new', baseVersion: 0 });
      return flood.awaitMessage(
        (m) =>
          (m.type === 'LEASE_GRANTED' && m.posReference === 'F-new') ||
          (m.type === 'ERROR' && (m.ref as Msg | undefined)?.posReference === 'F-new'),
      );
    };
    const refused = await attempt();
    expect(refused).toMatchObject({ type: 'ERROR', code: 'RATE_LIMITED', retryAfterMs: 100 });
    clock.advance(Number(refused.retryAfterMs));
    await expect(attempt()).resolves.toMatchObject({ type: 'LEASE_GRANTED' });
    await flood.close();
    await other.close();
  });

  it('closes a terminal that keeps sending through its refusals with 4007', async () => {
    const hub = await boot({ env: { HUB_RATE_HEARTBEATS: '1/5', HUB_RATE_ABUSE_LIMIT: '20' } });
    const t = await TestTerminal.connect(hub.wsUrl, { deviceId: 'noisy' });
    for (let i = 0; i < 40; i++) t.send({ type: 'HEARTBEAT' });
    await expect(t.closed).resolves.toMatchObject({ code: CLOSE_CODES.RATE_LIMITED.code });
    expect(errorsOf(t, 'RATE_LIMITED').length).toBeGreaterThanOrEqual(19);
  });
});

describe('per-address limits', () => {
  it('closes sockets over HUB_MAX_UNAUTH_PER_ADDRESS with TOO_MANY_CONNECTIONS and 4007; signing in frees a slot', async () => {
    const hub = await boot({ env: { HUB_MAX_UNAUTH_PER_ADDRESS: '3' } });
    const idle = await Promise.all([1, 2, 3].map((i) => TestTerminal.open(hub.wsUrl, { deviceId: `idle-${i}` })));
    const extra = await TestTerminal.open(hub.wsUrl, { deviceId: 'extra' });
    await expect(extra.closed).resolves.toMatchObject({ code: CLOSE_CODES.RATE_LIMITED.code });
    expect(errorsOf(extra, 'TOO_MANY_CONNECTIONS')).toHaveLength(1);
    await idle[0]!.authenticate();
    const next = await TestTerminal.connect(hub.wsUrl, { deviceId: 'next' });
    expect(next.closeInfo).toBeNull();
    for (const t of [...idle, next]) await t.close();
  });

  it('refuses AUTH faster than HUB_RATE_AUTH_PER_ADDRESS with RATE_LIMITED and 4007', async () => {
    const hub = await boot({ env: { HUB_RATE_AUTH_PER_ADDRESS: '1/3' } });
    const ok = [];
    for (let i = 0; i < 3; i++) ok.push(await TestTerminal.connect(hub.wsUrl, { deviceId: `a-${i}` }));
    const refused = await TestTerminal.open(hub.wsUrl, { deviceId: 'a-4' });
    refused.send({ type: 'AUTH', token: '', deviceId: 'a-4' });
    const error = await refused.awaitType('ERROR');
    expect(error).toMatchObject({ code: 'RATE_LIMITED', retryAfterMs: expect.any(Number) });
    await expect(refused.closed).resolves.toMatchObject({ code: CLOSE_CODES.RATE_LIMITED.code });
    for (const t of ok) await t.close();
  });
});

describe('AUTH floods and Odoo', () => {
  let odoo: StartedOdooSim;
  beforeAll(async () => {
    odoo = await startOdooSim();
  });
  afterAll(async () => {
    await odoo.close();
  });

  it('repeated and random bad tokens reach get_session_info at most once per token and within the hub-wide budget', async () => {
    const env = {
      HUB_RATE_AUTH_PER_ADDRESS: '100000/100000',
      HUB_MAX_UNAUTH_PER_ADDRESS: '1000',
      HUB_RATE_AUTH_ODOO: '1/20',
      HUB_AUTH_NEGATIVE_CACHE_MS: '60000',
    };
    const config = parseConfig({
      HUB_DEV_AUTH: 'true',
      HUB_HOST: '127.0.0.1',
      ODOO_URL: odoo.url,
      ODOO_USER: SIM_USERS.hub.login,
      ODOO_PASSWORD: SIM_USERS.hub.password,
      ...env,
    });
    const log = createLogger({ level: 'silent' });
    const tokenValidator = createOdooTokenValidator({
      client: createOdooClient({ config, clock: systemClock, log }),
      config,
      clock: systemClock,
      log,
    });
    const hub = await boot({ env, tokenValidator });
    const path = '/web/session/get_session_info';
    const before = odoo.sim.calls(path);
    const signIn = async (token: string, i: number): Promise<Msg> => {
      const t = await TestTerminal.open(hub.wsUrl, { deviceId: `bad-${i}` });
      t.send({ type: 'AUTH', token, deviceId: `bad-${i}` });
      const reply = await t.awaitType('AUTH_FAIL');
      await t.closed;
      return reply;
    };
    // One bad token (of an Odoo session id's shape: others never reach Odoo), 100 times in a row: Odoo hears of it once.
    for (let i = 0; i < 100; i++) expect(await signIn('0badc0de'.repeat(5), i)).toMatchObject({ code: 'AUTH_FAILED' });
    expect(odoo.sim.calls(path) - before).toBe(1);
    // 200 random tokens at once: at most the hub-wide burst (20, plus refill) reaches Odoo; the rest are told to retry.
    const replies = await Promise.all(
      Array.from({ length: 200 }, (_, i) => signIn(randomBytes(20).toString('hex'), 1000 + i)),
    );
    const reached = odoo.sim.calls(path) - before - 1;
    expect(reached).toBeGreaterThanOrEqual(19);
    expect(reached).toBeLessThan(40);
    expect(replies.filter((r) => r.code === 'RATE_LIMITED').length).toBe(200 - reached);
  });
});
