/**
 * The chaos suite at CI size (bench/chaos/suite.ts, `small`): SIGKILL cycles under write load, a slow
 * consumer, Odoo down / hung / black-holed during finalize traffic, a flood of sockets that never sign
 * in. Start-up faults and the full disk run in their own tests. `npm run chaos` is the full run.
 */
import { describe, expect, it } from 'vitest';
import { runChaos } from '../../../bench/chaos/suite.js';

describe('chaos suite (small)', () => {
  it('holds every invariant: no acked write lost, no duplicate, no seq gap, no duplicate Odoo order', { timeout: 150_000 }, async () => {
    const report = await runChaos('small');
    const failed = report.verdicts.filter((v) => v.ok !== true).map((v) => `${v.scenario}: ${JSON.stringify(v.figures)}`);
    expect(failed).toEqual([]);
    expect(report.totals).toEqual({ ackedWritesLost: 0, duplicateOdooOrders: 0 });
    expect(report.verdicts.length).toBe(6);
  });
});
