/**
 * Issue 13, item 2: no message in the product may tell an operator to turn dev auth on (it once did in a
 * config error). Scans every source file's string literals for a suggestion to set HUB_DEV_AUTH=true.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = join(import.meta.dirname, '..', '..', '..', 'src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return files(path);
    return /\.(ts|mjs|html)$/.test(name) ? [path] : [];
  });
}

describe('no message suggests dev auth', () => {
  it('no string in src/ tells anyone to set HUB_DEV_AUTH=true', () => {
    const offenders: string[] = [];
    for (const file of files(SRC)) {
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(/(['"`])((?:(?!\1)[^\\\n]|\\.)*)\1/g)) {
        const literal = match[2] ?? '';
        if (/set(ting)?\s+HUB_DEV_AUTH\s*=\s*true|HUB_DEV_AUTH=true\s+for/i.test(literal)) offenders.push(`${file}: ${literal}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
