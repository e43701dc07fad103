import type { Env } from "../env.ts";
import { fail, ok, type Outcome } from "../errors.ts";
import { WAV_HEADER_BYTES, wavHeader } from "../audio/wav.ts";
import type { ObjectStore, UploadedPart } from "../storage/object-store.ts";
import { mayUploadAudio } from "./consent.ts";
import type { SessionMeta } from "./meta.ts";
import type { RecordAudio } from "./record.ts";

/** R2 and S3 refuse parts under 5 MiB (except the last). */
export const MIN_PART_BYTES = 5 * 1024 * 1024;
/** Bytes of one stereo s16le frame. */
export const FRAME_BYTES = 4;
/** DO SQLite rows/values must stay under 2 MB; audio bytes are stored in rows of at most this. */
const ROW_BYTES = 1024 * 1024;
const MISSING_LIST_CAP = 1000;

/** Part size from AUDIO_PART_BYTES (default and minimum 5 MiB); a bad value fails loudly. */
export function readPartBytes(env: Env): number {
  const raw = env.AUDIO_PART_BYTES?.trim();
  if (!raw) return MIN_PART_BYTES;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < MIN_PART_BYTES) {
    throw new Error(`AUDIO_PART_BYTES must be an integer of at least ${MIN_PART_BYTES} (5 MiB), got "${raw}"`);
  }
  return n;
}

export const audioKey = (tenant: string, sessionId: string) => `audio/${tenant}/${sessionId}.wav`;

export interface AudioChunk {
  seq: number;
  sampleRate: number;
  /** Raw interleaved stereo s16le; a whole number of frames. */
  bytes: Uint8Array;
  /** SHA-256 of the bytes (a repeat must match it). */
  hash: string;
}

export interface AudioAck {
  /** Every chunk 0..ackedThrough has been appended to the recording. */
  ackedThrough: number;
  missing: number[];
  /** PCM bytes appended so far. */
  bytes: number;
}

