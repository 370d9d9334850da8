/**
 * A single-producer single-consumer ring of UTF-8 strings over a SharedArrayBuffer: the seam issue 16 names as
 * the alternative to MessagePort (no structured clone, no port machinery — the consumer is woken through
 * Atomics.notify / Atomics.waitAsync). Counters are free-running int32s (capacity a power of two, so
 * `counter & mask` is the position and `(head − tail) >>> 0` the bytes in use across wrap-around).
 */

const HEAD = 0;
const TAIL = 1;
/** Bumped after every push: what a consumer waits on. */
const SIGNAL = 2;
const HEADER_BYTES = 16;
/** Record length meaning "the rest of the buffer is unused, go to 0". */
const SKIP = -1;

const align4 = (n: number) => (n + 3) & ~3;

type WaitAsyncResult =
  | { readonly async: false; readonly value: 'not-equal' | 'timed-out' }
  | { readonly async: true; readonly value: Promise<'ok' | 'timed-out'> };
/** Node 20 has Atomics.waitAsync (V8 8.7+); TypeScript's ES2023 lib does not declare it yet. */
const waitAsync = (Atomics as unknown as { waitAsync(a: Int32Array, i: number, v: number): WaitAsyncResult }).waitAsync;

export class ByteRing {
  readonly capacity: number;
  private readonly header: Int32Array;
  private readonly words: Int32Array;
  private readonly bytes: Buffer;
  private readonly mask: number;

  /** A fresh buffer for a ring of `capacity` bytes (a power of two ≥ 64). */
  static allocate(capacity: number): SharedArrayBuffer {
    if (capacity < 64 || (capacity & (capacity - 1)) !== 0 || capacity > 1 << 30)
      throw new Error(`ring capacity must be a power of two in [64, 2^30], not ${capacity}`);
    return new SharedArrayBuffer(HEADER_BYTES + capacity);
  }

  constructor(readonly buffer: SharedArrayBuffer) {
    this.capacity = buffer.byteLength - HEADER_BYTES;
    this.mask = this.capacity - 1;
    this.header = new Int32Array(buffer, 0, HEADER_BYTES / 4);
    this.words = new Int32Array(buffer, HEADER_BYTES, this.capacity / 4);
    this.bytes = Buffer.from(buffer, HEADER_BYTES, this.capacity);
  }

  /**
   * Append `text`; false when it does not fit (the caller decides: the floor throws, a product seam would close).
   * Room is reserved for the worst case (3 bytes per UTF-16 unit) so the string is encoded once, in place.
   */
  push(text: string): boolean {
    const worst = 4 + align4(text.length * 3);
    if (worst > this.capacity / 2) return false;
    let head = Atomics.load(this.header, HEAD);
    const tail = Atomics.load(this.header, TAIL);
    const free = this.capacity - ((head - tail) >>> 0);
    let pos = head & this.mask;
    const toEnd = this.capacity - pos;
    if (toEnd < worst) {
      if (free < toEnd + worst) return false;
      this.words[pos >> 2] = SKIP;
      head = (head + toEnd) | 0;
      pos = 0;
    } else if (free < worst) return false;
    const n = this.bytes.write(text, pos + 4, worst - 4, 'utf8');
    this.words[pos >> 2] = n;
    Atomics.store(this.header, HEAD, (head + 4 + align4(n)) | 0);
    Atomics.add(this.header, SIGNAL, 1);
    Atomics.notify(this.header, SIGNAL);
    return true;
  }

  /** The oldest string, or null when the ring is empty. */
  pop(): string | null {
    let tail = Atomics.load(this.header, TAIL);
    if (tail === Atomics.load(this.header, HEAD)) return null;
    let pos = tail & this.mask;
    let n = this.words[pos >> 2]!;
    if (n === SKIP) {
      tail = (tail + this.capacity - pos) | 0;
      pos = 0;
      n = this.words[0]!;
    }
    const text = this.bytes.toString('utf8', pos + 4, pos + 4 + n);
    Atomics.store(this.header, TAIL, (tail + 4 + align4(n)) | 0);
    return text;
  }

  /** Bytes in use now (for tests and a full-ring message). */
  used(): number {
    return (Atomics.load(this.header, HEAD) - Atomics.load(this.header, TAIL)) >>> 0;
  }

  /**
   * Hand every string to `onText` as it arrives, on this thread's event loop: drain, then Atomics.waitAsync on
   * the signal (the value read before draining, so a push in between returns at once instead of being missed).
   */
  listen(onText: (text: string) => void): void {
    const turn = (): void => {
      for (;;) {
        const seen = Atomics.load(this.header, SIGNAL);
        for (let text = this.pop(); text !== null; text = this.pop()) onText(text);
        const wait = waitAsync(this.header, SIGNAL, seen);
        if (wait.async) {
          void wait.value.then(turn);
          return;
        }
      }
    };
    turn();
  }

  /**
   * Block this thread on the ring for good (Atomics.wait, a futex; the event loop never turns again): each string
   * to `onText`, `onBatch` after a drain that found any, `onIdle` before going to sleep.
   */
  serve(onText: (text: string) => void, onBatch: () => void, onIdle: () => void): never {
    for (;;) {
      const seen = Atomics.load(this.header, SIGNAL);
      let got = 0;
      for (let text = this.pop(); text !== null; text = this.pop()) {
        onText(text);
        got += 1;
      }
      if (got > 0) {
        onBatch();
        continue;
      }
      onIdle();
      Atomics.wait(this.header, SIGNAL, seen);
    }
  }
}
