/**
 * The simulator's Odoo data and model methods: pos.order create_from_ui with 12.0 semantics (DB-only
 * dedupe on pos_reference, KeyError/ValueError/NOT NULL errors, all-or-nothing batches, swallowed
 * post-create failures that leave a draft, rescue sessions), res.users.has_group, the reference addon's
 * hub_finalize_snapshot (idempotent), and call_kw dispatch; the ORM read methods on every model
 * (search_read / search_count / read / fields_get) are served by orm-read.ts over these tables.
 * Slightly over 400 lines on purpose: one create_from_ui transaction (ids, rollback, rescue) reads best whole.
 */
import type { Dict, PosLineRec, PosOrderRec, PosSessionRec, StatementLineRec } from './pos-records.js';
import { OrmReader, READ_METHODS } from './orm-read.js';
import {
  accessError,
  internal,
  keyError,
  missingError,
  typeError,
  userError,
  validationError,
} from './odoo-errors.js';
import { bindPy } from './py-call.js';
import { type SimFaults, takeBusiness } from './faults.js';
import { type SimModel, catalogModels } from './catalog-models.js';
import {
  SIM_JOURNALS,
  SIM_POS_CONFIG,
  SIM_POS_SESSION,
  SIM_PRICELIST,
  SIM_PRODUCTS,
  SIM_USERS,
  type SeedUser,
} from './seed.js';

/** What one call_kw runs against: the calling user and the method's faults. */
export interface KwContext {
  readonly uid: number;
  readonly faults: SimFaults;
  readonly finalizeModel: string;
}

const DATETIME_FMT = '%Y-%m-%d %H:%M:%S';
const FULL_DT = /^(\d{4})-(\d{1,2})-(\d{1,2}) (\d{1,2}):(\d{1,2}):(\d{1,2})/;
const DATE_ONLY = /^\d{4}-\d{1,2}-\d{1,2}$/;

/** fields.Datetime.to_datetime in 12.0: strptime(value, DATETIME_FORMAT[:len(value)-2]). */
export function parseOdooDatetime(value: unknown): string {
  if (typeof value !== 'string') {
    const pyType = value === null ? 'NoneType' : typeof value === 'number' ? (Number.isInteger(value) ? 'int' : 'float') : typeof value === 'boolean' ? 'bool' : typeof value === 'object' ? 'dict' : 'str';
    throw typeError(`strptime() argument 1 must be str, not ${pyType}`);
  }
  if (DATE_ONLY.test(value)) return `${value} 00:00:00`;
  const m = FULL_DT.exec(value);
  if (m) {
    const rest = value.slice(m[0].length);
    if (rest !== '') throw internal('builtins.ValueError', `unconverted data remains: ${rest}`);
    return value;
  }
  const fmt = DATETIME_FMT.slice(0, Math.max(0, value.length - 2));
  throw internal('builtins.ValueError', `time data '${value}' does not match format '${fmt}'`);
}

const round2 = (n: number): number => Math.round(n * 100) / 100;

const isDict = (v: unknown): v is Dict => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Python's `d[key]` on a dict: KeyError when absent; TypeError when `d` is not a dict. */
function item(d: unknown, key: string): unknown {
  if (!isDict(d)) throw typeError(`list indices must be integers or slices, not str`);
  if (!Object.hasOwn(d, key)) throw keyError(key);
  return d[key];
}

/** Pending writes of one transaction: applied on commit, dropped on any exception (rollback). */
interface Txn {
  orders: PosOrderRec[];
  lines: PosLineRec[];
  statementLines: StatementLineRec[];
  sessions: Map<number, PosSessionRec>;
}

export class PosData {
  readonly orders = new Map<number, PosOrderRec>();
  readonly lines = new Map<number, PosLineRec>();
  readonly statementLines = new Map<number, StatementLineRec>();
  readonly sessions = new Map<number, PosSessionRec>();
  /** Orders created per pos_reference, across both finalize paths (the exactly-once counter). */
  readonly createdPerReference = new Map<string, number>();
  private readonly users: readonly SeedUser[] = Object.values(SIM_USERS);
  private readonly catalog: Readonly<Record<string, SimModel>> = catalogModels(this.sessions);
  private readonly reader = new OrmReader({ orders: this.orders, lines: this.lines, sessions: this.sessions, users: this.users, catalog: this.catalog });
  // Postgres sequences are not transactional: ids consumed by a rolled-back call stay consumed.
  private nextOrderId = 1000;
  private nextLineId = 50_000;
  private nextStatementLineId = 9000;
  private nextSessionId = 100;
  private nextStatementId = 1000;
  private orderNameSeq = 0;
  private ncfSeq = 0;

