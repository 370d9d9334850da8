/**
 * The `pos-hub` command line (bin/pos-hub.js runs this through tsx): start, stats, doctor, reset, help.
 * Each command returns an exit code; only this file touches process.argv, process.env and process.exit.
 */
import { doctorCommand } from './doctor.js';
import { EXIT, UsageError, type CliIo } from './io.js';
import { resetCommand } from './reset.js';
import { startCommand } from './start.js';
import { statsCommand } from './stats.js';

export const HELP = `pos-hub — the in-store sync hub for restaurant POS terminals

Usage:
  pos-hub start                         run the hub (configuration from the environment / .env)
  pos-hub stats [--url URL] [--json] [--check]
                                        show a running hub's /health as a table (or JSON), marking
                                        dead letters, a stale Odoo sync, a degraded status;
                                        --check: exit 1 when any is present
  pos-hub doctor [--env FILE] [--skip-odoo] [--monitor URL]
                                        check config, Odoo and login, SQLite, uWS, port, mDNS
  pos-hub reset --yes [--url URL] [--token TOKEN]
                                        wipe all hub data through the admin API (HUB_ADMIN_TOKEN)
  pos-hub help                          this text

URL defaults to $HUB_URL, else http://127.0.0.1:$HUB_HTTP_PORT (8766).
doctor reads --env, else ./.env, else /etc/pos-hub/env; the process environment wins.
Exit codes: 0 ok, 1 failed or hub unreachable, 2 bad command line, 78 invalid configuration (start).`;

type Command = 'start' | 'stats' | 'doctor' | 'reset' | 'help';

function commandOf(word: string | undefined): Command | undefined {
  switch (word) {
    case 'start':
    case 'stats':
    case 'doctor':
    case 'reset':
    case 'help':
      return word;
    case undefined:
    case '--help':
    case '-h':
      return 'help';
    default:
      return undefined;
  }
}

export async function runCli(argv: readonly string[], io: CliIo, cwd: string): Promise<number | 'running'> {
  const [word, ...rest] = argv;
  const command = commandOf(word);
  if (command === undefined) {
    io.err(`pos-hub: unknown command ${JSON.stringify(word)}\n\n${HELP}`);
    return EXIT.USAGE;
  }
  if (command !== 'help' && (rest.includes('--help') || rest.includes('-h'))) {
    io.out(HELP);
    return EXIT.OK;
  }
  try {
    switch (command) {
      case 'help':
        io.out(HELP);
        return EXIT.OK;
      case 'start':
        return await startCommand(rest, io);
      case 'stats':
        return await statsCommand(rest, io);
      case 'doctor':
        return await doctorCommand(rest, io, cwd);
      case 'reset':
        return await resetCommand(rest, io);
      default: {
        const unhandled: never = command;
        throw new Error(`unhandled command ${String(unhandled)}`);
      }
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`pos-hub ${command}: ${error.message} (see pos-hub --help)`);
      return EXIT.USAGE;
    }
    throw error;
  }
}

const io: CliIo = {
  env: process.env,
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

const code = await runCli(process.argv.slice(2), io, process.cwd());
// `start` hands the process to the hub, which exits on its own signals.
if (code !== 'running') process.exitCode = code;
