/**
 * Typed parse helpers: unknown value in, a result out — never a throw, whatever the input.
 * The reference's names are kept (parseTerminalMessage, parseHubMessage, parseProtocolMessage).
 */
import type { z } from 'zod';
import type { ErrorCode } from './errors.js';
import { compiledTable, type CompiledSchema } from './compiled-schemas.js';
import { findOversizePassThrough, type FrameLimitCode, type PassThroughLimits } from './frame-limits.js';
import { hubMessageSchemas, type HubMessage } from './hub-messages.js';
import { terminalMessageSchemas, type TerminalMessage } from './terminal-messages.js';

export type ProtocolErrorCode = Extract<ErrorCode, 'BAD_JSON' | 'BAD_FRAME' | 'UNKNOWN_TYPE' | 'INVALID_MESSAGE' | 'PASSTHROUGH_TOO_LARGE'> | FrameLimitCode;

export interface ProtocolError {
  readonly code: ProtocolErrorCode;
  readonly message: string;
  /** The offending frame's `type`, when it had a readable one. */
  readonly type?: string;
}

export type ParseResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: ProtocolError };

/** What an ERROR reply echoes so the terminal can match it to the frame it sent. */
export interface MessageRef {
  type?: string;
  posReference?: string;
  tableId?: number;
  mutationId?: string;
}

const MAX_ISSUES_IN_MESSAGE = 5;

function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  const shown = issues.slice(0, MAX_ISSUES_IN_MESSAGE).map((issue) => {
    const path = issue.path.length === 0 ? '(root)' : issue.path.map(String).join('.');
    return `${path}: ${issue.message}`;
  });
  const more = issues.length > MAX_ISSUES_IN_MESSAGE ? `; and ${issues.length - MAX_ISSUES_IN_MESSAGE} more` : '';
  return shown.join('; ') + more;
}

/** A message type's schema; with `oversize`, the walker that answers for the pass-through bounds first. */
type SchemaOf = (type: string) => Pick<CompiledSchema, 'schema'> & Partial<Pick<CompiledSchema, 'oversize'>> | undefined;

function parseWith<T>(schemaOf: SchemaOf, value: unknown, direction: string, passThrough?: PassThroughLimits): ParseResult<T> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, error: { code: 'INVALID_MESSAGE', message: 'a message must be a JSON object with a "type" field' } };
  }
  const type: unknown = (value as { type?: unknown }).type;
  if (typeof type !== 'string') {
    return { ok: false, error: { code: 'INVALID_MESSAGE', message: 'type: expected a string' } };
  }
  const entry = schemaOf(type);
  if (entry === undefined) {
    return { ok: false, error: { code: 'UNKNOWN_TYPE', message: `unknown ${direction} message type "${type.slice(0, 64)}"`, type: type.slice(0, 64) } };
  }
  const parsed = entry.schema.safeParse(value);
  if (!parsed.success) {
    return { ok: false, error: { code: 'INVALID_MESSAGE', message: `${type}: ${formatIssues(parsed.error.issues)}`, type } };
  }
  // The compiled walker clears the common case; the schema walk finds the offender's path to word the error.
  if (passThrough !== undefined && (entry.oversize === undefined || (entry.oversize !== null && entry.oversize(parsed.data, passThrough)))) {
    const path = findOversizePassThrough(entry.schema, parsed.data, passThrough);
    if (path !== null) {
      const message = `${type}: ${path.slice(0, 200)}: a field the hub does not know may nest ${passThrough.maxDepth} levels and take ${passThrough.maxBytes} bytes`;
      return { ok: false, error: { code: 'PASSTHROUGH_TOO_LARGE', message, type } };
    }
  }
  return { ok: true, value: parsed.data as T };
}

const terminalSchemaOf: SchemaOf = compiledTable(terminalMessageSchemas);
const hubSchemaOf: SchemaOf = (type) => (Object.hasOwn(hubMessageSchemas, type) ? { schema: hubMessageSchemas[type as keyof typeof hubMessageSchemas] } : undefined);

/**
 * With `passThrough` (the hub), fields the schemas do not name are bounded too. Terminal messages are
 * checked by zod's compiled code (compiled-schemas.ts): the hub's hot path, the same answers and wording.
 * Hub messages, read by the SDK in browsers whose CSP forbids generated code, use the runtime schemas.
 */
export function parseTerminalMessage(value: unknown, passThrough?: PassThroughLimits): ParseResult<TerminalMessage> {
  return parseWith<TerminalMessage>(terminalSchemaOf, value, 'terminal→hub', passThrough);
}

export function parseHubMessage(value: unknown): ParseResult<HubMessage> {
  return parseWith<HubMessage>(hubSchemaOf, value, 'hub→terminal');
}

export type ProtocolMessage = { direction: 'terminal'; message: TerminalMessage } | { direction: 'hub'; message: HubMessage };

/** Either direction, for tools that read a captured stream (the CLI, tests). */
export function parseProtocolMessage(value: unknown): ParseResult<ProtocolMessage> {
  const asTerminal = parseTerminalMessage(value);
  if (asTerminal.ok) return { ok: true, value: { direction: 'terminal', message: asTerminal.value } };
  const asHub = parseHubMessage(value);
  if (asHub.ok) return { ok: true, value: { direction: 'hub', message: asHub.value } };
  return asTerminal.error.code === 'UNKNOWN_TYPE' ? asHub : asTerminal;
}

/** Best-effort identifiers of a (possibly invalid) frame, for the `ref` of an ERROR reply. */
export function refOf(value: unknown): MessageRef | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const ref: MessageRef = {};
  if (typeof v.type === 'string') ref.type = v.type.slice(0, 64);
  if (typeof v.posReference === 'string') ref.posReference = v.posReference.slice(0, 128);
  if (typeof v.tableId === 'number' && Number.isFinite(v.tableId)) ref.tableId = v.tableId;
  if (typeof v.mutationId === 'string') ref.mutationId = v.mutationId.slice(0, 64);
  return Object.keys(ref).length === 0 ? undefined : ref;
}
