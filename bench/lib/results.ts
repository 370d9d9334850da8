/**
 * Writing what a run found: one JSON file per scenario, bench/results/<YYYY-MM-DD>-<scenario>.json,
 * each stamped with the machine, and the table of latest figures between two markers in
 * bench/README.md (only `npm run bench` updates the README; smoke runs write to a scratch folder).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MachineInfo } from './machine.js';

export interface ResultEnvelope<T> {
  readonly scenario: string;
  readonly mode: 'all' | 'smoke';
  readonly date: string;
  readonly startedAt: string;
  readonly machine: MachineInfo;
  readonly config: unknown;
  readonly results: T;
  readonly notes: readonly string[];
}

export function writeResult<T>(outDir: string, envelope: ResultEnvelope<T>): string {
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `${envelope.date}-${envelope.scenario}.json`);
  writeFileSync(file, `${JSON.stringify(envelope, null, 2)}\n`);
  return file;
}

/** The default block is the full run's tables; an opt-in scenario (pg) keeps a block of its own. */
export function updateReadme(readmePath: string, block: string, name = 'results'): void {
  const START = `<!-- ${name}:start -->`;
  const END = `<!-- ${name}:end -->`;
  let text = '';
  try {
    text = readFileSync(readmePath, 'utf8');
  } catch {
    text = '# Benchmarks\n';
  }
  const fresh = `${START}\n${block.trim()}\n${END}`;
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  text = a !== -1 && b > a ? text.slice(0, a) + fresh + text.slice(b + END.length) : `${text.trimEnd()}\n\n${fresh}\n`;
  writeFileSync(readmePath, text);
}

/** A markdown table from rows of cells. */
export function table(header: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number>>): string {
  const line = (cells: ReadonlyArray<string | number>) => `| ${cells.map(String).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}
