import type { Env } from "../env.ts";
import { fail, ok, type Outcome } from "../errors.ts";
import { WAV_HEADER_BYTES, wavHeader } from "../audio/wav.ts";
import type { ObjectStore, UploadedPart } from "../storage/object-store.ts";
import { audioBytesCap, SESSION_CAPS } from "./caps.ts";
import { mayUploadAudio } from "./consent.ts";
import type { SessionMeta } from "./meta.ts";
import type { RecordAudio } from "./record.ts";
import { LazyTables } from "./tables.ts";

/** R2 and S3 refuse parts under 5 MiB (except the last). */
export const MIN_PART_BYTES = 5 * 1024 * 1024;
/** Bytes of one stereo s16le frame. */
export const FRAME_BYTES = 4;
/** DO SQLite rows must stay under 2 MB; a chunk is stored in rows of at most this. */
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
  /** Where the chunk starts in the call's timeline (stereo frames); absent: right after chunk seq-1. */
  startFrame?: number;
  /** Raw interleaved stereo s16le; a whole number of frames. */
  bytes: Uint8Array;
}

export interface AudioAck {
  /** Every chunk 0..ackedThrough has been received. */
  ackedThrough: number;
  missing: number[];
  /** PCM bytes from the call's start that are covered without a hole so far. */
  bytes: number;
}

/** A stretch of the recording no chunk covered, written as silence. */
export interface AudioGap {
  startSeconds: number;
  durationSeconds: number;
}

/** One row of DO state, written when the upload advances (not per chunk). */
interface AudioState {
  partBytes: number;
  sampleRate?: number;
  /** PCM offset up to which bytes were uploaded as parts 2..N (starts at the end of part 1's PCM). */
  uploadedThrough: number;
  key?: string;
  uploadId?: string;
  parts: (UploadedPart & { bytes: number })[];
  /**
   * Set when finalization assembled the recording: from then on holes are silence, and late chunks are
   * refused. `gaps` lists the first SESSION_CAPS.listedAudioGaps holes; the totals count them all.
   */
  sealed?: { pcmBytes: number; gaps: [number, number][]; gapCount?: number; gapBytes?: number };
  result?: RecordAudio;
  /** Set just before CompleteMultipartUpload: after a crash there, the object may already be whole. */
  completing?: boolean;
  /** Dropped by destroy(): close no longer waits for chunks. */
  dropped?: boolean;
}

/** What the store knows of a received chunk (rebuilt from its rows after an eviction). */
interface ChunkInfo {
  /** PCM byte offset in the call's timeline; null until the chunk before it places it. */
  start: number | null;
  bytes: number;
}

/** Rows one chunk may take (a 4 MiB chunk in rows of 1 MiB); a row's id is seq * ROWS_PER_CHUNK + its index. */
const ROWS_PER_CHUNK = 16;

// One row per chunk (more only for a chunk over ROW_BYTES), written once at its place in the timeline and
// never updated while the call runs: a rowid key and no secondary index, so a chunk costs one row written.
// The table is dropped whole once the WAV is complete.
const CHUNK_ROWS_SQL = `CREATE TABLE IF NOT EXISTS audio_chunk_rows (
  id INTEGER PRIMARY KEY, seq INTEGER NOT NULL, start_byte INTEGER, bytes INTEGER NOT NULL, hash TEXT NOT NULL, data BLOB NOT NULL)`;
