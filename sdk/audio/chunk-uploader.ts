import { DEFAULTS } from "../defaults.ts";
import { ApiError, SdkError } from "../errors.ts";
import { sleep } from "../internal/sleep.ts";
import type { Transport } from "../transport.ts";

export interface ChunkUploaderOptions {
  transport: Transport;
  /** `/v1/sessions/<id>` */
  basePath: string;
  sampleRate: number;
  /** X-Cekura-* headers that introduce the session when a chunk is the first contact. */
  introHeaders: Record<string, string>;
  /** Chunks may wait up to this many bytes; the recorder holds back beyond it (default 16 MiB). */
  maxQueuedBytes?: number;
  report: (error: SdkError) => void;
  /** First pause before a chunk whose retries were exhausted is tried again (doubles, max 30 s; default 1000). */
  retryPauseMs?: number;
}

/**
 * Sends chunks as PUT /audio/:chunkSeq in order, one at a time, in the background, with the
 * transport's retry rules. A chunk that still fails stays first in line and is tried again later,
 * so no seq is ever skipped; a refusal (4xx) stops the audio for good.
 */
export class ChunkUploader {
  readonly #opts: ChunkUploaderOptions;
  readonly #maxQueuedBytes: number;
  readonly #queue: { seq: number; startFrame: number; bytes: Uint8Array }[] = [];
  readonly #abort = new AbortController();
  #nextSeq = 0;
  /** Where the next chunk starts in the call's timeline (stereo frames of 4 bytes). */
  #nextFrame = 0;
  #queuedBytes = 0;
  #running: Promise<void> | undefined;
  #stopped: SdkError | undefined;
  /** Bytes acknowledged by the Worker. */
  sentBytes = 0;
  sentChunks = 0;

  constructor(options: ChunkUploaderOptions) {
    this.#opts = options;
    this.#maxQueuedBytes = options.maxQueuedBytes ?? 16 * 1024 * 1024;
  }

  /** chunkSeq of the last chunk handed over (-1 when none). */
  get lastSeq(): number {
    return this.#nextSeq - 1;
  }

  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  get full(): boolean {
    return this.#queuedBytes >= this.#maxQueuedBytes;
  }

  get stopped(): boolean {
    return this.#stopped !== undefined;
  }

  enqueue(bytes: Uint8Array): void {
    if (this.#stopped) return;
    this.#queue.push({ seq: this.#nextSeq++, startFrame: this.#nextFrame, bytes });
    this.#nextFrame += bytes.byteLength / 4;
    this.#queuedBytes += bytes.byteLength;
    this.#running ??= this.#run().finally(() => (this.#running = undefined));
  }

  /** Resolves when every chunk handed over so far was acknowledged (or the audio was stopped). */
  async drain(): Promise<void> {
    while (this.#running) await this.#running;
  }

  /** Stops sending and drops what is queued. */
  stop(reason: SdkError): void {
    this.#stopped ??= reason;
    this.#queue.length = 0;
    this.#queuedBytes = 0;
    this.#abort.abort();
  }

  async #run(): Promise<void> {
    let failures = 0;
    while (this.#queue.length > 0 && !this.#stopped) {
      const chunk = this.#queue[0]!;
      try {
        await this.#opts.transport.send({
          method: "PUT",
          path: `${this.#opts.basePath}/audio/${chunk.seq}`,
          body: chunk.bytes,
          headers: {
            "content-type": "application/octet-stream",
            "x-audio-sample-rate": String(this.#opts.sampleRate),
            "x-audio-channels": "2",
            "x-audio-start-frame": String(chunk.startFrame),
            ...this.#opts.introHeaders,
          },
          signal: this.#abort.signal,
        });
        failures = 0;
        this.#queue.shift();
        this.#queuedBytes -= chunk.bytes.byteLength;
        this.sentBytes += chunk.bytes.byteLength;
        this.sentChunks++;
      } catch (error) {
        if (this.#stopped) return;
        const sdkError =
          error instanceof SdkError ? error : new SdkError("audio_upload_failed", String(error), { cause: error });
        this.#opts.report(sdkError);
        if (
          error instanceof ApiError &&
          error.status >= 400 &&
          error.status < 500 &&
          error.status !== 408 &&
          error.status !== 429
        ) {
          this.stop(sdkError);
          return;
        }
        // Retries were exhausted: wait and try the same chunk again, never skipping a seq.
        failures++;
        await sleep(
          Math.min(
            DEFAULTS.audioRetryMaxPauseMs,
            (this.#opts.retryPauseMs ?? DEFAULTS.audioRetryPauseMs) * 2 ** Math.min(failures - 1, 5),
          ),
          this.#abort.signal,
        );
      }
    }
  }
}
