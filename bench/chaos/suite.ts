/**
 * The chaos suite: every fault of the machine the hub promises to survive, run against real hubs, with
 * one verdict per scenario. `full` is the closing-note run (50 SIGKILL cycles …); `small` is the CI
 * size (test/integration/robustness/chaos-small.test.ts). Pure orchestration: the scenarios live beside it.
 */
import { diskFullScenario, type DiskFullResult } from './disk-full.js';
import { killCycles, odooFault, slowConsumer, unauthenticatedFlood, type FloodResult, type KillCyclesResult, type OdooFaultResult, type SlowConsumerResult } from './scenarios.js';
import { isRoot, secondHubOnPort, startupFaultCases, type FaultOutcome } from './startup-faults.js';
import { startHub } from '../../test/helpers/start-hub.js';

export type ChaosSize = 'full' | 'small';

export interface ChaosSizes {
  readonly killCycles: number;
  readonly acksPerCycle: number;
  readonly odooOrders: number;
  readonly floodSockets: number;
  /** Start-up faults and the full disk have their own integration tests; CI skips them here. */
  readonly machineFaults: boolean;
}

export const SIZES: Readonly<Record<ChaosSize, ChaosSizes>> = {
  full: { killCycles: 50, acksPerCycle: 100, odooOrders: 30, floodSockets: 1000, machineFaults: true },
  small: { killCycles: 2, acksPerCycle: 20, odooOrders: 3, floodSockets: 60, machineFaults: false },
};

export interface Verdict {
  readonly scenario: string;
  readonly ok: boolean | null;
  /** Why it did not run, when ok is null. */
  readonly skipped?: string;
  readonly figures: unknown;
}

export interface ChaosReport {
  readonly size: ChaosSize;
  readonly verdicts: Verdict[];
  readonly totals: { readonly ackedWritesLost: number; readonly duplicateOdooOrders: number };
}

const killOk = (r: KillCyclesResult): boolean => r.ackedLost === 0 && r.duplicateMutationIds === 0 && r.seqGapsOnResume === 0 && r.integrity === 'ok' && r.acked > 0;
const slowOk = (r: SlowConsumerResult): boolean => r.closedCode !== null && r.closedCode !== 1000 && r.hubServedAfter && r.resumedAfter !== null;
const odooOk = (r: OdooFaultResult): boolean => r.acked === r.orders && r.lost === 0 && r.duplicates === 0;
const floodOk = (r: FloodResult): boolean => r.writerAcksDuringFlood === 50 && r.healthOk && r.closedByHub === r.sockets;
const diskOk = (r: DiskFullResult): boolean =>
  r.refused > 0 && r.refusedRetryable && r.refusedBroadcast === 0 && r.healthWhileFull.status === 'degraded' && r.heartbeatWhileFull && r.signInWhileFull && r.resentAcked === r.refused && r.healthAfter === 'ok' && r.ackedLost === 0 && r.unackedStored === 0 && r.seqGaps === 0;

export async function runChaos(size: ChaosSize, log: (line: string) => void = () => undefined): Promise<ChaosReport> {
  const s = SIZES[size];
  const verdicts: Verdict[] = [];
  let ackedWritesLost = 0;
  let duplicateOdooOrders = 0;
  const record = (v: Verdict): void => {
    verdicts.push(v);
    log(`${v.ok === null ? 'SKIP' : v.ok ? 'PASS' : 'FAIL'}  ${v.scenario}${v.skipped ? ` (${v.skipped})` : ''}  ${JSON.stringify(v.figures)}`);
  };

  const kill = await killCycles({ cycles: s.killCycles, acksPerCycle: s.acksPerCycle, log });
  ackedWritesLost += kill.ackedLost;
  record({ scenario: `${s.killCycles} SIGKILL cycles under write load`, ok: killOk(kill), figures: kill });

  if (s.machineFaults) {
    if (isRoot()) {
      const disk = await diskFullScenario();
      ackedWritesLost += disk.ackedLost;
      record({ scenario: 'disk full while serving (tmpfs)', ok: diskOk(disk), figures: disk });
    } else {
      record({ scenario: 'disk full while serving (tmpfs)', ok: null, skipped: 'needs root to mount a tmpfs', figures: null });
    }
    for (const c of startupFaultCases()) {
      if (c.skip !== null) {
        record({ scenario: `start-up: ${c.name}`, ok: null, skipped: c.skip, figures: null });
        continue;
      }
      const r: FaultOutcome = await c.run();
      record({ scenario: `start-up: ${c.name}`, ok: r.ok, figures: r });
    }
    const first = await startHub({ mode: 'child-process' });
    try {
      const r = await secondHubOnPort(first.port);
      record({ scenario: 'start-up: second hub on a taken port', ok: r.ok, figures: r });
    } finally {
      await first.close();
    }
  }

  const slow = await slowConsumer();
  record({ scenario: 'slow consumer', ok: slowOk(slow), figures: slow });

  for (const fault of ['down', 'hung', 'black-holed'] as const) {
    const r = await odooFault(fault, s.odooOrders);
    duplicateOdooOrders += r.duplicates;
    record({ scenario: `Odoo ${fault} during finalize traffic`, ok: odooOk(r), figures: r });
  }

  const flood = await unauthenticatedFlood(s.floodSockets);
  record({ scenario: `${s.floodSockets} unauthenticated sockets`, ok: floodOk(flood), figures: flood });

  return { size, verdicts, totals: { ackedWritesLost, duplicateOdooOrders } };
}
