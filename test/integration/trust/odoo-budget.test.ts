/**
 * The hub-wide Odoo validation budget (HUB_RATE_AUTH_ODOO) is spent only on tokens shaped like an Odoo 12
 * session id (40 lowercase hex): a flood of malformed tokens is refused AUTH_FAILED without a call to
 * Odoo and leaves the whole budget to real sign-ins.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/adapters/log/logger.js';
import { createOdooClient } from '../../../src/adapters/odoo/client.js';
import { createOdooTokenValidator } from '../../../src/adapters/odoo/token-validator.js';
import { parseConfig } from '../../../src/config.js';
import { TestClock } from '../../helpers/clocks.js';
import { SIM_USERS, startOdooSim, type StartedOdooSim } from '../../helpers/odoo-sim.js';

const log = createLogger({ level: 'silent' });
const SESSION_INFO = '/web/session/get_session_info';
let odoo: StartedOdooSim;

beforeAll(async () => {
  odoo = await startOdooSim();
});
afterAll(async () => {
  await odoo.close();
});

describe('the Odoo validation budget', () => {
  it('is not spent by malformed tokens: after 300 of them the full burst still reaches Odoo', async () => {
    const config = parseConfig({
      ODOO_URL: odoo.url,
      ODOO_USER: SIM_USERS.hub.login,
      ODOO_PASSWORD: SIM_USERS.hub.password,
      HUB_RATE_AUTH_ODOO: '1/2',
    });
    // The clock never moves: the bucket holds its burst of 2 and never refills.
    const clock = new TestClock();
    const v = createOdooTokenValidator({
      client: createOdooClient({ config, clock: new TestClock(), log }),
      config,
      clock,
      log,
    });
    const before = odoo.sim.calls(SESSION_INFO);
    const malformed = [
      'short',
      'A'.repeat(40),
      `${'a'.repeat(39)}g`,
      'a'.repeat(41),
      `${'a'.repeat(40)}\n`,
      'é'.repeat(40),
      'x\r\nInjected: 1',
    ];
    for (let i = 0; i < 300; i++) {
      const token = malformed[i % malformed.length] ?? '';
      await expect(v.validate(`${token}${i < malformed.length ? '' : String(i)}`, `d-${i}`)).resolves.toMatchObject({
        ok: false,
        code: 'AUTH_FAILED',
      });
    }
    if (v.revalidate === undefined) throw new Error('the Odoo validator re-checks open sockets');
    await expect(v.revalidate('not-a-session', 'd')).resolves.toMatchObject({ ok: false, code: 'AUTH_FAILED' });
    expect(odoo.sim.calls(SESSION_INFO)).toBe(before);
    // The burst is intact: two real sessions are checked with Odoo, the third well-formed token waits.
    await expect(v.validate(odoo.sim.issueSession('waiter'), 'd-a')).resolves.toMatchObject({ ok: true });
    await expect(v.validate(odoo.sim.issueSession('manager'), 'd-b')).resolves.toMatchObject({ ok: true });
    await expect(v.validate(odoo.sim.issueSession('waiter'), 'd-c')).resolves.toMatchObject({
      ok: false,
      code: 'RATE_LIMITED',
    });
    expect(odoo.sim.calls(SESSION_INFO)).toBe(before + 2);
  });
});
