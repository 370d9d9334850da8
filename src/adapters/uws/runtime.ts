/**
 * The runtime the hub can serve on. The pinned uWS build ships native binaries for Node 16, 18 and 20
 * only (ABI 93, 108, 115); elsewhere, or with UWS_USE_FALLBACK=1, it loads a JavaScript imitation that
 * crashed the hub on its first HTTP GET. main.ts refuses to start on it with this message and its own
 * exit code, rather than serve a venue on something that falls over.
 */
import { isNativeUws } from './server.js';

/** Exit code for "this Node/uWS runtime is not supported" (78 is a bad configuration). */
export const RUNTIME_EXIT_CODE = 79;

/** What `engines` says: util.parseEnv needs 20.12; the uWS build has no binary past Node 20. */
export const SUPPORTED_NODE = 'Node.js 20 (20.12 or newer 20.x)';

/**
 * null when the native uWS binary is loaded; otherwise the lines to print before exiting. `env` is the
 * process environment (main.ts is its only reader), consulted for uWS's own UWS_USE_FALLBACK switch.
 */
export function unsupportedRuntimeMessage(env: Readonly<Record<string, string | undefined>>): string | null {
  if (isNativeUws()) return null;
  const forced = ['1', 'true', 'True', 'TRUE'].includes(env.UWS_USE_FALLBACK ?? '');
  const why = forced
    ? 'UWS_USE_FALLBACK is set, which forces its JavaScript imitation'
    : `it has no native binary for Node ${process.versions.node} on ${process.platform}-${process.arch} (ABI ${process.versions.modules})`;
  return [
    `pos-hub: uWebSockets.js did not load natively: ${why}.`,
    `pos-hub: the hub runs only on the native build; supported: ${SUPPORTED_NODE} on linux x64, arm64 or armv7 (the Docker image pins it).`,
    'pos-hub: see README "Runtime" for moving to Node 22+ with the official uWebSockets.js build.',
  ].join('\n');
}
