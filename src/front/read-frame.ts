/**
 * One inbound terminal frame from bytes to a validated message, with no side effects: before AUTH_OK only
 * its length is looked at and only AUTH is parsed; after, the frame kind, the decode limits and the
 * schemas. A refusal names the error code and, where the frame could be read, its ref.
 */
import { frameKindError } from '../protocol/codec.js';
import type { ErrorCode } from '../protocol/errors.js';
import { parseTerminalMessage, refOf } from '../protocol/parse.js';
import type { TerminalMessage } from '../protocol/terminal-messages.js';
import type { InboundLimits } from './inbound-limits.js';
import type { Session } from './session.js';

export type FrameRead =
  | { readonly ok: true; readonly msg: TerminalMessage }
  | { readonly ok: false; readonly code: ErrorCode; readonly message: string; readonly ref: ReturnType<typeof refOf> };

export function readFrame(session: Session, data: ArrayBuffer, isBinary: boolean, limits: InboundLimits): FrameRead {
  const preAuth = session.phase === 'awaiting_auth' || session.phase === 'authenticating';
  // Before AUTH_OK only the length is looked at: a stranger's big frame is never decoded.
  if (preAuth && data.byteLength > limits.preAuthMaxBytes) {
    return {
      ok: false,
      code: 'PREAUTH_FRAME_TOO_LARGE',
      message: `before AUTH_OK a frame may take ${limits.preAuthMaxBytes} bytes; send AUTH first`,
      ref: undefined,
    };
  }
  const wrongKind = frameKindError(session.codec, isBinary);
  if (wrongKind !== null) return { ok: false, code: wrongKind.code, message: wrongKind.message, ref: undefined };
  const decoded = session.codec.decode(data, limits.frame);
  if (!decoded.ok) return { ok: false, code: decoded.error.code, message: decoded.error.message, ref: undefined };
  if (preAuth && (decoded.value as { type?: unknown } | null)?.type !== 'AUTH') {
    return { ok: false, code: 'NOT_AUTHENTICATED', message: 'send AUTH first', ref: refOf(decoded.value) };
  }
  const parsed = parseTerminalMessage(decoded.value, limits.passThrough);
  if (!parsed.ok)
    return { ok: false, code: parsed.error.code, message: parsed.error.message, ref: refOf(decoded.value) };
  return { ok: true, msg: parsed.value };
}