const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS audio_state (id INTEGER PRIMARY KEY CHECK (id = 1), json TEXT NOT NULL)`,
  CHUNK_ROWS_SQL,
];

/** The bytes as an ArrayBuffer for a BLOB parameter: the view's own buffer when it spans all of it (no copy). */
const toBlob = (bytes: Uint8Array): ArrayBuffer =>
  bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer
    ? bytes.buffer
    : (bytes.slice().buffer as ArrayBuffer);

/**
 * The DO side of a session's audio. Each chunk is written once, in one row, at its place in the call's
 * timeline (X-Audio-Start-Frame); a chunk missing at finalization becomes silence of its exact length,
 * and the record lists the gaps. The WAV is one multipart upload of equal-sized parts: part 1 (WAV header
 * + the first partBytes - 44 PCM bytes) at finalization, when the length is known; parts 2..N as soon as
 * the timeline is covered through them, only once consent is granted. A part's number follows from its
 * byte range, so a retry after any storage error uploads the same part under the same number.
 */
export class AudioStore {
  #state: AudioState;
  #chunks = new Map<number, ChunkInfo>();
  /** Placed chunks as [start, end) byte ranges, sorted by start, disjoint. */
  #placed: [number, number][] = [];
  /** Every byte of [0, #covered) is in some placed chunk. */
  #covered = 0;
  #receivedThrough = -1;
  #maxSeq = -1;
  /** [tenant, sessionId], for the object key. */
  #owner: [string, string] | undefined;
  /** Serializes uploads: the DO's input gate opens while a part is in flight. */
  #lock: Promise<unknown> = Promise.resolve();
  /** audio_state and audio_chunk_rows: created with the session's first chunk (most requests carry none). */
  readonly #tables: LazyTables;

  constructor(
    private readonly sql: SqlStorage,
    private readonly store: ObjectStore,
    private readonly partBytes: number,
  ) {
    this.#tables = new LazyTables(sql, "audio_state", SCHEMA);
    this.#state = this.#load();
    const rows = this.#tables.rows<{ seq: number; start_byte: number | null; bytes: number }>(
      "SELECT seq, MIN(start_byte) AS start_byte, SUM(bytes) AS bytes FROM audio_chunk_rows GROUP BY seq ORDER BY seq",
    );
    for (const row of rows) this.#remember(row.seq, { start: row.start_byte, bytes: row.bytes });
  }

  /** True when every chunk up to lastAudioSeq has been received. */
  complete(lastAudioSeq: number): boolean {
    return this.#state.dropped === true || this.#receivedThrough >= lastAudioSeq;
  }

  async accept(meta: SessionMeta, chunk: AudioChunk): Promise<Outcome<AudioAck>> {
    this.#owner = [meta.tenant, meta.sessionId];
    if (meta.mode === "track") {
      return fail(
        403,
        "audio_not_recorded",
        `session "${meta.sessionId}" is a track session; track sessions record no audio`,
      );
    }
    const state = this.#state;
    const existing = this.#chunks.get(chunk.seq);
    if (existing) {
      if (!this.#sameAsStored(chunk.seq, existing, chunk.bytes)) {
        return fail(
          409,
          "audio_chunk_conflict",
          `audio chunk ${chunk.seq} was already received with different bytes; a repeated chunkSeq must repeat the same bytes`,
        );
      }
      return ok(this.#ack());
    }
    if (this.#chunks.size >= SESSION_CAPS.audioChunks) {
      return fail(
        413,
        "session_limit_exceeded",
        `a session takes at most ${SESSION_CAPS.audioChunks} audio chunks (audioChunks cap); chunk ${chunk.seq} would be one more. Send longer chunks`,
      );
    }
    if (meta.state === "closing" && meta.close && chunk.seq > meta.close.lastAudioSeq) {
      return fail(
        409,
        "session_closing",
        `the session was closed at lastAudioSeq ${meta.close.lastAudioSeq}; audio chunk ${chunk.seq} comes after it`,
      );
    }
    if (state.sampleRate !== undefined && state.sampleRate !== chunk.sampleRate) {
      return fail(
        409,
        "audio_format_conflict",
        `this session's audio is ${state.sampleRate} Hz; chunk ${chunk.seq} says ${chunk.sampleRate} Hz`,
      );
    }
    if (state.sealed) {
      return fail(
        409,
        "audio_chunk_late",
        `audio chunk ${chunk.seq} arrived after the recording was assembled for finalization; its place was filled with silence`,
      );
    }
    const start = chunk.startFrame !== undefined ? chunk.startFrame * FRAME_BYTES : this.#placeAfter(chunk.seq - 1);
    if (start !== null) {
      const refused = this.#refusePlace(chunk.seq, start, chunk.bytes.byteLength, chunk.sampleRate);
      if (refused) return refused;
    }

    // Synchronous from here to the first await: one atomic step for the DO.
    if (state.sampleRate === undefined) {
      state.sampleRate = chunk.sampleRate;
      this.#save();
    }
    const sql = this.#tables.ensure();
    for (let i = 0, idx = 0; i < chunk.bytes.byteLength; i += ROW_BYTES, idx++) {
      const piece = chunk.bytes.subarray(i, i + ROW_BYTES);
      sql.exec(
        "INSERT INTO audio_chunk_rows (id, seq, start_byte, bytes, hash, data) VALUES (?, ?, ?, ?, ?, ?)",
        chunk.seq * ROWS_PER_CHUNK + idx,
        chunk.seq,
        start === null ? null : start + i,
        piece.byteLength,
        // Legacy column: a repeat is compared with the stored bytes themselves (see #sameAsStored).
        "",
        toBlob(piece),
      );
    }
    this.#remember(chunk.seq, { start, bytes: chunk.bytes.byteLength });
    if (start !== null) this.#placeFollowers(chunk.seq);

    if (mayUploadAudio(meta)) {
      try {
        await this.#locked(() => this.#uploadFullParts(this.#covered));
      } catch (error) {
        // The chunk is stored: the part is uploaded again (same number) with the next chunk or at finalization.
        console.error("audio part upload failed; it will be retried", meta.sessionId, String(error));
      }
    }
    return ok(this.#ack());
  }

  /**
   * Completes the WAV at finalization: seals the timeline (holes become silence, listed as gaps),
   * uploads the last full parts, part 1 (header + first bytes) and the short last part, and completes
   * the upload. Idempotent and safe to retry after any storage error. Null when there is no audio or it
   * may not be kept.
   */
  async finalize(meta: SessionMeta): Promise<RecordAudio | null> {
    this.#owner = [meta.tenant, meta.sessionId];
    return this.#locked(async () => {
      const state = this.#state;
      if (state.result) return state.result;
      if (!mayUploadAudio(meta) || state.sampleRate === undefined) return null;
      const sealed = (state.sealed ??= this.#seal());
      this.#save();
      const total = sealed.pcmBytes;
      if (total === 0) return null;
      await this.#uploadFullParts(total);

      const key = state.key ?? audioKey(...this.#keyParts());
      if (state.completing && (await this.store.size(key)) === WAV_HEADER_BYTES + total) {
        return this.#finished(key, state.sampleRate, sealed);
      }
      const header = wavHeader({ sampleRate: state.sampleRate, channels: 2, bitsPerSample: 16 }, total);
      const head = this.#read(0, Math.min(this.#headBytes(), total));
      const tail = this.#read(Math.min(state.uploadedThrough, total), total);
      if (!state.uploadId) {
        // Short call: never filled part 2, so one object (at most two parts' worth) is written whole.
        await this.store.put(key, concat(header, head, tail));
      } else {
        const first = concat(header, head);
        const etag1 = await this.store.uploadPart(key, state.uploadId, 1, first);
        this.#notePart({ partNumber: 1, etag: etag1, bytes: first.byteLength });
        if (tail.byteLength > 0) {
          const partNumber = this.#partNumberAt(state.uploadedThrough);
          this.#notePart({
            partNumber,
            etag: await this.store.uploadPart(key, state.uploadId, partNumber, tail),
            bytes: tail.byteLength,
          });
        }
        state.completing = true;
        this.#save();
        await this.store.completeMultipart(
          key,
          state.uploadId,
          state.parts.map(({ partNumber, etag }) => ({ partNumber, etag })),
        );
      }
      return this.#finished(key, state.sampleRate, sealed);
    });
  }

  /**
   * Deletes every held byte and row, aborts the multipart upload and deletes any written object. The
   * dropped state is stored (close then waits for no chunk) unless `keepNothing`: the session's wipe follows.
   */
  async destroy(keepNothing = false): Promise<void> {
    await this.#locked(async () => {
      const state = this.#state;
      if (state.uploadId && state.key && !state.result) await this.store.abortMultipart(state.key, state.uploadId);
      if (state.result) await this.store.delete(state.result.key);
      this.#tables.drop();
      this.#state = { ...this.#empty(), dropped: true };
      this.#chunks.clear();
      this.#placed = [];
      this.#covered = 0;
      if (!keepNothing) this.#save();
    });
  }

  /** The timeline as it will be written: its length and the holes that become silence. */
  #seal(): NonNullable<AudioState["sealed"]> {
    // Chunks never placed (sent without a start frame, after a chunk that never came) follow the audio placed so far.
    for (const [seq, info] of [...this.#chunks].sort((a, b) => a[0] - b[0])) {
      if (info.start !== null) continue;
      const start = this.#placed.at(-1)?.[1] ?? 0;
      this.#setStart(seq, start);
    }
    const gaps: [number, number][] = [];
    let end = 0;
    let gapCount = 0;
    let gapBytes = 0;
    for (const [from, to] of this.#placed) {
      if (from > end) {
        if (gaps.length < SESSION_CAPS.listedAudioGaps) gaps.push([end, from - end]);
        gapCount++;
        gapBytes += from - end;
      }
      end = Math.max(end, to);
    }
    return { pcmBytes: end, gaps, gapCount, gapBytes };
  }

  #finished(key: string, sampleRate: number, sealed: NonNullable<AudioState["sealed"]>): RecordAudio {
    const state = this.#state;
    const seconds = (bytes: number) => Math.round((bytes / FRAME_BYTES / sampleRate) * 1000) / 1000;
    state.key = key;
    state.completing = false;
    state.result = {
      key,
      sampleRate,
      channels: 2,
      durationSeconds: seconds(sealed.pcmBytes),
      bytes: WAV_HEADER_BYTES + sealed.pcmBytes,
      gaps: sealed.gaps.map(([start, length]) => ({ startSeconds: seconds(start), durationSeconds: seconds(length) })),
      ...(sealed.gapCount !== undefined && sealed.gapCount > sealed.gaps.length
        ? { gapTotals: { count: sealed.gapCount, durationSeconds: seconds(sealed.gapBytes ?? 0) } }
        : {}),
    };
    this.#save();
    // Every byte is in the WAV now: drop the rows in one statement rather than deleting row by row.
    this.sql.exec("DROP TABLE IF EXISTS audio_chunk_rows");
    this.sql.exec(CHUNK_ROWS_SQL);
    return state.result;
  }

  #headBytes(): number {
    return this.#state.partBytes - WAV_HEADER_BYTES;
  }

  /** The multipart part number of the part starting at PCM offset `from` (part 1 holds the header). */
  #partNumberAt(from: number): number {
    return 2 + Math.floor((from - this.#headBytes()) / this.#state.partBytes);
  }

  #notePart(part: UploadedPart & { bytes: number }): void {
    const state = this.#state;
    state.parts = [...state.parts.filter((p) => p.partNumber !== part.partNumber), part].sort(
      (a, b) => a.partNumber - b.partNumber,
    );
  }

  /** Uploads every full part whose bytes lie below `through`. */
  async #uploadFullParts(through: number): Promise<void> {
    const state = this.#state;
    const size = state.partBytes;
    while (through - state.uploadedThrough >= size) {
      if (!state.key || !state.uploadId) {
        state.key = audioKey(...this.#keyParts());
        state.uploadId = await this.store.createMultipart(state.key);
        this.#save();
      }
      const from = state.uploadedThrough;
      const body = this.#read(from, from + size);
      const partNumber = this.#partNumberAt(from);
      const etag = await this.store.uploadPart(state.key, state.uploadId, partNumber, body);
      this.#notePart({ partNumber, etag, bytes: body.byteLength });
      state.uploadedThrough = from + size;
      this.#save();
    }
  }

  #keyParts(): [string, string] {
    if (!this.#owner) throw new Error("audio store used before its session was known");
    return this.#owner;
  }

  /** 413 past the session's audio cap; 409 when another chunk already holds part of this place. */
  #refusePlace(seq: number, start: number, bytes: number, sampleRate: number): Outcome<never> | undefined {
    const maxBytes = audioBytesCap(sampleRate);
    if (start + bytes > maxBytes) {
      return fail(
        413,
        "session_limit_exceeded",
        `audio chunk ${seq} would end ${((start + bytes) / FRAME_BYTES / sampleRate).toFixed(3)} s into the call; a session records at most ${(maxBytes / FRAME_BYTES / sampleRate).toFixed(3)} s of audio at ${sampleRate} Hz (audioSeconds cap of ${SESSION_CAPS.audioSeconds} s, lowered where a WAV would pass 4 GiB)`,
      );
    }
    const i = this.#insertionIndex(start);
    const before = this.#placed[i - 1];
    const after = this.#placed[i];
    if ((before && before[1] > start) || (after && after[0] < start + bytes)) {
      return fail(
        409,
        "audio_chunk_overlap",
        `audio chunk ${seq} covers frames ${start / FRAME_BYTES}..${(start + bytes) / FRAME_BYTES}, part of which another chunk already holds`,
      );
    }
    return undefined;
  }

  /** Where a chunk without a start frame goes: right after chunk `previous`, when that one is placed. */
  #placeAfter(previous: number): number | null {
    if (previous < 0) return 0;
    const info = this.#chunks.get(previous);
    return info?.start == null ? null : info.start + info.bytes;
  }

  /** Places chunks that were waiting (no start frame) for the one before them. */
  #placeFollowers(seq: number): void {
    for (let next = seq + 1; ; next++) {
      const info = this.#chunks.get(next);
      if (!info || info.start !== null) return;
      const start = this.#placeAfter(next - 1)!;
      if (this.#refusePlace(next, start, info.bytes, this.#state.sampleRate ?? 1)) return;
      this.#setStart(next, start);
    }
  }

  #setStart(seq: number, start: number): void {
    const first = seq * ROWS_PER_CHUNK;
    this.sql.exec(
      "UPDATE audio_chunk_rows SET start_byte = ? + (id - ?) * ? WHERE id >= ? AND id < ?",
      start,
      first,
      ROW_BYTES,
      first,
      first + ROWS_PER_CHUNK,
    );
    const info = this.#chunks.get(seq)!;
    this.#chunks.delete(seq);
    this.#remember(seq, { ...info, start });
  }

  #remember(seq: number, info: ChunkInfo): void {
    const isNew = !this.#chunks.has(seq);
    this.#chunks.set(seq, info);
    if (isNew) {
      this.#maxSeq = Math.max(this.#maxSeq, seq);
      while (this.#chunks.has(this.#receivedThrough + 1)) this.#receivedThrough++;
    }
    if (info.start === null) return;
    this.#placed.splice(this.#insertionIndex(info.start), 0, [info.start, info.start + info.bytes]);
    let i = this.#insertionIndex(this.#covered) - 1;
    if (i < 0) i = 0;
    for (; i < this.#placed.length && this.#placed[i]![0] <= this.#covered; i++)
      this.#covered = Math.max(this.#covered, this.#placed[i]![1]);
  }

  /** Index of the first placed range starting after `start`. */
  #insertionIndex(start: number): number {
    let lo = 0;
    let hi = this.#placed.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.#placed[mid]![0] <= start) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * Whether a repeated chunk holds the bytes stored for its seq: compared with the rows themselves, so
   * no chunk is hashed on its way in (a SHA-256 of each chunk was a sixth of an audio PUT's CPU), and a
   * repeat, which is rare, pays for the read. Once the recording is assembled the rows are gone and the
   * bytes are in the WAV: a repeat of the same length is then acknowledged as the same chunk.
   */
  #sameAsStored(seq: number, info: ChunkInfo, bytes: Uint8Array): boolean {
    if (info.bytes !== bytes.byteLength) return false;
    if (this.#state.result) return true;
    const first = seq * ROWS_PER_CHUNK;
    let offset = 0;
    for (const row of this.sql.exec<{ data: ArrayBuffer }>(
      "SELECT data FROM audio_chunk_rows WHERE id >= ? AND id < ? ORDER BY id",
      first,
      first + ROWS_PER_CHUNK,
    )) {
      const stored = new Uint8Array(row.data);
      if (!sameBytes(stored, bytes.subarray(offset, offset + stored.byteLength))) return false;
      offset += stored.byteLength;
    }
    return offset === bytes.byteLength;
  }

  /** PCM bytes [from, to) of the timeline; bytes no chunk holds are silence (zero). */
  #read(from: number, to: number): Uint8Array {
    const out = new Uint8Array(Math.max(0, to - from));
    if (out.byteLength === 0) return out;
    const rows = this.#tables.rows<{ start_byte: number; data: ArrayBuffer }>(
      "SELECT start_byte, data FROM audio_chunk_rows WHERE start_byte < ? AND start_byte + bytes > ? ORDER BY start_byte",
      to,
      from,
    );
    for (const row of rows) {
      const data = new Uint8Array(row.data);
      const start = Math.max(from, row.start_byte);
      const end = Math.min(to, row.start_byte + data.byteLength);
      out.set(data.subarray(start - row.start_byte, end - row.start_byte), start - from);
    }
    return out;
  }

  #ack(): AudioAck {
    const missing: number[] = [];
    for (let seq = this.#receivedThrough + 1; seq <= this.#maxSeq && missing.length < MISSING_LIST_CAP; seq++) {
      if (!this.#chunks.has(seq)) missing.push(seq);
    }
    return { ackedThrough: this.#receivedThrough, missing, bytes: this.#covered };
  }

  #locked<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#lock.then(task, task);
    this.#lock = run.catch(() => undefined);
    return run;
  }

  #empty(): AudioState {
    const partBytes = this.partBytes;
    return { partBytes, uploadedThrough: partBytes - WAV_HEADER_BYTES, parts: [] };
  }

  #load(): AudioState {
    const row = this.#tables.rows<{ json: string }>("SELECT json FROM audio_state WHERE id = 1")[0];
    return row ? (JSON.parse(row.json) as AudioState) : this.#empty();
  }

  #save(): void {
    this.#tables
      .ensure()
      .exec(
        "INSERT INTO audio_state (id, json) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET json = excluded.json",
        JSON.stringify(this.#state),
      );
  }
}

/** Byte-wise equality, a word at a time where both views allow it. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  const words = a.byteOffset % 4 === 0 && b.byteOffset % 4 === 0 ? a.byteLength >>> 2 : 0;
  if (words > 0) {
    const x = new Uint32Array(a.buffer, a.byteOffset, words);
    const y = new Uint32Array(b.buffer, b.byteOffset, words);
    for (let i = 0; i < words; i++) if (x[i] !== y[i]) return false;
  }
  for (let i = words * 4; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
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
