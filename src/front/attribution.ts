/**
 * Attribution: the Odoo order's user is the user who signed the terminal in, not whatever `userId` a
 * terminal writes into its finalize snapshot (a cashier must not book orders as the manager). Dev
 * identities have no Odoo user, so their snapshots pass unchanged.
 */
import type { TerminalMessageOf } from '../protocol/terminal-messages.js';

/** The message with the snapshot's userId set to the signed-in user; the same object when it already was. */
export function attributeFinalize(msg: TerminalMessageOf<'ORDER_FINALIZE'>, odooUserId: number | null): TerminalMessageOf<'ORDER_FINALIZE'> {
  if (odooUserId === null || msg.snapshot.userId === odooUserId) return msg;
  return { ...msg, snapshot: { ...msg.snapshot, userId: odooUserId } };
}
