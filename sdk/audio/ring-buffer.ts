/**
 * FIFO of s16 samples over one circular Int16Array. Writing copies in; it grows (doubling) only
 * when full, up to `maxSamples`, so steady streaming reuses the same memory.
 */
export class SampleRing {
  #buf: Int16Array;
  #head = 0;
  #length = 0;

  constructor(
    initialSamples = 16_384,
    readonly maxSamples = Number.POSITIVE_INFINITY,
  ) {
    this.#buf = new Int16Array(Math.max(16, initialSamples));
  }

  get length(): number {
    return this.#length;
  }

  /** Bytes currently reserved (for memory accounting). */
  get capacityBytes(): number {
    return this.#buf.byteLength;
  }

  /** Room left before `maxSamples`. */
  get free(): number {
    return this.maxSamples - this.#length;
  }

  /** Copies samples in; returns false (writing nothing) when they would pass maxSamples. */
  write(samples: Int16Array): boolean {
    if (!this.#reserve(samples.length)) return false;
    const cap = this.#buf.length;
    const tail = (this.#head + this.#length) % cap;
    const first = Math.min(samples.length, cap - tail);
    this.#buf.set(samples.subarray(0, first), tail);
    if (first < samples.length) this.#buf.set(samples.subarray(first), 0);
    this.#length += samples.length;
    return true;
  }

  /** Appends `count` zero samples. */
  writeSilence(count: number): boolean {
    if (!this.#reserve(count)) return false;
    const cap = this.#buf.length;
    const tail = (this.#head + this.#length) % cap;
    const first = Math.min(count, cap - tail);
    this.#buf.fill(0, tail, tail + first);
    if (first < count) this.#buf.fill(0, 0, count - first);
    this.#length += count;
    return true;
  }

  /** Moves the oldest `count` samples into `target` at `offset` (count <= length). */
  readInto(target: Int16Array, offset: number, count: number): void {
    if (count > this.#length) throw new RangeError(`read of ${count} samples from a ring holding ${this.#length}`);
    const cap = this.#buf.length;
    const first = Math.min(count, cap - this.#head);
    target.set(this.#buf.subarray(this.#head, this.#head + first), offset);
    if (first < count) target.set(this.#buf.subarray(0, count - first), offset + first);
    this.#head = (this.#head + count) % cap;
    this.#length -= count;
  }

  read(count: number): Int16Array {
    const out = new Int16Array(count);
    this.readInto(out, 0, count);
    return out;
  }

  clear(): void {
    this.#head = 0;
    this.#length = 0;
  }

  #reserve(count: number): boolean {
    const needed = this.#length + count;
    if (needed > this.maxSamples) return false;
    if (needed <= this.#buf.length) return true;
    let cap = this.#buf.length;
    while (cap < needed) cap *= 2;
    const bigger = new Int16Array(cap);
    const old = this.#buf;
    const first = Math.min(this.#length, old.length - this.#head);
    bigger.set(old.subarray(this.#head, this.#head + first), 0);
    if (first < this.#length) bigger.set(old.subarray(0, this.#length - first), first);
    this.#buf = bigger;
    this.#head = 0;
    return true;
  }
}
