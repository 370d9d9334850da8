/**
 * The one place the domain rules are wired into the table actors: src/domain's validateSnapshotChange
 * when that module exports it, else the actor's pass-through. Swapping to a static import is one line.
 */
import { passThroughValidator, type SnapshotValidator } from '../../actors/table/context.js';
import { importIfPresent } from '../optional-module.js';

export async function loadSnapshotValidator(): Promise<{ validate: SnapshotValidator; fromDomain: boolean }> {
  const domain = await importIfPresent<{ validateSnapshotChange?: SnapshotValidator }>('../src/domain/index');
  const validate = domain?.validateSnapshotChange;
  return typeof validate === 'function' ? { validate, fromDomain: true } : { validate: passThroughValidator, fromDomain: false };
}
