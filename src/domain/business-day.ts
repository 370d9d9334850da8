/**
 * The business day that ticket numbers count within: the venue's local calendar date (the hub's time
 * zone) on the hub's wall clock when the hub handles the TICKET_NUMBER_REQUEST. Numbers stay unique
 * under a wall-clock jump because each (business day, order type) counter lives in SQLite and only
 * grows: a jump back across midnight continues yesterday's counter, never restarts it (docs/hub-runtime.md).
 */

/** `ms` (epoch milliseconds) as the local date YYYY-MM-DD. */
export function businessDay(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}
