/**
 * How the writer treats what each store rejects with (ports/store.ts StoreFault): on SQLite a full,
 * failing or busy disk is transient and anything else fatal (storage-fault.ts, unchanged); on Postgres a
 * lost, refused, shutting-down or read-only primary, a serialization conflict or a deadlock is transient,
 * a COMMIT whose answer was lost is in doubt, and anything else (a broken constraint, bad SQL) is fatal.
 */
import { describe, expect, it } from 'vitest';
import { CommitInDoubtError, classifyPgError } from '../../../src/adapters/postgres/pg-fault.js';
import { SqliteStorePort } from '../../../src/adapters/sqlite/store-port.js';

const pg = (code: string, message = 'server said no'): Error => Object.assign(new Error(message), { code, severity: 'ERROR' });
const sys = (code: string): Error => Object.assign(new Error(`connect ${code} 127.0.0.1:5432`), { code });

describe('Postgres errors', () => {
  it.each([
    ['admin shutdown (a failover stops the old primary)', pg('57P01')],
    ['crash shutdown', pg('57P02')],
    ['cannot connect now (starting up)', pg('57P03')],
    ['read-only transaction (a demoted primary)', pg('25006')],
    ['connection failure', pg('08006')],
    ['cannot establish connection', pg('08001')],
    ['serialization failure', pg('40001')],
    ['deadlock', pg('40P01')],
    ['disk full', pg('53100')],
    ['connection refused', sys('ECONNREFUSED')],
    ['connection reset', sys('ECONNRESET')],
    ['timed out', sys('ETIMEDOUT')],
    ['terminated', new Error('Connection terminated unexpectedly')],
    ['query timeout', new Error('Query read timeout')],
    ['no writable host after a failover', new Error('no read-write postgres host: 127.0.0.1:5433 is a standby')],
  ])('%s is transient', (_what, error) => {
    expect(classifyPgError(error)).toBe('transient');
  });

  it('a COMMIT whose answer was lost is in doubt', () => {
    expect(classifyPgError(new CommitInDoubtError(new Error('Connection terminated')))).toBe('in_doubt');
  });

  it.each([
    ['unique violation', pg('23505')],
    ['syntax error', pg('42601')],
    ['undefined table', pg('42P01')],
    ['a plain bug', new TypeError('cannot read properties of undefined')],
  ])('%s is fatal', (_what, error) => {
    expect(classifyPgError(error)).toBe('fatal');
  });
});

describe('SQLite errors (as storage-fault.ts always said)', () => {
  const classify = SqliteStorePort.prototype.classifyError.bind(null as unknown as SqliteStorePort);
  it.each(['SQLITE_FULL', 'SQLITE_IOERR_WRITE', 'SQLITE_BUSY', 'SQLITE_LOCKED'])('%s is transient', (code) => {
    expect(classify(Object.assign(new Error(code), { code }))).toBe('transient');
  });
  it.each(['SQLITE_CORRUPT', 'SQLITE_CONSTRAINT_UNIQUE'])('%s is fatal', (code) => {
    expect(classify(Object.assign(new Error(code), { code }))).toBe('fatal');
  });
  it('ENOSPC is transient', () => {
    expect(classify(sys('ENOSPC'))).toBe('transient');
  });
});
