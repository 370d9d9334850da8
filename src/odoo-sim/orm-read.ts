/**
 * The ORM's read side of the simulator, served for every simulated model: search_read (domain,
 * order, offset, limit), search_count, read and fields_get, with many2one rendered as [id, name].
 * Kept apart from pos-data.ts (the write side: create_from_ui, hub_finalize_snapshot) because it only reads.
 */
import { internal, keyError } from './odoo-errors.js';
import { bindPy } from './py-call.js';
import type { SimModel } from './catalog-models.js';
import type { Dict, PosLineRec, PosOrderRec, PosSessionRec } from './pos-records.js';
import {
  GROUP_IDS,
  SIM_COMPANY,
  SIM_POS_CONFIG,
  SIM_PRICELIST,
  SIM_PRODUCTS,
  type GroupXmlId,
  type SeedUser,
} from './seed.js';

/** The ORM's read-side methods, served for every simulated model. */
export const READ_METHODS = new Set(['search_read', 'search_count', 'read', 'fields_get']);

/** The tables the reader sees: the write side's live maps, never copies. */
export interface OrmTables {
  readonly orders: ReadonlyMap<number, PosOrderRec>;
  readonly lines: ReadonlyMap<number, PosLineRec>;
  readonly sessions: ReadonlyMap<number, PosSessionRec>;
  readonly users: readonly SeedUser[];
  readonly catalog: Readonly<Record<string, SimModel>>;
}

export class OrmReader {
  constructor(private readonly db: OrmTables) {}

  private userName(uid: number): string | undefined {
    return this.db.users.find((u) => u.id === uid)?.name;
  }

  /** One of READ_METHODS on `model`, with call_kw's args and kwargs. */
  readMethod(model: string, method: string, args: readonly unknown[], kw: Dict): unknown {
    switch (method) {
      case 'search_read':
        return this.searchRead(model, args, kw);
      case 'search_count':
        return this.searchCount(model, args, kw);
      case 'read':
        return this.read(model, args, kw);
      default:
        return this.fieldsGet(model, args, kw);
    }
  }

  /** read(fields=None, load='_classic_read') is @api.multi: args[0] are the ids; missing ids are skipped (12.0). */
  read(model: string, args: readonly unknown[], kw: Dict): Dict[] {
    if (args.length === 0) throw internal('builtins.IndexError', 'list index out of range');
    const b = bindPy({ name: 'read', params: ['fields', 'load'], required: 0 }, args.slice(1), kw);
    const wanted = Array.isArray(args[0]) ? args[0] : [args[0]];
    const byId = new Map(this.records(model).map((r) => [r.id, r]));
    const fields = Array.isArray(b.fields) && b.fields.length > 0 ? (b.fields as string[]) : null;
    return wanted.flatMap((id) => {
      const r = byId.get(id);
      return r === undefined ? [] : [this.render(model, r, fields)];
    });
  }

  /** fields_get(allfields=None, attributes=None), @api.model: types inferred from the simulated values. */
  fieldsGet(model: string, args: readonly unknown[], kw: Dict): Dict {
    const b = bindPy({ name: 'fields_get', params: ['allfields', 'attributes'], required: 0 }, args, kw);
    const sample = this.records(model)[0] ?? {};
    const only = Array.isArray(b.allfields) && b.allfields.length > 0 ? new Set(b.allfields as string[]) : null;
    const attributes = Array.isArray(b.attributes) && b.attributes.length > 0 ? (b.attributes as string[]) : null;
    const out: Dict = {};
    for (const [name, value] of Object.entries(sample)) {
      if (only !== null && !only.has(name)) continue;
      const description: Dict = { type: this.fieldType(model, name, value), string: name.replace(/_/g, ' ') };
      out[name] =
        attributes === null
          ? description
          : Object.fromEntries(attributes.filter((a) => Object.hasOwn(description, a)).map((a) => [a, description[a]]));
    }
    return out;
  }

