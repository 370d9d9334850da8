/**
 * The README is the operator's reference, so its tables are checked against the code: every config
 * variable with its default, every error code, every close code, every protocol message type.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES } from '../../../src/config.js';
import { CLOSE_CODES, ERROR_CODES, HUB_MESSAGE_TYPES, TERMINAL_MESSAGE_TYPES } from '../../../src/protocol/index.js';

const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');

/** The text of a `## heading` section, up to the next heading of the same level. */
function section(heading: string): string {
  const start = readme.indexOf(`\n## ${heading}\n`);
  expect(start, `README has a "## ${heading}" section`).toBeGreaterThanOrEqual(0);
  const next = readme.indexOf('\n## ', start + 4);
  return readme.slice(start, next === -1 ? undefined : next);
}

/** First-column backticked names of a section's table rows, with the rest of each row. */
function rows(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    const name = /^`([A-Z_]+)`$/.exec(cells[1] ?? '')?.[1];
    if (name) out.set(name, cells.slice(2));
  }
  return out;
}

describe('README', () => {
  it('starts with the two set-up commands', () => {
    const top = readme.split('\n').slice(0, 8).join('\n');
    expect(top).toContain('npm ci && npm run demo');
    expect(top).toContain('npm test');
  });

  it('documents every configuration variable with its default', () => {
    const table = rows(section('Configuration'));
    expect([...table.keys()].sort()).toEqual(Object.keys(CONFIG_VARIABLES).sort());
    for (const [name, spec] of Object.entries(CONFIG_VARIABLES)) {
      if (name === 'HUB_SHARDS') continue; // machine-dependent default, documented as "cores − 1"
      const documented = table.get(name)?.[0] ?? '';
      const expected = spec.default === '' ? '(empty)' : `\`${spec.default}\``;
      expect(documented, name).toBe(expected);
    }
  });

  it('documents every error code', () => {
    expect([...rows(section('Error codes')).keys()].sort()).toEqual(Object.keys(ERROR_CODES).sort());
  });

  it('documents every close code with its number', () => {
    const text = section('Close codes');
    for (const [name, { code }] of Object.entries(CLOSE_CODES)) {
      expect(text).toMatch(new RegExp(`\\|\\s*${code}\\s*\\|\\s*\`${name}\``));
    }
  });

  it('lists every message type in the protocol section', () => {
    const text = section('Protocol');
    for (const type of [...TERMINAL_MESSAGE_TYPES, ...HUB_MESSAGE_TYPES]) expect(text, type).toContain(`\`${type}\``);
  });
});