  constructor() {
    this.sessions.set(SIM_POS_SESSION.id, {
      id: SIM_POS_SESSION.id,
      name: SIM_POS_SESSION.name,
      config_id: SIM_POS_SESSION.configId,
      state: 'opened',
      sequence_number: 1,
      statements: SIM_POS_SESSION.statements.map((s) => ({ id: s.id, journalId: s.journalId })),
      rescue: false,
      user_id: SIM_POS_SESSION.userId,
    });
  }

  userById(uid: number): SeedUser | undefined {
    return this.users.find((u) => u.id === uid);
  }

  userByLogin(login: string): SeedUser | undefined {
    return this.users.find((u) => u.login === login);
  }

  /** call_kw dispatch: model + method → the simulated implementation. */
  callKw(model: string, method: string, args: readonly unknown[], kwargs: Dict, ctx: KwContext): unknown {
    if (method.startsWith('_') || method === 'init') {
      throw accessError(`Private methods (such as ${method}) cannot be called remotely.`);
    }
    const { context: _context, ...kw } = kwargs;
    if (model === ctx.finalizeModel && method === 'hub_finalize_snapshot') {
      const b = bindPy({ name: 'hub_finalize_snapshot', params: ['payload'], required: 1 }, args, kw);
      return this.hubFinalizeSnapshot(b.payload, ctx);
    }
    switch (model) {
      case 'pos.order':
        if (method === 'create_from_ui') {
          const b = bindPy({ name: 'create_from_ui', params: ['orders'], required: 1 }, args, kw);
          return this.createFromUi(b.orders, ctx);
        }
        if (READ_METHODS.has(method)) return this.reader.readMethod(model, method, args, kw);
        break;
      case 'pos.order.line':
      case 'pos.session':
        if (READ_METHODS.has(method)) return this.reader.readMethod(model, method, args, kw);
        break;
      case 'res.users':
        if (method === 'has_group') {
          const b = bindPy({ name: 'has_group', params: ['group_ext_id'], required: 1 }, args, kw);
          return this.hasGroup(ctx.uid, b.group_ext_id);
        }
        if (READ_METHODS.has(method)) return this.reader.readMethod(model, method, args, kw);
        break;
      default:
        if (!Object.hasOwn(this.catalog, model)) throw keyError(model);
        if (READ_METHODS.has(method)) return this.reader.readMethod(model, method, args, kw);
    }
    throw internal('builtins.AttributeError', `'${model}' object has no attribute '${method}'`);
  }

  /** res.users.has_group in 12.0 is @api.model and answers for the *calling* user (self._uid). */
  hasGroup(uid: number, groupExtId: unknown): boolean {
    if (typeof groupExtId !== 'string' || !groupExtId.includes('.')) {
      throw internal('builtins.AssertionError', 'External ID must be fully qualified');
    }
    const user = this.userById(uid);
    return user !== undefined && (user.groups as readonly string[]).includes(groupExtId);
  }

  // ---------------------------------------------------------------- create_from_ui

  createFromUi(orders: unknown, ctx: KwContext): number[] | Promise<number[]> {
    if (!Array.isArray(orders)) throw typeError(`string indices must be integers`);
    // 12.0: one search against the database; duplicates *within* the batch are not caught.
    const submitted = orders.map((o) => String(item(item(o, 'data'), 'name')));
    const existing = new Set([...this.orders.values()].filter((o) => submitted.includes(o.pos_reference)).map((o) => o.pos_reference));
    const toSave = orders.filter((o) => !existing.has(String(item(item(o, 'data'), 'name'))));
    const slow = ctx.faults.slowCreate;
    if (slow !== null && slow.count > 0) {
      slow.count -= 1;
      // The search above is this call's snapshot; what it creates is visible to others only at its commit.
      return new Promise((resolve, reject) => {
        setTimeout(() => {
          try {
            resolve(this.createSearched(toSave, ctx));
          } catch (error) {
            reject(error instanceof Error ? error : new Error(String(error)));
          }
        }, slow.ms);
      });
    }
    return this.createSearched(toSave, ctx);
  }

