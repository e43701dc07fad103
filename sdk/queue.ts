/**
 * The background flusher of one session: a bounded in-memory queue of events, cut into fragments
 * (seq 0, 1, 2, ...) by count, bytes and time, each delivered with the transport's retry rules.
 * A fragment's body is fixed when it is built, so every retry repeats it byte for byte
 * (the Worker's idempotent seq makes repeats harmless).
 */
import { DEFAULTS } from "./defaults.ts";
import { ApiError, QueueOverflowError, SdkError } from "./errors.ts";
import { gzip } from "./internal/gzip.ts";
import { sleep } from "./internal/sleep.ts";
import { textEncoder } from "./internal/validate.ts";
import { LIMITS } from "./wire/limits.ts";
import type { DeferUpload, Mode, SessionEvent } from "./wire/types.ts";
import type { RedactionRules } from "./redact.ts";
import type { Transport } from "./transport.ts";
import type { SdkFacts } from "./internal/runtime-facts.ts";

export interface QueueOptions {
  /** Events per fragment (default 200, at most LIMITS.eventsPerFragment). */
  maxBatchEvents: number;
  /** Approximate bytes of events per fragment (default 256 KiB). */
  maxBatchBytes: number;
  /** How long an event may wait before its fragment is sent (default 1000 ms). */
  flushIntervalMs: number;
  /** Bound on queued, unacknowledged bytes (default 8 MiB); logs are evicted first on overflow. */
  maxQueueBytes: number;
  /** gzip fragments when it makes them at least 10% smaller (default true). */
  compression: boolean;
  /** Fragments in flight at once (default 2). */
  maxConcurrentRequests: number;
  /** Pause after the transport gave up on a fragment before trying it again (default 2000 ms). */
  redeliveryPauseMs: number;
}

export const DEFAULT_QUEUE: QueueOptions = {
  maxBatchEvents: 200,
  maxBatchBytes: 256 * 1024,
  flushIntervalMs: DEFAULTS.flushIntervalMs,
  maxQueueBytes: 8 * 1024 * 1024,
  compression: true,
  maxConcurrentRequests: 2,
  redeliveryPauseMs: DEFAULTS.redeliveryPauseMs,
};

/** Fields every fragment of a session carries besides seq/sentAt/events. */
export interface FragmentHeader {
  agentId: number;
  mode: Mode;
  deferUpload?: DeferUpload;
  callStartedAt?: string;
  /** The SDK's name, version and runtime; the Worker reads it when it first sees the session. */
  sdk?: SdkFacts;
  /** The session's redaction rules, for the Worker to apply too (sdk/redact.ts). */
  redact?: RedactionRules;
}

interface Pending {
  event: SessionEvent;
  bytes: number;
}

interface Built {
  seq: number;
  events: number;
  raw: Uint8Array;
  body?: { bytes: Uint8Array; gzip: boolean };
  started: boolean;
  settled: Promise<void>;
  settle: () => void;
}

const COMPRESS_MIN_BYTES = 1024;

export class EventQueue {
  #pending: Pending[] = [];
  #pendingBytes = 0;
  #unsent: Built[] = [];
  #unsentBytes = 0;
  #nextSeq = 0;
  #inFlight = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #soon = false;
  #dropped = false;
  #stop = new AbortController();
  #overflow: { logs: number; other: number } | undefined;
  #attempted = false;
  /** Fragments and events the Worker acknowledged; events dropped (overflow, 4xx refusal, abort). */
  readonly counts = { fragments: 0, events: 0, dropped: 0 };

  constructor(
    readonly options: QueueOptions,
    readonly header: FragmentHeader,
    readonly path: string,
    readonly transport: Transport,
    readonly report: (error: SdkError) => void,
    /** Applied to each event as it is recorded (redaction: chosen data never leaves the process). */
    readonly transform?: (event: SessionEvent) => SessionEvent,
  ) {}

  /** Seq of the last fragment built; -1 before the first. */
  get lastSeq(): number {
    return this.#nextSeq - 1;
  }

  /** Whether any fragment has been handed to fetch (so the Worker may know the session). */
  get attempted(): boolean {
    return this.#attempted;
  }

