/**
 * The import boundaries of shared/STYLE.md are enforced by the linter, and this proves the rules fire:
 * each probe is linted as if it lived in a folder it must not reach out of.
 */
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// Only the boundary rule runs, without type information, so probes need not exist on disk.
const eslint = new ESLint({
  cwd: new URL('../../..', import.meta.url).pathname,
  ruleFilter: ({ ruleId }) => ruleId === 'no-restricted-imports',
  overrideConfig: { languageOptions: { parserOptions: { projectService: false } } },
});

async function restrictedImports(filePath: string, code: string): Promise<number> {
  const [result] = await eslint.lintText(code, { filePath });
  const fatal = (result?.messages ?? []).find((m) => m.fatal);
  if (fatal) throw new Error(fatal.message);
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').length;
}

const cases: [string, string, string][] = [
  ['protocol importing node:', 'src/protocol/probe.ts', "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n"],
  ['protocol importing config', 'src/protocol/probe.ts', "import { parseConfig } from '../config.js';\nexport const x = parseConfig;\n"],
  ['domain importing an adapter', 'src/domain/probe.ts', "import { createLogger } from '../adapters/log/logger.js';\nexport const x = createLogger;\n"],
  ['domain importing node:', 'src/domain/probe.ts', "import { randomUUID } from 'node:crypto';\nexport const x = randomUUID;\n"],
  ['an actor importing SQLite', 'actors/probe.ts', "import Database from 'better-sqlite3';\nexport const x = Database;\n"],
  ['the terminal page importing the simulator', 'src/terminal-app/probe.ts', "import { SIM_DB } from '../odoo-sim/seed.js';\nexport const x = SIM_DB;\n"],
  ['the SDK importing node:', 'src/client/probe.ts', "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n"],
  ['an adapter importing the front', 'src/adapters/log/probe.ts', "import * as front from '../../front/router.js';\nexport const x = front;\n"],
  ['a worker importing uWS', 'workers/probe.ts', "import uws from 'uWebSockets.js';\nexport const x = uws;\n"],
  ['the front importing an actor', 'src/front/probe.ts', "import * as actor from '../../actors/table/table.machine.js';\nexport const x = actor;\n"],
  ['the front importing worker code', 'src/front/probe.ts', "import { ShardHost } from '../../workers/shard/shard-host.js';\nexport const x = ShardHost;\n"],
  ['an actor importing an adapter through its alias', 'actors/probe.ts', "import { HubStore } from '#adapters/sqlite/store.js';\nexport const x = HubStore;\n"],
  ['the front importing SQLite code through its alias', 'src/front/probe.ts', "import { HubStore } from '#adapters/sqlite/store.js';\nexport const x = HubStore;\n"],
  ['the thread contract importing the domain through its alias', 'src/threads/probe.ts', "import { businessDay } from '#domain/business-day.js';\nexport const x = businessDay;\n"],
  ['the protocol importing anything through an alias', 'src/protocol/probe.ts', "import { tableKey } from '#threads/keys.js';\nexport const x = tableKey;\n"],
  ['the thread contract importing an actor', 'src/threads/probe.ts', "import * as actor from '../../actors/table/table.machine.js';\nexport const x = actor;\n"],
  ['the thread contract importing a worker', 'src/threads/probe.ts', "import { WriterCore } from '../../workers/writer/writer-core.js';\nexport const x = WriterCore;\n"],
  ['the thread contract importing node:', 'src/threads/probe.ts', "import { MessageChannel } from 'node:worker_threads';\nexport const x = MessageChannel;\n"],
];

describe('import boundaries', () => {
  it.each(cases)('refuses %s', async (_what, filePath, code) => {
    expect(await restrictedImports(filePath, code)).toBeGreaterThan(0);
  });

  it('allows the protocol to import itself and the domain to import the protocol', async () => {
    expect(await restrictedImports('src/protocol/probe.ts', "import { jsonCodec } from './codec.js';\nexport const x = jsonCodec;\n")).toBe(0);
    expect(await restrictedImports('src/domain/probe.ts', "import { HubError } from '../protocol/errors.js';\nexport const x = HubError;\n")).toBe(0);
    // The seam: actors, the front and the store reach the thread contract, and it reaches the protocol.
    expect(await restrictedImports('src/threads/probe.ts', "import { HubError } from '../protocol/errors.js';\nexport const x = HubError;\n")).toBe(0);
    expect(await restrictedImports('actors/table/probe.ts', "import { tableKey } from '../../src/threads/keys.js';\nexport const x = tableKey;\n")).toBe(0);
    expect(await restrictedImports('src/front/probe.ts', "import { shardOf } from '../threads/keys.js';\nexport const x = shardOf;\n")).toBe(0);
    expect(await restrictedImports('workers/probe.ts', "import { HubStore } from '#adapters/sqlite/store.js';\nexport const x = HubStore;\n")).toBe(0);
    expect(await restrictedImports('actors/probe.ts', "import { HubError } from '#protocol/errors.js';\nexport const x = HubError;\n")).toBe(0);
    expect(await restrictedImports('src/adapters/sqlite/probe.ts', "import { tableKey } from '../../threads/keys.js';\nexport const x = tableKey;\n")).toBe(0);
  });
});
