/**
 * What the bench reads about a server process from /proc: CPU time of all its threads
 * (utime+stime of /proc/<pid>/stat), resident memory now (VmRSS) and at peak (VmHWM, resettable
 * through clear_refs). Plus the small process chores: a free loopback port, waiting for HTTP.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { sleep } from './clock.js';

const CLOCK_TICKS_PER_S = 100; // getconf CLK_TCK on Linux x86-64 and arm64

export interface ProcSample {
  /** utime + stime of every thread, in milliseconds. */
  readonly cpuMs: number;
  readonly rssBytes: number;
  readonly peakRssBytes: number;
}

export function readProc(pid: number): ProcSample {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
  return { cpuMs: (ticks * 1000) / CLOCK_TICKS_PER_S, rssBytes: kb('VmRSS'), peakRssBytes: kb('VmHWM') };
}

/** Reset VmHWM to the current RSS so the next peak belongs to the next phase. Best effort. */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Poll a URL until it answers 2xx, or throw after timeoutMs. Returns the parsed JSON body when there is one. */
export async function waitForHttp(
  url: string,
  timeoutMs: number,
  isAlive: () => boolean = () => true,
  options: { method?: string; anyStatus?: boolean } = {},
): Promise<unknown> {
  const deadline = Date.now() + timeoutMs;
  let lastError = 'no answer';
  while (Date.now() < deadline) {
    if (!isAlive()) throw new Error(`process exited while waiting for ${url}`);
    try {
      const res = await fetch(url, {
        method: options.method ?? 'GET',
        signal: AbortSignal.timeout(1000),
        ...(options.method === 'POST'
          ? { headers: { 'content-type': 'application/json' }, body: '{"jsonrpc":"2.0","method":"call","params":{}}' }
          : {}),
      });
      const text = await res.text();
      if (res.ok || options.anyStatus === true) {
        try {
          return JSON.parse(text) as unknown;
        } catch {
          return text;
        }
      }
      lastError = `HTTP ${res.status}`;
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
    }
    await sleep(100);
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms: ${lastError}`);
}