/** One row of DO state: everything needed to continue, complete or abort after an eviction. */
interface AudioState {
  partBytes: number;
  sampleRate?: number;
  chunks: number;
  appendedThrough: number;
  maxSeq: number;
  /** PCM bytes appended in chunkSeq order. */
  pcmBytes: number;
  /** PCM offset up to which bytes were uploaded as parts 2..N (starts at the end of part 1's PCM). */
  uploadedThrough: number;
  key?: string;
  uploadId?: string;
  parts: (UploadedPart & { bytes: number })[];
  result?: RecordAudio;
  /** Set just before CompleteMultipartUpload: after a crash there, the object may already be whole. */
  completing?: boolean;
  /** Dropped by destroy(): close no longer waits for chunks. */
  dropped?: boolean;
}

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS audio_state (id INTEGER PRIMARY KEY CHECK (id = 1), json TEXT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS audio_chunks (seq INTEGER PRIMARY KEY, hash TEXT NOT NULL, bytes INTEGER NOT NULL)`,
  // Chunks that arrived before an earlier one: held until their turn.
  `CREATE TABLE IF NOT EXISTS audio_waiting (seq INTEGER NOT NULL, idx INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (seq, idx))`,
  // Appended PCM not yet uploaded, keyed by PCM offset; no row crosses a part boundary.
  `CREATE TABLE IF NOT EXISTS audio_bytes (pos INTEGER PRIMARY KEY, data BLOB NOT NULL)`,
];

const toBlob = (bytes: Uint8Array): ArrayBuffer => bytes.slice().buffer as ArrayBuffer;

/**
 * The DO side of a session's audio: chunks by seq (idempotent, appended in order), pending bytes in
 * SQLite rows, and one multipart upload of equal-sized parts. Part 1 = WAV header + the first
 * (partBytes - 44) PCM bytes and is written at finalization, when the length is known; parts 2..N
 * are uploaded as they fill, only once consent is granted (deferred audio stays in this DO).
 */
export class AudioStore {
  #state: AudioState;
  /** [tenant, sessionId], for the object key. */
  #owner: [string, string] | undefined;
  /** Serializes uploads: the DO's input gate opens while a part is in flight. */
  #lock: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly sql: SqlStorage,
    private readonly store: ObjectStore,
    private readonly partBytes: number,
  ) {
    for (const statement of SCHEMA) sql.exec(statement);
    this.#state = this.#load();
  }

  /** True when every chunk up to lastAudioSeq has been appended. */
  complete(lastAudioSeq: number): boolean {
    return this.#state.dropped === true || this.#state.appendedThrough >= lastAudioSeq;
  }

  get sampleRate(): number | undefined {
    return this.#state.sampleRate;
  }

  async accept(meta: SessionMeta, chunk: AudioChunk): Promise<Outcome<AudioAck>> {
    this.#owner = [meta.tenant, meta.sessionId];
    if (meta.mode === "track") {
      return fail(403, "audio_not_recorded", `session "${meta.sessionId}" is a track session; track sessions record no audio`);
    }
    const state = this.#state;
    const existing = this.sql.exec<{ hash: string }>("SELECT hash FROM audio_chunks WHERE seq = ?", chunk.seq).toArray()[0];
    if (existing) {
      if (existing.hash !== chunk.hash) {
        return fail(409, "audio_chunk_conflict", `audio chunk ${chunk.seq} was already received with different bytes; a repeated chunkSeq must repeat the same bytes`);
      }
      return ok(this.#ack());
    }
    if (meta.state === "closing" && meta.close && chunk.seq > meta.close.lastAudioSeq) {
      return fail(409, "session_closing", `the session was closed at lastAudioSeq ${meta.close.lastAudioSeq}; audio chunk ${chunk.seq} comes after it`);
    }
    if (state.sampleRate !== undefined && state.sampleRate !== chunk.sampleRate) {
      return fail(409, "audio_format_conflict", `this session's audio is ${state.sampleRate} Hz; chunk ${chunk.seq} says ${chunk.sampleRate} Hz`);
    }

    // Synchronous from here to the first await: one atomic step for the DO.
    state.sampleRate = chunk.sampleRate;
    this.sql.exec("INSERT INTO audio_chunks (seq, hash, bytes) VALUES (?, ?, ?)", chunk.seq, chunk.hash, chunk.bytes.byteLength);
    state.chunks++;
    state.maxSeq = Math.max(state.maxSeq, chunk.seq);
    if (chunk.seq === state.appendedThrough + 1) {
      this.#append(chunk.bytes);
      state.appendedThrough = chunk.seq;
      this.#drainWaiting(false);
    } else {
      for (let i = 0, idx = 0; i < chunk.bytes.byteLength; i += ROW_BYTES, idx++) {
        this.sql.exec("INSERT INTO audio_waiting (seq, idx, data) VALUES (?, ?, ?)", chunk.seq, idx, toBlob(chunk.bytes.subarray(i, i + ROW_BYTES)));
      }
    }
    this.#save();

    if (mayUploadAudio(meta)) await this.#locked(() => this.#uploadFullParts());
    return ok(this.#ack());
  }

  /**
   * Completes the WAV at finalization: appends chunks still waiting behind a gap, uploads the last
   * full parts, part 1 (header + first bytes) and the short last part, and completes the upload.
   * Idempotent. Returns null when there is no audio or it may not be kept.
   */
  async finalize(meta: SessionMeta): Promise<RecordAudio | null> {
    this.#owner = [meta.tenant, meta.sessionId];
    return this.#locked(async () => {
      const state = this.#state;
      if (state.result) return state.result;
      if (!mayUploadAudio(meta)) return null;
      this.#drainWaiting(true);
      this.#save();
      if (state.pcmBytes === 0 || state.sampleRate === undefined) return null;
      await this.#uploadFullParts();

      const key = state.key ?? audioKey(...this.#keyParts());
      if (state.completing && (await this.store.size(key)) === WAV_HEADER_BYTES + state.pcmBytes) {
        return this.#finished(key, state.sampleRate);
      }
      const head = this.#read(0, Math.min(this.#headBytes(), state.pcmBytes));
      const header = wavHeader({ sampleRate: state.sampleRate, channels: 2, bitsPerSample: 16 }, state.pcmBytes);
      const tail = this.#read(state.uploadedThrough, state.pcmBytes);
      if (!state.uploadId) {
        // Short call: never filled part 2, so one object (at most two parts' worth) is written whole.
        await this.store.put(key, concat(header, head, tail));
      } else {
        const first = concat(header, head);
        const etag1 = await this.store.uploadPart(key, state.uploadId, 1, first);
        const parts = [{ partNumber: 1, etag: etag1, bytes: first.byteLength }, ...state.parts.filter((p) => p.partNumber !== 1)];
        if (tail.byteLength > 0) {
          const partNumber = parts.length + 1;
          parts.push({ partNumber, etag: await this.store.uploadPart(key, state.uploadId, partNumber, tail), bytes: tail.byteLength });
        }
        state.parts = parts.sort((a, b) => a.partNumber - b.partNumber);
        state.completing = true;
        this.#save();
        await this.store.completeMultipart(key, state.uploadId, state.parts.map(({ partNumber, etag }) => ({ partNumber, etag })));
      }
      return this.#finished(key, state.sampleRate);
    });
  }

  #finished(key: string, sampleRate: number): RecordAudio {
    const state = this.#state;
    state.key = key;
    state.completing = false;
    state.result = {
      key,
      sampleRate,
      channels: 2,
      durationSeconds: Math.round((state.pcmBytes / FRAME_BYTES / sampleRate) * 1000) / 1000,
      bytes: WAV_HEADER_BYTES + state.pcmBytes,
    };
    this.#save();
    this.sql.exec("DELETE FROM audio_bytes");
    this.sql.exec("DELETE FROM audio_waiting");
    return state.result;
  }

  /** Deletes every held byte and row, aborts the multipart upload and deletes any written object. */
  async destroy(): Promise<void> {
    await this.#locked(async () => {
      const state = this.#state;
      if (state.uploadId && state.key && !state.result) await this.store.abortMultipart(state.key, state.uploadId);
      if (state.result) await this.store.delete(state.result.key);
      for (const table of ["audio_bytes", "audio_waiting", "audio_chunks", "audio_state"]) this.sql.exec(`DELETE FROM ${table}`);
      this.#state = { ...this.#empty(), dropped: true };
      this.#save();
    });
  }

  /** Upload ids, parts and counters (tests and status). */
  describe(): Readonly<AudioState> {
    return structuredClone(this.#state);
  }

  #headBytes(): number {
    return this.#state.partBytes - WAV_HEADER_BYTES;
  }

  async #uploadFullParts(): Promise<void> {
    const state = this.#state;
    const size = state.partBytes;
    while (state.pcmBytes - state.uploadedThrough >= size) {
      if (!state.key || !state.uploadId) {
        state.key = audioKey(...this.#keyParts());
        state.uploadId = await this.store.createMultipart(state.key);
        this.#save();
      }
      const from = state.uploadedThrough;
      const partNumber = 2 + (from - this.#headBytes()) / size;
      const body = this.#read(from, from + size);
      const etag = await this.store.uploadPart(state.key, state.uploadId, partNumber, body);
      state.parts = [...state.parts.filter((p) => p.partNumber !== partNumber), { partNumber, etag, bytes: body.byteLength }];
      state.uploadedThrough = from + size;
      this.#save();
      this.sql.exec("DELETE FROM audio_bytes WHERE pos >= ? AND pos < ?", from, from + size);
    }
  }

  #keyParts(): [string, string] {
    if (!this.#owner) throw new Error("audio store used before its session was known");
    return this.#owner;
  }

  /** Appends PCM at the end, splitting rows at part boundaries and at the row limit. */
  #append(bytes: Uint8Array): void {
    const state = this.#state;
    const head = this.#headBytes();
    let offset = 0;
    while (offset < bytes.byteLength) {
      const pos = state.pcmBytes;
      const boundary = pos < head ? head : head + (Math.floor((pos - head) / state.partBytes) + 1) * state.partBytes;
      const take = Math.min(bytes.byteLength - offset, boundary - pos, ROW_BYTES);
      this.sql.exec("INSERT INTO audio_bytes (pos, data) VALUES (?, ?)", pos, toBlob(bytes.subarray(offset, offset + take)));
      state.pcmBytes += take;
      offset += take;
    }
  }

  /** Appends waiting chunks in seq order: the next ones only, or (at finalization) all, skipping gaps. */
  #drainWaiting(skipGaps: boolean): void {
    const state = this.#state;
    for (;;) {
      const next = this.sql
        .exec<{ seq: number }>("SELECT seq FROM audio_waiting WHERE seq > ? ORDER BY seq LIMIT 1", state.appendedThrough)
        .toArray()[0]?.seq;
      if (next === undefined || (!skipGaps && next !== state.appendedThrough + 1)) return;
      const rows = this.sql.exec<{ data: ArrayBuffer }>("SELECT data FROM audio_waiting WHERE seq = ? ORDER BY idx", next).toArray();
      for (const row of rows) this.#append(new Uint8Array(row.data));
      this.sql.exec("DELETE FROM audio_waiting WHERE seq = ?", next);
      state.appendedThrough = next;
    }
  }

  /** PCM bytes [from, to) from the pending rows. */
  #read(from: number, to: number): Uint8Array {
    const out = new Uint8Array(Math.max(0, to - from));
    if (out.byteLength === 0) return out;
    const rows = this.sql
      .exec<{ pos: number; data: ArrayBuffer }>(
        "SELECT pos, data FROM audio_bytes WHERE pos < ? AND pos + length(data) > ? ORDER BY pos",
        to,
        from,
      )
      .toArray();
    let filled = 0;
    for (const row of rows) {
      const data = new Uint8Array(row.data);
      const start = Math.max(from, row.pos);
      const end = Math.min(to, row.pos + data.byteLength);
      out.set(data.subarray(start - row.pos, end - row.pos), start - from);
      filled += end - start;
    }
    if (filled !== out.byteLength) throw new Error(`audio rows [${from}, ${to}) hold ${filled} of ${out.byteLength} bytes`);
    return out;
  }

  #ack(): AudioAck {
    const state = this.#state;
    const missing: number[] = [];
    if (state.maxSeq > state.appendedThrough) {
      const present = new Set(
        this.sql.exec<{ seq: number }>("SELECT seq FROM audio_chunks WHERE seq > ?", state.appendedThrough).toArray().map((r) => r.seq),
      );
      for (let seq = state.appendedThrough + 1; seq <= state.maxSeq && missing.length < MISSING_LIST_CAP; seq++) {
        if (!present.has(seq)) missing.push(seq);
      }
    }
    return { ackedThrough: state.appendedThrough, missing, bytes: state.pcmBytes };
  }

  #locked<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#lock.then(task, task);
    this.#lock = run.catch(() => undefined);
    return run;
  }

  #empty(): AudioState {
    const partBytes = this.partBytes;
    return { partBytes, chunks: 0, appendedThrough: -1, maxSeq: -1, pcmBytes: 0, uploadedThrough: partBytes - WAV_HEADER_BYTES, parts: [] };
  }

  #load(): AudioState {
    const row = this.sql.exec<{ json: string }>("SELECT json FROM audio_state WHERE id = 1").toArray()[0];
    return row ? (JSON.parse(row.json) as AudioState) : this.#empty();
  }

  #save(): void {
    this.sql.exec(
      "INSERT INTO audio_state (id, json) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET json = excluded.json",
      JSON.stringify(this.#state),
    );
  }
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.byteLength;
  }
  return out;
}
