/**
 * A user-space TCP proxy for one link of the failover cluster (this machine has neither netem nor iptables):
 * the peers dial the proxy's address, it dials the real one, and the link can be cut — new connections hang
 * as an unanswered SYN does, and open ones either stall (`stall`: bytes stop, nothing is reset; but the
 * proxy's own kernel still acknowledges, so TCP keepalives and retransmission timeouts never fire as they
 * would on a pulled cable) or are reset (`reset`: what those timeouts end in, without the wait) — or degraded
 * (delay with jitter, and "loss" as TCP shows it to the application: now and then a chunk, and everything
 * behind it, arrives late as after a retransmission; a stream proxy cannot drop bytes without corrupting it).
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export interface Degradation {
  /** One-way delay added to every chunk. */
  readonly delayMs: number;
  /** Uniform extra delay 0..jitterMs (order is kept: a chunk never overtakes the one before it). */
  readonly jitterMs: number;
  /** Chance that a chunk is held back as a lost segment would be, until its retransmission. */
  readonly lossRate: number;
  /** How long a "lost" chunk is held: TCP's minimum retransmission timeout is 200 ms. */
  readonly retransmitMs: number;
}

export type LinkMode =
  | { readonly kind: 'open' }
  | { readonly kind: 'cut'; readonly existing: 'stall' | 'reset' }
  | { readonly kind: 'degraded'; readonly how: Degradation };

export interface LinkSpec {
  readonly name: string;
  readonly listen: { readonly host: string; readonly port: number };
  readonly target: { readonly host: string; readonly port: number };
}

interface Pair {
  readonly client: Socket;
  readonly upstream: Socket | null;
}

/** Bytes forwarded per direction are capped by the sockets' own buffers: a slow side pauses the other. */
export class LinkProxy {
  private readonly server: Server;
  private readonly pairs = new Set<Pair>();
  private mode: LinkMode = { kind: 'open' };
  /** The random source is injected so a run can be replayed (and tests need no Math.random). */
  constructor(
    readonly spec: LinkSpec,
    private readonly random: () => number = Math.random,
  ) {
    this.server = createServer((client) => this.accept(client));
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.spec.listen.port, this.spec.listen.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
  }

  get port(): number {
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error(`${this.spec.name}: not listening`);
    return address.port;
  }

  /** Cut: open connections stall or are reset; healed (open or degraded): stalled ones are reset, as a peer finds after a long silence. */
  set(mode: LinkMode): void {
    const wasCut = this.mode.kind === 'cut';
    this.mode = mode;
    const resetNow = (wasCut && mode.kind !== 'cut') || (mode.kind === 'cut' && mode.existing === 'reset');
    if (resetNow) for (const pair of [...this.pairs]) this.close(pair);
  }

  get current(): LinkMode {
    return this.mode;
  }

  async stop(): Promise<void> {
    for (const pair of [...this.pairs]) this.close(pair);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    client.on('error', () => undefined);
    if (this.mode.kind === 'cut') {
      // The SYN of a cut cable is never answered; accepted here, so the peer's connect or startup times out.
      const pair: Pair = { client, upstream: null };
      this.pairs.add(pair);
      client.on('close', () => this.pairs.delete(pair));
      client.on('data', () => undefined);
      return;
    }
    const upstream = createConnection({ host: this.spec.target.host, port: this.spec.target.port });
    upstream.on('error', () => undefined);
    const pair: Pair = { client, upstream };
    this.pairs.add(pair);
    this.forward(client, upstream);
    this.forward(upstream, client);
    const end = (): void => this.close(pair);
    client.on('close', end);
    upstream.on('close', end);
  }

  private close(pair: Pair): void {
    if (!this.pairs.delete(pair)) return;
    pair.client.destroy();
    pair.upstream?.destroy();
  }

  /**
   * from → to, delayed per the mode in force when each chunk arrives; dropped while cut. The delayed chunks
   * leave from one FIFO queue on one timer: a timer per chunk let them overtake each other (Node orders
   * timers by the loop's cached time, stale by a few ms on a busy loop), corrupting the byte stream — a
   * replication link or a hub's connection then hung, which no real network does (TCP keeps order).
   */
  private forward(from: Socket, to: Socket): void {
    let due = 0;
    const queue: { at: number; chunk: Buffer }[] = [];
    let timer: NodeJS.Timeout | null = null;
    let ended = false;
    const pump = (): void => {
      timer = null;
      const now = performance.now();
      while (queue.length > 0 && (queue[0]?.at ?? Infinity) <= now) {
        const { chunk } = queue.shift() as { at: number; chunk: Buffer };
        if (this.mode.kind === 'cut' || to.destroyed) continue;
        if (!to.write(chunk)) from.pause();
      }
      const head = queue[0];
      if (head !== undefined) timer = setTimeout(pump, Math.max(1, head.at - now));
      else if (ended) to.end();
    };
    from.on('data', (chunk: Buffer) => {
      const mode = this.mode;
      if (mode.kind === 'cut') return;
      if (mode.kind === 'open' && queue.length === 0) {
        if (!to.write(chunk)) from.pause();
        return;
      }
      const how = mode.kind === 'degraded' ? mode.how : { delayMs: 0, jitterMs: 0, lossRate: 0, retransmitMs: 0 };
      const now = performance.now();
      const lost = this.random() < how.lossRate ? how.retransmitMs : 0;
      due = Math.max(due, now + how.delayMs + this.random() * how.jitterMs + lost);
      queue.push({ at: due, chunk });
      if (timer === null) timer = setTimeout(pump, Math.max(1, (queue[0]?.at ?? due) - now));
    });
    to.on('drain', () => from.resume());
    from.on('end', () => {
      // Half-close after whatever is still queued.
      ended = true;
      if (queue.length === 0) to.end();
    });
  }
}
