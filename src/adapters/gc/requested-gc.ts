/**
 * Bench-only: a full garbage collection of every thread on request, so the idle scenario
 * (bench/scenarios/idle.ts) reads resident memory without the garbage of the sign-ins it has just made —
 * for the hub and the relays alike. Armed only when node runs with --expose-gc, which production never
 * passes (deploy/pos-hub.service, Dockerfile): without it there is no channel and no signal handler.
 */
import { BroadcastChannel } from 'node:worker_threads';

const CHANNEL = 'pos-hub.requested-gc';

type Collect = () => void;

function exposedGc(): Collect | null {
  const gc = (globalThis as { gc?: unknown }).gc;
  return typeof gc === 'function' ? (gc as Collect) : null;
}

/** On a worker thread: collect whenever the main thread asks; returns how to stop. Nothing without --expose-gc. */
export function joinRequestedGc(): () => void {
  const gc = exposedGc();
  if (gc === null) return () => undefined;
  const channel = new BroadcastChannel(CHANNEL);
  channel.onmessage = () => gc();
  // Never what keeps a finished thread alive.
  channel.unref();
  return () => channel.close();
}

/** On the main thread: collect here and on every thread that joined; null without --expose-gc. */
export function requestedGc(): Collect | null {
  const gc = exposedGc();
  if (gc === null) return null;
  const channel = new BroadcastChannel(CHANNEL);
  channel.unref();
  return () => {
    gc();
    channel.postMessage('gc');
  };
}
