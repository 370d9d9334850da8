/**
 * What the store port's async shape costs the SQLite default: the same one-event commits through
 * HubStore directly (synchronous) and through SqliteStorePort (a settled promise awaited per commit), on
 * one file each, with synchronous=FULL (what the hub runs) and NORMAL (no fsync per commit, so the
 * promise overhead is not hidden behind the disk). Reports µs per commit for each and the difference.
 * Run: node --import tsx bench/ceilings/store-port.ts [commits=2000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HubStore } from '../../src/adapters/sqlite/store.js';
import { SqliteStorePort } from '../../src/adapters/sqlite/store-port.js';
import { monoUs } from '../lib/clock.js';

async function measure(
  sync: 'full' | 'normal',
  commits: number,
): Promise<{ sync: string; directUs: number; portUs: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'pos-hub-bench-port-'));
  try {
    const direct = new HubStore({ path: join(dir, 'direct.sqlite'), sync });
    const port = SqliteStorePort.open({ path: join(dir, 'port.sqlite'), sync });
    const payload = { type: 'ORDER_UPDATED', posReference: 'B/1' };
    // Alternating blocks, so a burst of load elsewhere on the box hits both alike.
    let directTotal = 0;
    let portTotal = 0;
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
      started = monoUs();
      for (let i = 0; i < block; i++) {
        await port.commit(
          [{ ops: [{ op: 'event', type: 'ORDER_UPDATED', posReference: 'B/1', payload, sourceTerminal: 'T1' }] }],
          0,
        );
      }
      portTotal += monoUs() - started;
    }
    direct.close();
    await port.close();
    return {
      sync,
      directUs: Math.round((directTotal / commits) * 10) / 10,
      portUs: Math.round((portTotal / commits) * 10) / 10,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const commits = Number(process.argv[2] ?? '2000');
for (const sync of ['normal', 'full'] as const) {
  const r = await measure(sync, commits);
  console.log(JSON.stringify({ ...r, overheadUs: Math.round((r.portUs - r.directUs) * 10) / 10 }));
}
