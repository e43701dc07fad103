/**
 * Per-session caps: what one call may hold in its Durable Object, so finalization, forwarding and the
 * record stay bounded whatever a client sends. Past a cap the Worker answers 413 `session_limit_exceeded`
 * naming it; what was accepted before stays.
 */
export const SESSION_CAPS = {
  /** Events over the whole session. */
  events: 100_000,
  /** Bytes of event JSON over the whole session: the record is built from them in one 128 MB isolate. */
  eventBytes: 16 * 1024 * 1024,
  /** Seconds of call audio (4 hours). */
  audioSeconds: 4 * 60 * 60,
  /**
   * Audio chunks (requests) over the whole session: a 4-hour call in chunks of 0.3 s. Each chunk is a row and
   * an entry of the timeline finalization walks, so tiny chunks must not be able to make that unbounded.
   */
  audioChunks: 50_000,
  /** Gaps listed one by one in the record; past it the record gives their count and total length only. */
  listedAudioGaps: 1_000,
  /** Seconds a session may stay open, however often it writes; then it is closed with reason "max-duration". */
  openSeconds: 6 * 60 * 60,
} as const;

/** Bytes of one stereo s16 frame, as the audio store keeps them. */
const FRAME_BYTES = 4;
/** The most sample bytes a WAV can hold: its 32-bit RIFF size field counts 36 header bytes plus the data. */
export const WAV_MAX_DATA_BYTES = Math.floor((0xffff_ffff - 36) / FRAME_BYTES) * FRAME_BYTES;

/**
 * Bytes of audio a session may hold at `sampleRate`: 4 hours (audioSeconds), lowered where 4 hours would
 * not fit in a WAV's 32-bit size fields (above 74.5 kHz; at 96 kHz about 3.1 hours), so no recording the
 * Worker accepts can be written as a corrupt file.
 */
export function audioBytesCap(sampleRate: number): number {
  return Math.min(SESSION_CAPS.audioSeconds * sampleRate * FRAME_BYTES, WAV_MAX_DATA_BYTES);
}
