/**
 * The hub's worker threads name themselves (Linux /proc/<pid>/task/<tid>/comm): `top -H` and the bench's
 * per-thread CPU and run-queue figures tell the writer and each shard from V8's and libuv's helper threads.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnHub, type SpawnedHub } from '../../helpers/spawn-hub.js';

let hub: SpawnedHub | undefined;
afterAll(async () => {
  await hub?.kill();
});

describe('thread names', () => {
  it('names the writer and every shard once, and leaves the front as the process', async () => {
    hub = await spawnHub({ env: { HUB_SHARDS: '2' } });
    const pid = hub.pid!;
    const names = readdirSync(`/proc/${pid}/task`).map((tid) =>
      readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim(),
    );
    expect(names.filter((n) => n.startsWith('pos-')).sort()).toEqual(['pos-shard-0', 'pos-shard-1', 'pos-writer']);
    expect(readFileSync(`/proc/${pid}/comm`, 'utf8').trim()).toBe('node');
  });
});