  /** create_from_ui after its search: one transaction over the orders it did not find. */
  private createSearched(toSave: readonly unknown[], ctx: KwContext): number[] {
    return this.inTransaction((txn) => {
      const fault = takeBusiness(ctx.faults.userError, 'create_from_ui');
      if (fault) throw userError(fault.message ?? 'Injected UserError (simulator fault).');
      const vfault = takeBusiness(ctx.faults.validationError, 'create_from_ui');
      if (vfault) throw validationError(vfault.message ?? 'Injected ValidationError (simulator fault).');
      const ids: number[] = [];
      for (const tmp of toSave) {
        const toInvoice = item(tmp, 'to_invoice');
        const data = item(tmp, 'data') as Dict;
        const order = this.processOrder(data, txn, ctx);
        ids.push(order.id);
        // action_pos_order_paid: any non-database failure is logged and swallowed; the order stays draft.
        this.markPaidSwallowingErrors(order, txn, ctx);
        // to_invoice: 12.0 invoices inside the same transaction; without a partner that raises and
        // rolls the whole batch back. Invoices themselves are not simulated.
        if (toInvoice && order.partner_id === false) throw userError('Please provide a partner for the sale.');
      }
      return ids;
    });
  }

  private markPaidSwallowingErrors(order: PosOrderRec, txn: Txn, ctx: KwContext): void {
    if (ctx.faults.postCreateFailures > 0) {
      ctx.faults.postCreateFailures -= 1;
      return;
    }
    if (this.isPaid(order, txn)) order.state = 'paid';
  }

  private isPaid(order: PosOrderRec, txn: Txn): boolean {
    const paid = txn.statementLines.filter((s) => s.pos_statement_id === order.id).reduce((a, s) => a + s.amount, 0);
    return Math.abs(round2(order.amount_total - paid)) < 0.005;
  }

  /** `_process_order` + `_order_fields` + `_order_line_fields` + `add_payment`, 12.0 semantics. */
  private processOrder(ui: Dict, txn: Txn, ctx: KwContext): PosOrderRec {
    const name = item(ui, 'name');
    const sessionId = item(ui, 'pos_session_id');
    let session = this.sessionIn(txn, sessionId);
    if (session.state === 'closing_control' || session.state === 'closed') session = this.rescueSession(session, txn);
    // _order_fields reads every key directly: a missing one is a KeyError.
    const userId = item(ui, 'user_id');
    const rawLines = item(ui, 'lines');
    const partnerId = item(ui, 'partner_id');
    const dateOrder = parseOdooDatetime(item(ui, 'creation_date'));
    const fiscalPositionId = item(ui, 'fiscal_position_id');
    const pricelistId = item(ui, 'pricelist_id');
    const amountPaid = Number(item(ui, 'amount_paid'));
    const amountTotal = Number(item(ui, 'amount_total'));
    const amountTax = Number(item(ui, 'amount_tax'));
    const amountReturn = Number(item(ui, 'amount_return'));
    const statements = item(ui, 'statement_ids');
    const sequenceNumber = Number(item(ui, 'sequence_number'));
    if (ctx.faults.poisonReferences.includes(String(name))) {
      throw userError(`Order ${String(name)} cannot be processed (simulator poison order).`);
    }
    if (pricelistId === false || pricelistId === null) {
      throw validationError('The operation cannot be completed: missing required field\nModel: Point of Sale Orders (pos.order), Field: Pricelist (pricelist_id)');
    }
    if (pricelistId !== SIM_PRICELIST.id) throw missingError('Record does not exist or has been deleted.');
    this.orderNameSeq += 1;
    const order: PosOrderRec = {
      id: this.nextOrderId++,
      name: `${SIM_POS_CONFIG.sequence_prefix}${String(this.orderNameSeq).padStart(4, '0')}`,
      pos_reference: String(name),
      session_id: session.id,
      config_id: session.config_id,
      state: 'draft',
      date_order: dateOrder,
      user_id: typeof userId === 'number' ? userId : false,
      partner_id: typeof partnerId === 'number' ? partnerId : false,
      pricelist_id: pricelistId as number,
      fiscal_position_id: typeof fiscalPositionId === 'number' ? fiscalPositionId : false,
      sequence_number: sequenceNumber,
      amount_total: amountTotal,
      amount_tax: amountTax,
      amount_paid: amountPaid,
      amount_return: amountReturn,
      lines: [],
      statement_ids: [],
    };
    const lineCmds = Array.isArray(rawLines) ? rawLines : [];
    for (const cmd of lineCmds) order.lines.push(this.createLine(order, cmd, txn).id);
    // amount_total / amount_tax are computed from the lines in 12.0; the client's values are ignored.
    const lines = txn.lines.filter((l) => l.order_id === order.id);
    order.amount_total = round2(lines.reduce((a, l) => a + l.price_subtotal_incl, 0));
    order.amount_tax = round2(lines.reduce((a, l) => a + l.price_subtotal_incl - l.price_subtotal, 0));
    txn.orders.push(order);
    for (const cmd of Array.isArray(statements) ? statements : []) {
      const payment = Array.isArray(cmd) ? cmd[2] : undefined;
      const amount = Number(item(payment, 'amount'));
      const date = parseOdooDatetime(item(payment, 'name'));
      const journalId = item(payment, 'journal_id');
      if (Math.abs(amount) < 0.005) continue;
      const statementId = item(payment, 'statement_id');
      const statement =
        session.statements.find((s) => s.id === statementId) ?? session.statements.find((s) => s.journalId === journalId);
      if (!statement) throw userError('You have to open at least one cashbox.');
      order.statement_ids.push(this.addStatementLine(order, statement, amount, date, txn));
    }
    if (Math.abs(amountReturn) >= 0.005) {
      const cash = session.statements.find((s) => SIM_JOURNALS.find((j) => j.id === s.journalId)?.type === 'cash');
      if (!cash) throw userError('No cash statement found for this session. Unable to record returned cash.');
      order.statement_ids.push(this.addStatementLine(order, cash, -amountReturn, dateOrder, txn));
    }
    if (session.sequence_number <= sequenceNumber) session.sequence_number = sequenceNumber + 1;
    return order;
  }

