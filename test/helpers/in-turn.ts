/**
 * The writer answers in the same turn on SQLite (its store port's promises say they are settled): tests
 * that drive it synchronously read such an answer with this, and fail loudly if it was not in turn.
 */
import { outcomeOf } from '../../src/ports/settled.js';

export function inTurn<T>(value: T | Promise<T>): T {
  const known = outcomeOf(value);
  if (known === undefined) throw new Error('expected an answer in this turn (the SQLite store answers synchronously)');
  if (!known.ok) throw known.error;
  return known.value;
}
