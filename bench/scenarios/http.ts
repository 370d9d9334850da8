/**
 * Scenario (e): the hub's HTTP side under autocannon (programmatic API) — /health and /metrics,
 * which monitoring polls while terminals work.
 */
import autocannon from 'autocannon';
import { readProc } from '../lib/proc.js';
import { type BenchContext, save, startTarget, withServer } from './context.js';

export interface HttpResult {
  readonly path: string;
  readonly requestsPerS: number;
  readonly latencyP50Ms: number;
  readonly latencyP99Ms: number;
  readonly latencyMaxMs: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly hubCpuUsPerRequest: number | null;
}

export async function runHttp(ctx: BenchContext): Promise<HttpResult[]> {
  const p = ctx.plan.http;
  ctx.log(`http: autocannon ${p.connections} connections × ${p.durationS} s on /health and /metrics`);
  const server = await startTarget(ctx, 'pos-hub');
  return withServer(server, async () => {
    const results: HttpResult[] = [];
    for (const path of ['/health', '/metrics']) {
      const before = readProc(server.pid);
      const r = await autocannon({
        url: `${server.httpUrl}${path}`,
        connections: p.connections,
        duration: p.durationS,
      });
      const after = readProc(server.pid);
      const total = r.requests.total;
      const result: HttpResult = {
        path,
        requestsPerS: Math.round(r.requests.average),
        latencyP50Ms: r.latency.p50,
        latencyP99Ms: r.latency.p99,
        latencyMaxMs: r.latency.max,
        non2xx: r.non2xx,
        errors: r.errors + r.timeouts,
        hubCpuUsPerRequest: total > 0 ? Math.round(((after.cpuMs - before.cpuMs) * 1000) / total) : null,
      };
      ctx.log(
        `  ${path}: ${result.requestsPerS} req/s, p50 ${result.latencyP50Ms} ms, p99 ${result.latencyP99Ms} ms, non-2xx ${result.non2xx}, errors ${result.errors}`,
      );
      results.push(result);
    }
    save(ctx, 'http', p, results, ['autocannon runs in the bench parent process, on the same 2 cores as the hub.']);
    return results;
  });
}
