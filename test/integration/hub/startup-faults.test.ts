/**
 * Start-up faults against the real hub process: a damaged, truncated, read-only, forbidden or locked
 * database stops it with one line naming the file, the exit code of its class, and the file untouched;
 * a second hub on a taken port exits 69 instead of sharing the port. The cases live in
 * bench/chaos/startup-faults.ts (the chaos suite runs the same ones).
 */
import { describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../../src/exit-codes.js';
import { secondHubOnPort, startupFaultCases } from '../../../bench/chaos/startup-faults.js';
import { bootHubs } from '../../helpers/start-hub.js';

const boot = bootHubs();

describe('hub start-up faults', () => {
  for (const c of startupFaultCases()) {
    // Read-only mounts and a second user need root; the reason is printed by vitest as the skip note.
    it.skipIf(c.skip !== null)(`${c.name}: exits ${EXIT_CODES[c.expected].code} (${c.expected}), names the file, leaves it untouched${c.skip ? ` — skipped: ${c.skip}` : ''}`, async () => {
      const result = await c.run();
      expect(result.line).toMatch(/^pos-hub: database \//);
      expect(result).toMatchObject({ exitCode: EXIT_CODES[c.expected].code, namesPath: true, untouched: true, ok: true });
    });
  }

  it('a second hub on a taken port exits 69 saying the port is in use; the first keeps serving', async () => {
    const first = await boot({ mode: 'child-process' });
    const second = await secondHubOnPort(first.port);
    expect(second.exitCode).toBe(EXIT_CODES.PORT_IN_USE.code);
    expect(second.line).toContain(`127.0.0.1:${first.port}`);
    expect(second.line).toContain('in use');
    expect(second.ok).toBe(true);
    const health = (await (await fetch(`${first.url}/health`)).json()) as { status: string };
    expect(health.status).toBe('ok');
  });
});
