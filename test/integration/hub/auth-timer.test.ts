/**
 * Regression: the AUTH timer also ran while the token was being validated, so under load (the bench's
 * reconnect storm) terminals that had sent AUTH in time were closed with 4000. Only a terminal that has
 * not sent AUTH may time out; a slow check is bounded by ODOO_TIMEOUT_MS instead.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { AuthResult, TokenValidator } from '../../../src/ports/auth.js';
import { startHub, type StartedHub } from '../../helpers/start-hub.js';
import { TestTerminal } from '../../helpers/terminal.js';

describe('AUTH timeout', () => {
  let hub: StartedHub | undefined;
  afterEach(async () => {
    await hub?.close();
    hub = undefined;
  });

  it('closes a silent socket, but not one whose token is still being checked', async () => {
    let release: (result: AuthResult) => void = () => undefined;
    const slowOdoo: TokenValidator = {
      validate: () => new Promise<AuthResult>((resolve) => (release = resolve)),
    };
    hub = await startHub({ env: { HUB_AUTH_TIMEOUT_MS: '200' }, tokenValidator: slowOdoo });

    const patient = await TestTerminal.open(hub.wsUrl, { deviceId: 'patient', token: 'sid-1' });
    patient.send({ type: 'AUTH', token: 'sid-1', deviceId: 'patient' });
    // A socket opened after it that never sends AUTH: once it is closed, the patient one's window has passed too.
    const silent = await TestTerminal.open(hub.wsUrl, { deviceId: 'silent' });
    expect(await silent.closed).toMatchObject({ code: 4000 });

    release({ ok: true, identity: { userId: 7, login: 'marta', name: 'Marta', role: 'manager' } });
    expect(await patient.awaitType('AUTH_OK')).toMatchObject({ terminalId: 'patient', role: 'manager' });
    await patient.close();
  });
});
