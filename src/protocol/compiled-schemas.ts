/**
 * The front's validation, compiled (issue 16): zod and the pass-through walk were a fifth of the front's CPU
 * per write. `z.compile` turns a message schema into generated code whose rejection falls back to the
 * runtime parser, so an invalid frame's issues read as before; the pass-through bounds get a walker built
 * once from the same schema instead of re-reading zod's definitions per frame. Both are derived from the
 * schemas, so there is nothing to keep in step by hand; test/unit/protocol/compiled-parse.test.ts holds them
 * against the runtime schemas on generated and mutated frames.
 */
import { z } from 'zod';
import { measureValue, type PassThroughLimits } from './frame-limits.js';

/** True when a field the schema does not name is beyond the bounds (findOversizePassThrough words where). */
type Oversize = (value: unknown, limits: PassThroughLimits) => boolean;

interface ZodDefLike {
  readonly type: string;
  readonly innerType?: z.ZodType;
  readonly element?: z.ZodType;
  readonly shape?: Readonly<Record<string, z.ZodType>>;
}

const defOf = (schema: z.ZodType): ZodDefLike => (schema as unknown as { _zod: { def: ZodDefLike } })._zod.def;

/** measureValue's verdict, without its stack, for the scalars most unknown fields are. */
function unknownOversize(item: unknown, limits: PassThroughLimits): boolean {
  if (typeof item === 'number') return 8 > limits.maxBytes;
  if (typeof item === 'string') return item.length + 2 > limits.maxBytes;
  return !measureValue(item, limits.maxDepth, limits.maxBytes).within;
}

/**
 * The same walk as frame-limits.ts `walkPassThrough`, decided once per schema node: null where nothing
 * below can hold an unknown field (scalars, arrays of scalars), so a frame's scalars cost one typeof.
 */
function oversizeWalker(schema: z.ZodType): Oversize | null {
  const def = defOf(schema);
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'default': {
      const inner = def.innerType === undefined ? null : oversizeWalker(def.innerType);
      if (inner === null) return null;
      return (value, limits) => value !== undefined && value !== null && inner(value, limits);
    }
    case 'array': {
      if (def.element === undefined || defOf(def.element).type !== 'object') return null;
      const element = oversizeWalker(def.element);
      if (element === null) return null;
      return (value, limits) => {
        if (!Array.isArray(value)) return false;
        for (let i = 0; i < value.length; i++) if (element(value[i], limits)) return true;
        return false;
      };
    }
    case 'object': {
      if (def.shape === undefined) return null;
      const shape = def.shape;
      const known = new Set(Object.keys(shape));
      const children = new Map<string, Oversize>();
      for (const key of known) {
        const child = oversizeWalker(shape[key]!);
        if (child !== null) children.set(key, child);
      }
      return (value, limits) => {
        if (typeof value !== 'object' || value === null) return false;
        const record = value as Record<string, unknown>;
        for (const key in record) {
          const item = record[key];
          if (!known.has(key)) {
            if (unknownOversize(item, limits)) return true;
          } else if (typeof item === 'object' && item !== null) {
            const child = children.get(key);
            if (child !== undefined && child(item, limits)) return true;
          }
        }
        return false;
      };
    }
    default:
      return null;
  }
}

export interface CompiledSchema {
  /** zod's compiled clone: the same answers as the schema, the runtime's issues when it refuses. */
  readonly schema: z.ZodType;
  readonly oversize: Oversize | null;
}

export function compileSchema(schema: z.ZodType): CompiledSchema {
  return { schema: z.compile(schema), oversize: oversizeWalker(schema) };
}

/**
 * Compiled on first use, per message type: generating the code costs milliseconds per schema, which only
 * the hub's front should pay, and only for the types it sees (a browser bundle importing parse.ts pays none).
 */
export function compiledTable(schemas: Readonly<Record<string, z.ZodType>>): (type: string) => CompiledSchema | undefined {
  const compiled = new Map<string, CompiledSchema>();
  return (type) => {
    let entry = compiled.get(type);
    if (entry === undefined) {
      const schema = Object.hasOwn(schemas, type) ? schemas[type] : undefined;
      if (schema === undefined) return undefined;
      entry = compileSchema(schema);
      compiled.set(type, entry);
    }
    return entry;
  };
}
