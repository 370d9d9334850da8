/**
 * Python call semantics for simulated controllers and model methods: Odoo passes JSON-RPC `params`
 * (controllers) or call_kw `args`/`kwargs` (methods) straight to Python, so a missing or unknown
 * argument surfaces as a builtins.TypeError with CPython's exact wording. This reproduces it.
 */
import { typeError } from './odoo-errors.js';

export interface PySignature {
  readonly name: string;
  /** Parameter names in order (after self). */
  readonly params: readonly string[];
  /** How many of the leading params are required. */
  readonly required: number;
  /** Accepts **kwargs (e.g. call_kw's `path`). */
  readonly varKw?: boolean;
}

function quoteList(names: readonly string[]): string {
  const q = names.map((n) => `'${n}'`);
  if (q.length === 1) return q[0] ?? '';
  if (q.length === 2) return `${q[0]} and ${q[1]}`;
  return `${q.slice(0, -1).join(', ')}, and ${q[q.length - 1]}`;
}

/** Bind positional and keyword arguments to the signature or throw the TypeError CPython would. */
export function bindPy(sig: PySignature, args: readonly unknown[], kwargs: Readonly<Record<string, unknown>>): Record<string, unknown> {
  if (args.length > sig.params.length) {
    const range = sig.required === sig.params.length ? `${sig.params.length + 1}` : `from ${sig.required + 1} to ${sig.params.length + 1}`;
    throw typeError(`${sig.name}() takes ${range} positional arguments but ${args.length + 1} were given`);
  }
  const bound: Record<string, unknown> = {};
  args.forEach((value, i) => {
    bound[sig.params[i] ?? ''] = value;
  });
  for (const [key, value] of Object.entries(kwargs)) {
    if (!sig.params.includes(key)) {
      if (sig.varKw) continue;
      throw typeError(`${sig.name}() got an unexpected keyword argument '${key}'`);
    }
    if (Object.hasOwn(bound, key)) throw typeError(`${sig.name}() got multiple values for argument '${key}'`);
    bound[key] = value;
  }
  const missing = sig.params.slice(0, sig.required).filter((p) => !Object.hasOwn(bound, p));
  if (missing.length > 0) {
    const plural = missing.length === 1 ? 'argument' : 'arguments';
    throw typeError(`${sig.name}() missing ${missing.length} required positional ${plural}: ${quoteList(missing)}`);
  }
  return bound;
}