  /** Bytes held: events not yet in a fragment plus fragments not yet acknowledged. */
  get queuedBytes(): number {
    return this.#pendingBytes + this.#unsentBytes;
  }

  get pendingEvents(): number {
    return this.#pending.length;
  }

  /** Synchronous, O(1) in the common case: append and make sure a flush is scheduled. */
  push(event: SessionEvent, bytes: number): void {
    if (this.#dropped) return;
    if (this.transform) event = this.transform(event);
    if (this.queuedBytes + bytes > this.options.maxQueueBytes && !this.#makeRoom(event, bytes)) return;
    this.#pending.push({ event, bytes });
    this.#pendingBytes += bytes;
    if (this.#pending.length >= this.options.maxBatchEvents || this.#pendingBytes >= this.options.maxBatchBytes) {
      this.#schedule(0);
    } else if (this.#timer === undefined) {
      this.#schedule(this.options.flushIntervalMs);
    }
  }

  /** Resolves once every event pushed so far is acknowledged by the Worker, or reported as dropped. */
  async flush(): Promise<void> {
    this.#buildAll();
    const waiting = this.#unsent.map((f) => f.settled);
    this.#pump();
    await Promise.all(waiting);
  }

  /** Drops everything queued and stops retries (abort()). */
  drop(): void {
    this.#dropped = true;
    this.#clearTimer();
    this.counts.dropped += this.#pending.length + this.#unsent.reduce((n, f) => n + f.events, 0);
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#stop.abort();
    for (const f of this.#unsent) f.settle();
    this.#unsent = [];
    this.#unsentBytes = 0;
  }

  /** Stops the timer (after close); queued fragments still finish. */
  dispose(): void {
    this.#clearTimer();
  }

  #makeRoom(event: SessionEvent, bytes: number): boolean {
    const counts = (this.#overflow ??= { logs: 0, other: 0 });
    const before = kinds(counts);
    let fits = false;
    if (event.kind !== "log") {
      // Evict queued logs, oldest first, until the new event fits.
      const kept: Pending[] = [];
      let freed = 0;
      const need = this.queuedBytes + bytes - this.options.maxQueueBytes;
      for (const p of this.#pending) {
        if (freed < need && p.event.kind === "log") {
          freed += p.bytes;
          counts.logs++;
        } else kept.push(p);
      }
      this.#pending = kept;
      this.#pendingBytes -= freed;
      fits = this.queuedBytes + bytes <= this.options.maxQueueBytes;
    }
    if (!fits) {
      if (event.kind === "log") counts.logs++;
      else counts.other++;
    }
    this.counts.dropped += kinds(counts) - before;
    // Report once per overflow episode; the counts keep growing until the queue drains.
    if (counts.logs + counts.other > 0 && !this.#overflowReported) {
      this.#overflowReported = true;
      queueMicrotask(() => this.#reportOverflow());
    }
    return fits;
  }

  #overflowReported = false;

  #reportOverflow(): void {
    const counts = this.#overflow ?? { logs: 0, other: 0 };
    this.report(
      new QueueOverflowError(
        `the SDK queue is full (maxQueueBytes ${this.options.maxQueueBytes}): dropped ${counts.logs} log event(s) and ${counts.other} other event(s); logs are evicted first`,
        { ...counts },
      ),
    );
  }

  #schedule(ms: number): void {
    if (ms === 0) {
      if (this.#soon) return;
      // Clear first: #clearTimer() also resets #soon, and a full batch must not re-arm a timer per event.
      this.#clearTimer();
      this.#soon = true;
    } else if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#soon = false;
      this.#buildAll();
      this.#pump();
    }, ms);
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#soon = false;
  }

  /** Cuts every pending event into fragments (seq assigned here, body fixed here). */
  #buildAll(): void {
    this.#clearTimer();
    const maxEvents = Math.min(this.options.maxBatchEvents, LIMITS.eventsPerFragment);
    while (this.#pending.length > 0) {
      let count = 0;
      let bytes = 0;
      while (count < this.#pending.length && count < maxEvents) {
        const b = this.#pending[count]!.bytes;
        if (count > 0 && bytes + b > this.options.maxBatchBytes) break;
        bytes += b;
        count++;
      }
      this.#buildFragment(this.#pending.splice(0, count));
      this.#pendingBytes -= bytes;
    }
    if (this.#pendingBytes < 0 || this.#pending.length === 0) this.#pendingBytes = 0;
  }

  #buildFragment(items: Pending[]): void {
    const raw = this.#encode(this.#nextSeq, items);
    if (raw.byteLength > LIMITS.fragmentBodyBytes && items.length > 1) {
      // Too big as one body (multi-byte text): halve it, like a 413 would make us do.
      const half = Math.ceil(items.length / 2);
      this.#buildFragment(items.slice(0, half));
      this.#buildFragment(items.slice(half));
      return;
    }
    let settle!: () => void;
    const settled = new Promise<void>((r) => (settle = r));
    const fragment: Built = { seq: this.#nextSeq++, events: items.length, raw, started: false, settled, settle };
    this.#unsent.push(fragment);
    this.#unsentBytes += raw.byteLength;
  }

  #encode(seq: number, items: Pending[]): Uint8Array {
    const { agentId, mode, deferUpload, callStartedAt, sdk, redact } = this.header;
    const body = {
      agentId,
      mode,
      seq,
      sentAt: new Date().toISOString(),
      ...(deferUpload !== undefined ? { deferUpload } : {}),
      ...(callStartedAt !== undefined ? { callStartedAt } : {}),
      ...(sdk !== undefined ? { sdk } : {}),
      ...(redact !== undefined ? { redact } : {}),
      events: items.map((p) => p.event),
    };
    return textEncoder.encode(JSON.stringify(body));
  }

