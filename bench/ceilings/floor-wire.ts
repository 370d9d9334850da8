/**
 * What crosses each thread of the pipeline floor (pipeline-floor.ts), in each seam: the same three messages
 * as object graphs (`clone`, MessagePort's structured clone, as the hub posts today) or as text (`text`,
 * `bytes`, `sab`), where the front forwards the frame's own text and only the thread that needs the object
 * parses it. Kept apart from the transports so every thread encodes and decodes the same way.
 */

/**
 * How a message crosses a thread: structured clone, a string, a transferred ArrayBuffer, a SharedArrayBuffer ring
 * (every receiver on its event loop through Atomics.waitAsync; `sab-block`: the workers blocked in Atomics.wait
 * instead, no event loop at all — the cheapest wake-up there is, and one a product worker with timers cannot use).
 */
export type Seam = 'clone' | 'text' | 'bytes' | 'sab' | 'sab-block';
/** Which threads a write crosses: front → shard → writer → front, and the floors without one or both workers. */
export type Topology = 'full' | 'no-shard' | 'no-writer' | 'one-thread';

export interface FloorVariant {
  readonly topology: Topology;
  readonly seam: Seam;
}

export const SEAMS: readonly Seam[] = ['clone', 'text', 'bytes', 'sab', 'sab-block'];
export const TOPOLOGIES: readonly Topology[] = ['full', 'no-shard', 'no-writer', 'one-thread'];

export const variantLabel = (v: FloorVariant): string => `${v.topology}/${v.seam}`;

/** A decoded ORDER_SNAPSHOT on its way to the table's thread. */
export interface FloorInput {
  readonly terminalId: string;
  readonly tableId: number;
  readonly msg: Record<string, unknown>;
  /** The frame as it came off the socket (byte seams forward it instead of re-encoding the object). */
  readonly frameText: string;
}

/** A write on its way to the commit: what the committer stores and answers with. */
export interface FloorWrite {
  readonly terminalId: string;
  readonly tableId: number;
  readonly posReference: string;
  readonly mutationId: string;
  readonly version: number;
  readonly snapshot: unknown;
}

/** One committed write with its two frames, encoded by the committer. */
export interface FloorDone {
  readonly terminalId: string;
  readonly tableId: number;
  readonly ack: string;
  readonly updated: string;
}

// JSON text never holds a raw newline and terminal ids are `t<n>`, so '\n' separates the fields.
const SEP = '\n';

function fields(text: string, count: number): string[] {
  const out: string[] = [];
  let at = 0;
  for (let i = 0; i < count; i += 1) {
    const end = text.indexOf(SEP, at);
    if (end === -1) throw new Error(`floor wire: ${count} fields expected`);
    out.push(text.slice(at, end));
    at = end + 1;
  }
  out.push(text.slice(at));
  return out;
}

export function inputOut(seam: Seam, input: FloorInput): unknown {
  if (seam === 'clone') return { terminalId: input.terminalId, tableId: input.tableId, msg: input.msg };
  return `${input.terminalId}${SEP}${input.tableId}${SEP}${input.frameText}`;
}

export function inputIn(seam: Seam, wire: unknown): FloorInput {
  if (seam === 'clone') {
    const w = wire as { terminalId: string; tableId: number; msg: Record<string, unknown> };
    return { ...w, frameText: '' };
  }
  const [terminalId, tableId, frameText] = fields(wire as string, 2) as [string, string, string];
  return {
    terminalId,
    tableId: Number(tableId),
    msg: JSON.parse(frameText) as Record<string, unknown>,
    frameText,
  };
}

/** The write a table's thread makes of an input once it has given the order its next version. */
export function toWrite(input: FloorInput, version: number): FloorWrite {
  return {
    terminalId: input.terminalId,
    tableId: input.tableId,
    posReference: String(input.msg.posReference),
    mutationId: String(input.msg.mutationId),
    version,
    snapshot: input.msg.snapshot,
  };
}

/** Byte seams forward the frame text and the version; the committer parses the frame again. */
export function writeOut(seam: Seam, input: FloorInput, version: number): unknown {
  if (seam === 'clone') return toWrite(input, version);
  return `${input.terminalId}${SEP}${input.tableId}${SEP}${version}${SEP}${input.frameText}`;
}

export function writeIn(seam: Seam, wire: unknown): FloorWrite {
  if (seam === 'clone') return wire as FloorWrite;
  const [terminalId, tableId, version, frameText] = fields(wire as string, 3) as [string, string, string, string];
  const msg = JSON.parse(frameText) as Record<string, unknown>;
  return toWrite({ terminalId, tableId: Number(tableId), msg, frameText }, Number(version));
}

export function doneOut(seam: Seam, done: readonly FloorDone[]): unknown {
  if (seam === 'clone') return done;
  return done.map((d) => `${d.terminalId}${SEP}${d.tableId}${SEP}${d.ack}${SEP}${d.updated}`).join(SEP);
}

export function doneIn(seam: Seam, wire: unknown): FloorDone[] {
  if (seam === 'clone') return wire as FloorDone[];
  const parts = (wire as string).split(SEP);
  const out: FloorDone[] = [];
  for (let i = 0; i + 3 < parts.length; i += 4)
    out.push({ terminalId: parts[i]!, tableId: Number(parts[i + 1]), ack: parts[i + 2]!, updated: parts[i + 3]! });
  return out;
}

/** The next version of each order, held by whichever thread plays the table actor. */
export class Versions {
  private readonly byRef = new Map<string, number>();

  next(posReference: string): number {
    const v = (this.byRef.get(posReference) ?? 0) + 1;
    this.byRef.set(posReference, v);
    return v;
  }
}