  private createLine(order: PosOrderRec, cmd: unknown, txn: Txn): PosLineRec {
    if (!Array.isArray(cmd) || cmd.length !== 3 || cmd[0] !== 0) throw internal('builtins.ValueError', `Wrong value for pos.order.lines: ${JSON.stringify(cmd)}`);
    const vals = cmd[2] as unknown;
    if (!isDict(vals)) throw typeError(`'${typeof vals}' object is not subscriptable`);
    const productId = vals.product_id;
    const product = SIM_PRODUCTS.find((p) => p.id === productId);
    if (productId === undefined || productId === false || productId === null) {
      throw validationError('The operation cannot be completed: missing required field\nModel: Lines of Point of Sale (pos.order.line), Field: Product (product_id)');
    }
    if (!product) {
      throw validationError('The operation cannot be completed: another model requires the record being deleted. If possible, archive it instead.\n\nModel: Lines of Point of Sale (pos.order.line), Field: Product (product_id)');
    }
    for (const [field, label] of [
      ['price_subtotal', 'Subtotal w/o Tax'],
      ['price_subtotal_incl', 'Subtotal'],
    ] as const) {
      if (typeof vals[field] !== 'number') {
        throw validationError(`The operation cannot be completed: missing required field\nModel: Lines of Point of Sale (pos.order.line), Field: ${label} (${field})`);
      }
    }
    // tax_ids absent: the server fills in the product's taxes; present: [[6, false, ids]].
    let taxIds = [...product.taxIds];
    if (Array.isArray(vals.tax_ids)) {
      const cmd6 = vals.tax_ids[0];
      if (Array.isArray(cmd6) && cmd6[0] === 6 && Array.isArray(cmd6[2])) taxIds = cmd6[2].map(Number);
    }
    const line: PosLineRec = {
      id: this.nextLineId++,
      order_id: order.id,
      name: typeof vals.name === 'string' ? vals.name : `${order.name}/${String(order.lines.length + 1).padStart(3, '0')}`,
      product_id: product.id,
      qty: Number(vals.qty ?? 1),
      price_unit: Number(vals.price_unit ?? product.price),
      discount: Number(vals.discount ?? 0),
      price_subtotal: vals.price_subtotal as number,
      price_subtotal_incl: vals.price_subtotal_incl as number,
      tax_ids: taxIds,
    };
    txn.lines.push(line);
    return line;
  }

  private addStatementLine(order: PosOrderRec, statement: { id: number; journalId: number }, amount: number, date: string, txn: Txn): number {
    const rec: StatementLineRec = { id: this.nextStatementLineId++, pos_statement_id: order.id, statement_id: statement.id, journal_id: statement.journalId, amount: round2(amount), date };
    txn.statementLines.push(rec);
    return rec.id;
  }

  private sessionIn(txn: Txn, sessionId: unknown): PosSessionRec {
    const id = Number(sessionId);
    const staged = txn.sessions.get(id);
    if (staged) return staged;
    const found = this.sessions.get(id);
    if (!found) throw missingError('Record does not exist or has been deleted.');
    const copy = { ...found, statements: [...found.statements] };
    txn.sessions.set(id, copy);
    return copy;
  }