  /** Starts deliveries up to the concurrency limit, lowest seq first. */
  #pump(): void {
    for (const fragment of this.#unsent) {
      if (this.#inFlight >= this.options.maxConcurrentRequests) return;
      if (fragment.started) continue;
      fragment.started = true;
      this.#inFlight++;
      void this.#deliver(fragment).finally(() => {
        this.#inFlight--;
        this.#remove(fragment);
        fragment.settle();
        this.#pump();
      });
    }
  }

  #remove(fragment: Built): void {
    const i = this.#unsent.indexOf(fragment);
    if (i >= 0) {
      this.#unsent.splice(i, 1);
      this.#unsentBytes -= fragment.raw.byteLength;
    }
    if (this.#overflow && this.queuedBytes <= this.options.maxQueueBytes / 2) {
      this.#overflow = undefined;
      this.#overflowReported = false;
    }
  }

  async #deliver(fragment: Built): Promise<void> {
    fragment.body ??= await this.#body(fragment.raw);
    const { bytes, gzip: zipped } = fragment.body;
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (zipped) headers["content-encoding"] = "gzip";
    for (;;) {
      if (this.#dropped) return;
      this.#attempted = true;
      try {
        await this.transport.send({
          method: "POST",
          path: this.path,
          body: bytes,
          headers,
          idempotencyKey: `${this.path}#${fragment.seq}`,
          signal: this.#stop.signal,
        });
        this.counts.fragments++;
        this.counts.events += fragment.events;
        return;
      } catch (error) {
        if (this.#dropped) return;
        const sdkError =
          error instanceof SdkError ? error : new SdkError("unexpected", String(error), { cause: error });
        this.report(sdkError);
        // A 4xx is final (the Worker said what was wrong); anything else is tried again later.
        if (
          sdkError instanceof ApiError &&
          sdkError.status < 500 &&
          sdkError.status !== 408 &&
          sdkError.status !== 429
        ) {
          this.counts.dropped += fragment.events;
          return;
        }
        await sleep(this.options.redeliveryPauseMs, this.#stop.signal);
      }
    }
  }

  async #body(raw: Uint8Array): Promise<{ bytes: Uint8Array; gzip: boolean }> {
    if (this.options.compression && raw.byteLength >= COMPRESS_MIN_BYTES) {
      try {
        const zipped = await gzip(raw);
        if (zipped && zipped.byteLength < raw.byteLength * 0.9) return { bytes: zipped, gzip: true };
      } catch {
        // fall back to the plain body
      }
    }
    return { bytes: raw, gzip: false };
  }
}

const kinds = (counts: { logs: number; other: number }): number => counts.logs + counts.other;
