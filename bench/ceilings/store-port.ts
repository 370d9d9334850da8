/**
 * What the store port's async shape costs the SQLite default: the same one-event commits through
 * HubStore directly (synchronous), through SqliteStorePort with the promise awaited per commit, and
 * through SqliteStorePort read in the same turn as the writer does (whenSettled: the promise says it is
 * settled, no microtask hop), on one file each, with synchronous=FULL (what the hub runs) and NORMAL (no
 * fsync per commit, so the overhead is not hidden behind the disk). Reports µs per commit for each and
 * the differences from direct (CPU time of this process, so load elsewhere on the box counts less).
 * Run: node --import tsx bench/ceilings/store-port.ts [commits=2000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HubStore } from '../../src/adapters/sqlite/store.js';
import { SqliteStorePort } from '../../src/adapters/sqlite/store-port.js';
import { whenSettled } from '../../src/ports/settled.js';
import { monoUs } from '../lib/clock.js';

async function measure(
  sync: 'full' | 'normal',
  commits: number,
): Promise<{ sync: string; directUs: number; portUs: number; inTurnUs: number; directCpuUs: number; portCpuUs: number; inTurnCpuUs: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'pos-hub-bench-port-'));
  try {
    const direct = new HubStore({ path: join(dir, 'direct.sqlite'), sync });
    const port = SqliteStorePort.open({ path: join(dir, 'port.sqlite'), sync });
    const inTurn = SqliteStorePort.open({ path: join(dir, 'in-turn.sqlite'), sync });
    const payload = { type: 'ORDER_UPDATED', posReference: 'B/1' };
    // Alternating blocks, so a burst of load elsewhere on the box hits both alike.
    let directTotal = 0;
    let portTotal = 0;
    let inTurnTotal = 0;
    const cpu = { direct: 0, port: 0, inTurn: 0 };
    const cpuUs = (): number => {
      const u = process.cpuUsage();
      return u.user + u.system;
    };
    let cpuAt = cpuUs();
    const block = 100;
    for (let done = 0; done < commits; done += block) {
      let started = monoUs();
      for (let i = 0; i < block; i++) {
        direct.transaction(() =>
          direct.appendEvent(
            {
              type: 'ORDER_UPDATED',
              posReference: 'B/1',
              payload: (seq) => ({ ...payload, seq }),
              sourceTerminal: 'T1',
            },
            0,
          ),
        );
      }
      directTotal += monoUs() - started;
      cpu.direct += cpuUs() - cpuAt;
      cpuAt = cpuUs();
      started = monoUs();
      for (let i = 0; i < block; i++) {
        await port.commit(
          [{ ops: [{ op: 'event', type: 'ORDER_UPDATED', posReference: 'B/1', payload, sourceTerminal: 'T1' }] }],
          0,
        );
      }
      portTotal += monoUs() - started;
      cpu.port += cpuUs() - cpuAt;
      cpuAt = cpuUs();
      started = monoUs();
      for (let i = 0; i < block; i++) {
        whenSettled(
          inTurn.commit([{ ops: [{ op: 'event', type: 'ORDER_UPDATED', posReference: 'B/1', payload, sourceTerminal: 'T1' }] }], 0),
          () => undefined,
          (error) => {
            throw error;
          },
        );
      }
      inTurnTotal += monoUs() - started;
      cpu.inTurn += cpuUs() - cpuAt;
      cpuAt = cpuUs();
    }
    direct.close();
    await port.close();
    await inTurn.close();
    const per = (total: number): number => Math.round((total / commits) * 10) / 10;
    return {
      sync,
      directUs: per(directTotal),
      portUs: per(portTotal),
      inTurnUs: per(inTurnTotal),
      directCpuUs: per(cpu.direct),
      portCpuUs: per(cpu.port),
      inTurnCpuUs: per(cpu.inTurn),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const commits = Number(process.argv[2] ?? '2000');
for (const sync of ['normal', 'full'] as const) {
  const r = await measure(sync, commits);
  const round = (n: number): number => Math.round(n * 10) / 10;
  console.log(
    JSON.stringify({
      ...r,
      overheadUs: round(r.portUs - r.directUs),
      inTurnOverheadUs: round(r.inTurnUs - r.directUs),
      inTurnCpuOverheadPct: round(((r.inTurnCpuUs - r.directCpuUs) / r.directCpuUs) * 100),
    }),
  );
}