  /** `_get_valid_session`: reuse or create the "RESCUE FOR" session of the same config. */
  private rescueSession(closed: PosSessionRec, txn: Txn): PosSessionRec {
    const all = [...txn.sessions.values(), ...this.sessions.values()];
    const open = all.find((s) => s.config_id === closed.config_id && s.rescue && s.state === 'opened');
    if (open) return this.sessionIn(txn, open.id);
    const rescue: PosSessionRec = {
      id: this.nextSessionId++,
      name: `(RESCUE FOR ${closed.name})`,
      config_id: closed.config_id,
      state: 'opened',
      sequence_number: 1,
      statements: SIM_JOURNALS.map((j) => ({ id: this.nextStatementId++, journalId: j.id })),
      rescue: true,
      user_id: closed.user_id,
    };
    txn.sessions.set(rescue.id, rescue);
    return rescue;
  }

  /** One database transaction: commit only if nothing escapes (WebRequest.__exit__). */
  private inTransaction<T>(fn: (txn: Txn) => T): T {
    const txn: Txn = { orders: [], lines: [], statementLines: [], sessions: new Map() };
    const result = fn(txn);
    for (const o of txn.orders) {
      this.orders.set(o.id, o);
      this.createdPerReference.set(o.pos_reference, (this.createdPerReference.get(o.pos_reference) ?? 0) + 1);
    }
    for (const l of txn.lines) this.lines.set(l.id, l);
    for (const s of txn.statementLines) this.statementLines.set(s.id, s);
    for (const [id, s] of txn.sessions) this.sessions.set(id, s);
    return result;
  }

  // ---------------------------------------------------------------- hub_finalize_snapshot

  /**
   * The reference addon's method as this project fixes it (see docs/odoo-gateway.md): @api.model,
   * args = [payload]; create_from_ui inside a savepoint, idempotent on pos_reference, no phantom
   * drafts (a paid check failure raises), refuses an order without payments.
   */
  hubFinalizeSnapshot(payload: unknown, ctx: KwContext): unknown {
    const ref = item(payload, 'pos_reference');
    const order = item(payload, 'order');
    const lineUids = item(payload, 'line_uids');
    if (typeof ref !== 'string' || ref === '') throw validationError('pos_reference is required.');
    const data = item(order, 'data');
    if (item(data, 'name') !== ref) throw validationError(`order.data.name must equal pos_reference ${ref}.`);
    const uids = Array.isArray(lineUids) ? lineUids.map(String) : [];
    const known = [...this.orders.values()].filter((o) => o.pos_reference === ref).sort((a, b) => a.id - b.id)[0];
    if (known) return this.finalizeResult(known, uids, false);
    const created = this.inTransaction((txn) => {
      const fault = takeBusiness(ctx.faults.userError, 'hub_finalize_snapshot');
      if (fault) throw userError(fault.message ?? 'Injected UserError (simulator fault).');
      const vfault = takeBusiness(ctx.faults.validationError, 'hub_finalize_snapshot');
      if (vfault) throw validationError(vfault.message ?? 'Injected ValidationError (simulator fault).');
      const stmts = item(data, 'statement_ids');
      if (!Array.isArray(stmts) || stmts.length === 0) throw userError(`Order ${ref} has no payment lines (statement_ids).`);
      const rec = this.processOrder(data as Dict, txn, ctx);
      if (ctx.faults.postCreateFailures > 0) {
        ctx.faults.postCreateFailures -= 1;
        throw userError('Order is not paid.');
      }
      if (!this.isPaid(rec, txn)) throw userError('Order is not paid.');
      rec.state = 'paid';
      return rec;
    });
    return this.finalizeResult(created, uids, true);
  }

  private finalizeResult(order: PosOrderRec, uids: readonly string[], created: boolean): unknown {
    const lineIds = [...order.lines].sort((a, b) => a - b);
    const lineIdMap: Record<string, number> = {};
    uids.forEach((uid, i) => {
      const id = lineIds[i];
      if (id !== undefined) lineIdMap[uid] = id;
    });
    if (created) this.ncfSeq += 1;
    return {
      status: 'ok',
      pos_reference: order.pos_reference,
      order_id: order.id,
      created,
      line_id_map: lineIdMap,
      fiscal: { ncf: `B02${String(order.id).padStart(8, '0')}`, ncf_type: 'consumo', order_name: order.name },
    };
  }
}