  private fieldType(model: string, name: string, value: unknown): string {
    if (name === 'id') return 'integer';
    if (this.many2oneName(model, name) !== null) return 'many2one';
    if (Array.isArray(value)) return 'many2many';
    if (typeof value === 'boolean') return name === 'active' || !name.endsWith('_id') ? 'boolean' : 'many2one';
    if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'float';
    return 'char';
  }

  private searchCount(model: string, args: readonly unknown[], kw: Dict): number {
    const b = bindPy({ name: 'search_count', params: ['args'], required: 1 }, args, kw);
    return this.filter(model, b.args).length;
  }

  /** search_read(domain=None, fields=None, offset=0, limit=None, order=None), @api.model. */
  searchRead(model: string, args: readonly unknown[], kw: Dict): Dict[] {
    const b = bindPy(
      { name: 'search_read', params: ['domain', 'fields', 'offset', 'limit', 'order'], required: 0 },
      args,
      kw,
    );
    let rows = this.filter(model, b.domain ?? []);
    const order = typeof b.order === 'string' && b.order.trim() !== '' ? b.order.trim() : 'id asc';
    const keys = order.split(',').map((part) => {
      const [field = 'id', dir = 'asc'] = part.trim().split(/\s+/);
      if (rows[0] !== undefined && !Object.hasOwn(rows[0], field))
        throw internal('builtins.ValueError', `Sorting field ${field} not found on model ${model}`);
      return { field, sign: dir.toLowerCase() === 'desc' ? -1 : 1 };
    });
    rows = [...rows].sort((a, c) => {
      for (const { field, sign } of keys) {
        const d = compareValues(a[field], c[field], sign);
        if (d !== 0) return d;
      }
      return 0;
    });
    const offset = typeof b.offset === 'number' ? b.offset : 0;
    const limit = typeof b.limit === 'number' ? b.limit : undefined;
    rows = rows.slice(offset, limit === undefined ? undefined : offset + limit);
    const fields = Array.isArray(b.fields) && b.fields.length > 0 ? (b.fields as string[]) : null;
    return rows.map((r) => this.render(model, r, fields));
  }

  private records(model: string): Dict[] {
    switch (model) {
      case 'pos.order':
        return [...this.db.orders.values()] as unknown as Dict[];
      case 'pos.order.line':
        return [...this.db.lines.values()] as unknown as Dict[];
      case 'pos.session':
        return [...this.db.sessions.values()].map((s) => ({
          id: s.id,
          name: s.name,
          config_id: s.config_id,
          state: s.state,
          user_id: s.user_id,
          rescue: s.rescue,
          sequence_number: s.sequence_number,
          statement_ids: s.statements.map((x) => x.id),
        }));
      case 'res.users':
        return this.db.users.map((u) => ({
          id: u.id,
          name: u.name,
          login: u.login,
          partner_id: u.partnerId,
          company_id: SIM_COMPANY.id,
          active: true,
          groups_id: u.groups.map((g: GroupXmlId) => GROUP_IDS[g]),
        }));
      default: {
        const sim = this.db.catalog[model];
        if (!sim) throw keyError(model);
        return sim.rows();
      }
    }
  }

  private filter(model: string, domain: unknown): Dict[] {
    if (!Array.isArray(domain)) throw internal('builtins.ValueError', `Invalid domain ${JSON.stringify(domain)}`);
    const rows = this.records(model);
    const leaves = domain.filter((t) => t !== '&');
    for (const leaf of leaves) {
      if (!Array.isArray(leaf) || leaf.length !== 3 || typeof leaf[0] !== 'string') {
        throw internal('builtins.ValueError', `Invalid leaf ${JSON.stringify(leaf)}`);
      }
      const sample = rows[0];
      const fieldName = leaf[0];
      if (!(sample === undefined || Object.hasOwn(sample, fieldName) || ['id'].includes(fieldName))) {
        throw internal(
          'builtins.ValueError',
          `Invalid field '${fieldName}' in leaf "<osv.ExtendedLeaf: ${JSON.stringify(leaf)} on ${model.replace(/\./g, '_')} (ctx: )>"`,
        );
      }
    }
    return rows.filter((r) => leaves.every((leaf) => matchLeaf(r, leaf as [string, string, unknown])));
  }

