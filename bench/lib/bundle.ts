/**
 * Child processes start fast when they are plain JavaScript: the generator and the two relays are
 * bundled once per run with esbuild (packages stay external, resolved from node_modules) instead of
 * paying tsx's transpile in every forked process — on a loaded 2-core box that is seconds each.
 * The hub itself still runs from source through tsx, as it ships.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { buildSync } from 'esbuild';

export interface BenchScripts {
  readonly generator: string;
  readonly uwsRelay: string;
  readonly socketioRelay: string;
}

const ENTRIES: Record<keyof BenchScripts, string> = {
  generator: 'bench/venue/generator.child.ts',
  uwsRelay: 'bench/ceilings/uws-broadcast.ts',
  socketioRelay: 'bench/peer/socketio-relay.ts',
};

/** Bundle the child entries into node_modules/.cache/pos-hub-bench (inside the tree, so packages resolve). */
export function bundleScripts(root: string): BenchScripts {
  const outDir = join(root, 'node_modules', '.cache', 'pos-hub-bench');
  mkdirSync(outDir, { recursive: true });
  const out = {} as Record<keyof BenchScripts, string>;
  for (const [name, entry] of Object.entries(ENTRIES) as Array<[keyof BenchScripts, string]>) {
    const outfile = join(outDir, `${name}.mjs`);
    // esbuild rewrites an existing file in place: in a worktree whose node_modules is a hard-linked copy, that
    // would rewrite every worktree's bundle (one inode) with this tree's generator. A fresh file is this tree's.
    rmSync(outfile, { force: true });
    buildSync({
      entryPoints: [join(root, entry)],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      logLevel: 'warning',
    });
    out[name] = outfile;
  }
  return out;
}
