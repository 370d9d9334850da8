#!/usr/bin/env node
// The `pos-hub` executable: runs the TypeScript CLI (src/cli/main.ts) under tsx in a child Node with
// the same flags, so worker threads the hub starts inherit the loader. tsx is resolved from this
// package (not the caller's directory); signals are passed on and the child's exit status returned.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
const tsx = import.meta.resolve('tsx');
const child = spawn(process.execPath, [...process.execArgv, '--import', tsx, cli, ...process.argv.slice(2)], {
  stdio: 'inherit',
});

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'];
for (const signal of SIGNALS) process.on(signal, () => child.kill(signal));

child.on('error', (error) => {
  process.stderr.write(`pos-hub: cannot start node: ${error.message}\n`);
  process.exit(1);
});
child.on('exit', (code, signal) => {
  if (signal) {
    for (const s of SIGNALS) process.removeAllListeners(s);
    process.kill(process.pid, signal);
    return;
  }
  process.exit(code ?? 1);
});
