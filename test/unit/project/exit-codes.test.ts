/**
 * The exit codes are an operator contract: the README's table lists each one with its number, and the
 * systemd unit refuses to restart on exactly the final ones (a restart cannot fix them).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DATABASE_FAULT_EXIT, EXIT_CODES, exitCodeFor } from '../../../src/exit-codes.js';
import { HubError } from '../../../src/protocol/errors.js';

const read = (path: string): string => readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8');

describe('exit codes', () => {
  it('are distinct and each is in the README table with its number and finality', () => {
    const codes = Object.values(EXIT_CODES).map((e) => e.code);
    expect(new Set(codes).size).toBe(codes.length);
    const readme = read('README.md');
    for (const [name, spec] of Object.entries(EXIT_CODES)) {
      expect(readme, name).toMatch(new RegExp(`\\|\\s*${spec.code}\\s*\\|\\s*\`${name}\`\\s*\\|\\s*${spec.final ? 'yes' : 'no'}\\s*\\|`));
    }
  });

  it('the systemd unit does not restart on the final ones, and does on the others', () => {
    const unit = read('deploy/pos-hub.service');
    const prevented = unit
      .split('\n')
      .filter((l) => l.startsWith('RestartPreventExitStatus='))
      .flatMap((l) => l.slice('RestartPreventExitStatus='.length).trim().split(/\s+/))
      .map(Number)
      .sort((a, b) => a - b);
    const final = Object.values(EXIT_CODES)
      .filter((e) => e.final)
      .map((e) => e.code)
      .sort((a, b) => a - b);
    expect(prevented).toEqual(final);
  });

  it('maps each database fault class, a taken port and anything else', () => {
    for (const [fault, name] of Object.entries(DATABASE_FAULT_EXIT)) {
      expect(exitCodeFor(new HubError('DATABASE_UNUSABLE', 'x', { details: { fault } }))).toBe(name);
    }
    expect(exitCodeFor(new HubError('DATABASE_UNUSABLE', 'x', { details: { fault: 'weird' } }))).toBe('FAILURE');
    expect(exitCodeFor(new HubError('PORT_IN_USE'))).toBe('PORT_IN_USE');
    expect(exitCodeFor(new HubError('WORKER_DIED'))).toBe('FAILURE');
  });
});
