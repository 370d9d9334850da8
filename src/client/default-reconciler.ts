/**
 * The SDK's default conflict policy, straight from the order-domain module: a three-way line merge
 * (mergeOffline) when the hub version the edit started from is known, otherwise the reference's
 * two-way reconcile(). Paid hub orders always win; local lines they lack are reported back.
 */
import { mergeOffline, reconcile } from '../domain/index.js';
import type { Reconciler } from './reconcile.js';

export function domainReconciler(options: { sendChangesToKitchen?: boolean } = {}): Reconciler {
  const kitchen = options.sendChangesToKitchen === undefined ? {} : { sendChangesToKitchen: options.sendChangesToKitchen };
  return ({ local, localBaseVersion, remote, remoteVersion, base }) => {
    if (remote === null) return { strategy: 'keep_local', snapshot: local, resend: true, droppedLocalLines: [] };
    if (base !== null) {
      const merged = mergeOffline(base, local, remote, kitchen);
      return { strategy: merged.strategy, snapshot: merged.result, resend: merged.strategy !== 'accept_remote', droppedLocalLines: merged.lostLocalLines };
    }
    const result = reconcile(local, remote, { localBaseVersion, remoteVersion, hasLocalChanges: true, ...kitchen });
    return { strategy: result.strategy, snapshot: result.result, resend: result.strategy !== 'accept_remote', droppedLocalLines: result.lostLocalLines };
  };
}
