/**
 * Machine details stamped into every result file, so a figure is never read without the box it
 * came from: CPU model, cores, memory, Node version, load average at the start, uWS native or not.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem, release } from 'node:os';

export interface MachineInfo {
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryBytes: number;
  readonly kernel: string;
  readonly node: string;
  readonly loadAverage1m: number;
  /** From the hub's /health `uws` field when it has one; null when the run never asked a hub. */
  uws: unknown;
}

function cpuModel(): string {
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (match?.[1] !== undefined) return match[1].trim();
  } catch {
    // not Linux; fall through to os.cpus()
  }
  return cpus()[0]?.model ?? 'unknown';
}

export function machineInfo(): MachineInfo {
  return {
    cpuModel: cpuModel(),
    cores: availableParallelism(),
    memoryBytes: totalmem(),
    kernel: release(),
    node: process.version,
    loadAverage1m: Math.round((loadavg()[0] ?? 0) * 100) / 100,
    uws: null,
  };
}