  private render(model: string, r: Dict, fields: string[] | null): Dict {
    const names = fields ?? Object.keys(r);
    const out: Dict = {};
    for (const f of names) {
      if (!Object.hasOwn(r, f)) throw internal('builtins.ValueError', `Invalid field '${f}' on model '${model}'`);
      out[f] = this.renderValue(model, f, r[f]);
    }
    if (!Object.hasOwn(out, 'id')) out.id = r.id;
    return out;
  }

  /** Many2one as [id, display_name] or false, like read(). */
  private renderValue(model: string, field: string, value: unknown): unknown {
    if (value === false || value === null || value === undefined) return false;
    const m2o = (id: number, name: string | undefined): unknown => [id, name ?? `#${id}`];
    const id = value as number;
    switch (`${model}:${field}`) {
      case 'pos.order:session_id':
      case 'pos.order.line:order_id':
        return field === 'session_id' ? m2o(id, this.db.sessions.get(id)?.name) : m2o(id, this.db.orders.get(id)?.name);
      case 'pos.order:config_id':
      case 'pos.session:config_id':
        return m2o(id, SIM_POS_CONFIG.name);
      case 'pos.order:user_id':
        return m2o(id, this.userName(id));
      case 'pos.order:partner_id':
      case 'res.users:partner_id':
        return m2o(id, undefined);
      case 'pos.order:pricelist_id':
        return m2o(id, SIM_PRICELIST.name);
      case 'pos.order.line:product_id':
        return m2o(id, SIM_PRODUCTS.find((p) => p.id === id)?.name);
      case 'pos.session:user_id':
        return m2o(id, this.userName(id));
      case 'res.users:company_id':
        return m2o(id, SIM_COMPANY.name);
      default: {
        const name = this.many2oneName(model, field);
        return name === null ? value : m2o(id, name(id));
      }
    }
  }

  private many2oneName(model: string, field: string): ((id: number) => string | undefined) | null {
    if (
      [
        'session_id',
        'order_id',
        'config_id',
        'user_id',
        'partner_id',
        'pricelist_id',
        'product_id',
        'company_id',
      ].includes(field) &&
      !Object.hasOwn(this.db.catalog, model)
    ) {
      return () => undefined;
    }
    return this.db.catalog[model]?.many2one[field] ?? null;
  }
}

/** ORDER BY with PostgreSQL's NULLS LAST for ASC (FIRST for DESC); false is NULL. */
function compareValues(x: unknown, y: unknown, sign: number): number {
  const nx = x === false || x === null || x === undefined;
  const ny = y === false || y === null || y === undefined;
  if (nx || ny) return nx && ny ? 0 : nx ? 1 * sign : -1 * sign;
  const a = x as number | string;
  const b = y as number | string;
  return (a < b ? -1 : a > b ? 1 : 0) * sign;
}

function matchLeaf(r: Dict, [field, op, value]: [string, string, unknown]): boolean {
  const v = r[field];
  const list = Array.isArray(value) ? value : [value];
  const has = (x: unknown): boolean => (Array.isArray(v) ? v.some((e) => list.includes(e)) : list.includes(x));
  switch (op) {
    case '=':
      return Array.isArray(v) ? v.includes(value) : v === value;
    case '!=':
      return v !== value;
    case 'in':
      return has(v);
    case 'not in':
      return !has(v);
    case 'ilike':
      return String(v).toLowerCase().includes(String(value).toLowerCase());
    default:
      throw internal('builtins.ValueError', `Invalid operator ${JSON.stringify(op)}`);
  }
}
