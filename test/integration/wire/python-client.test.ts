/**
 * A terminal written by nobody on the project — Debian's python3-websockets and python3-msgpack — against
 * a real hub: every integer (serverTime, expiresAt, lockExpiresAt) decodes as a Python int, the holder
 * gets TABLE_LOCKED too, subprotocol and ?encoding= negotiation work for a strict client, and frames of
 * the wrong kind or with a binary map key get BAD_FRAME with a sentence.
 */
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub, type StartedHub } from '../../helpers/start-hub.js';

const SCRIPT = fileURLToPath(new URL('../../fixtures/python/wire_client.py', import.meta.url));
/** Debian's interpreter, where python3-msgpack and python3-websockets are installed (not a pyenv shim). */
const PYTHON = '/usr/bin/python3';

interface Findings {
  failed: string | null;
  findings: Record<string, unknown>;
}

function runPython(url: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [SCRIPT, url], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A raw upgrade request, to read the 400's body (websockets only reports the status). */
function upgradeStatus(port: number, path: string, protocol: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1',
      port,
      path,
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
        'Sec-WebSocket-Protocol': protocol,
      },
    });
    req.once('response', (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      res.once('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.once('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 0, body: '' });
    });
    req.once('error', reject);
    req.end();
  });
}

describe('a Python terminal (python3-websockets + python3-msgpack)', () => {
  let hub: StartedHub;
  beforeAll(async () => {
    hub = await startHub({ env: { HUB_STATUS_INTERVAL_MS: '1000' } });
  });
  afterAll(async () => {
    await hub.close();
  });

  it('decodes every integer as int and negotiates like the README says', async () => {
    const run = await runPython(hub.wsUrl);
    const result = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '{}') as Findings;
    expect(run.stderr).toBe('');
    expect(result.failed).toBeNull();
    expect(run.code).toBe(0);
    const f = result.findings;
    expect(f.serverTime).toBeGreaterThan(2 ** 32);
    expect(f.lockExpiresAt).toBeGreaterThan(2 ** 32);
    expect(f.holderGotTableLocked).toBe('py-holder');
    expect(f.binKey).toEqual(['BAD_FRAME', 'map keys must be strings (a binary, array or map key was sent)']);
    expect(f.textOnMsgpack).toEqual(['BAD_FRAME', 'text frame on a msgpack connection; send binary frames']);
    expect(f.jsonSubprotocol).toBe('pos-hub.json.v1');
    expect(f.jsonAuthOk).toEqual({ encoding: 'json', protocolVersion: 1 });
    expect(f.binaryOnJson).toEqual([
      'BAD_FRAME',
      'binary frame on a JSON connection; send text frames, or negotiate pos-hub.msgpack.v1',
    ]);
    expect(f.msgpackOnJson).toBe('BAD_FRAME');
    expect(f.queryUpperSubprotocol).toBeNull();
    expect(f.queryUpperEncoding).toBe('msgpack');
    expect(f.unknownSubprotocolOnly).toBe(400);
    expect(f.unknownQueryEncoding).toBe(400);
  });

  it('says why it refuses an upgrade that offers only unknown subprotocols or an unknown encoding', async () => {
    expect(await upgradeStatus(hub.port, '/', 'chat, superchat')).toEqual({
      status: 400,
      body: 'unsupported subprotocol chat, superchat; offer pos-hub.json.v1 or pos-hub.msgpack.v1, or none',
    });
    expect(await upgradeStatus(hub.port, '/?encoding=cbor', 'pos-hub.msgpack.v1')).toMatchObject({ status: 101 });
  });
});
