/**
 * The hub's pino logger: JSON lines with the thread, the level from HUB_LOG_LEVEL, and no secrets —
 * tokens, passwords, cookies, session ids and Authorization headers are redacted wherever the
 * log calls put them (top level, one level down, and in request headers).
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/adapters/log/logger.js';

function capture(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString('utf8'));
      callback();
    },
  });
  return {
    stream,
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe('createLogger', () => {
  it('writes JSON lines with the thread and honours the level', () => {
    const out = capture();
    const log = createLogger({ level: 'info', thread: 'shard-1', destination: out.stream });
    log.debug({ terminalId: 't1' }, 'hidden');
    log.info({ terminalId: 't1', deviceId: 'd1' }, 'terminal_connected');
    const lines = out.lines();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 30,
      thread: 'shard-1',
      terminalId: 't1',
      deviceId: 'd1',
      msg: 'terminal_connected',
    });
  });

  it('redacts secrets at the top level, one level down and in headers', () => {
    const out = capture();
    const log = createLogger({ level: 'info', destination: out.stream });
    log.info(
      {
        token: 'sid-top',
        password: 'pw-top',
        auth: { token: 'sid-nested', sessionId: 'sid-2', password: 'pw-nested' },
        headers: { cookie: 'session_id=abc', 'x-openerp-session-id': 'sid-3' },
        config: {
          ODOO_PASSWORD: 'odoo-pw',
          HUB_ADMIN_TOKEN: 'admin-token',
          ODOO_RPC_HEADERS: { 'x-api-token': 'waf' },
        },
        request: { authorization: 'Bearer admin-token-2' },
      },
      'auth_attempt',
    );
    const text = JSON.stringify(out.lines());
    for (const secret of [
      'sid-top',
      'pw-top',
      'sid-nested',
      'sid-2',
      'pw-nested',
      'session_id=abc',
      'sid-3',
      'odoo-pw',
      'admin-token',
      'waf',
      'admin-token-2',
    ]) {
      expect(text, secret).not.toContain(secret);
    }
    expect(text).toContain('[redacted]');
    expect(text).toContain('auth_attempt');
  });
});
