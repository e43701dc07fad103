import { QueueOverflowError, SdkError } from "../errors.ts";
import type { AudioAddon, AudioChannel, SessionContext } from "../session.ts";
import { DEFAULTS } from "../defaults.ts";
import { ChunkUploader } from "./chunk-uploader.ts";
import { CapturePlacement, PlayoutPlacement, type PlacedAudio, type PlacementStats } from "./placement.ts";
import { StereoRecorder, type StereoRecorderOptions } from "./stereo-recorder.ts";

export interface AudioOptions extends StereoRecorderOptions {
  /** How often queued audio is processed in the background, ms (default 250). */
  pumpIntervalMs?: number;
  /** Bytes of chunks that may wait for the network (default 16 MiB, about 4 min at 16 kHz stereo). */
  maxQueuedBytes?: number;
  /** The session clock in ms since observe() (default performance.now() based); for simulations. */
  clock?: () => number;
}

export interface AudioStats {
  sampleRate: number;
  framesEmitted: number;
  chunksSent: number;
  bytesSent: number;
  droppedSamples: number;
  lastAudioSeq: number;
  /** Bytes the recorder's buffers reserve plus chunks waiting to be sent. */
  bufferedBytes: number;
  /** How each channel's audio given without `at` was placed (placement.ts). */
  placement: AudioPlacementStats;
}

export type AudioPlacementStats = Record<AudioChannel, PlacementStats>;

export interface SessionAudio extends AudioAddon {
  stats(): AudioStats;
  placement(): AudioPlacementStats;
}

/**
 * session.audio() for observe sessions: the caller's path copies samples into the recorder's ring
 * buffers and schedules a background pump; the pump aligns, resamples, interleaves and hands
 * equal-length chunks to the uploader. close() sends lastAudioSeq.
 */
export function createAudioAddon(ctx: SessionContext, options: AudioOptions = {}): SessionAudio {
  const recorder = new StereoRecorder(options);
  const pumpInterval = options.pumpIntervalMs ?? DEFAULTS.audioPumpIntervalMs;
  const startedAtMs = Date.parse(ctx.callStartedAt);
  const intro: Record<string, string> = {
    "x-cekura-agent-id": String(ctx.agentId),
    "x-cekura-mode": ctx.mode,
    "x-cekura-call-started-at": ctx.callStartedAt,
  };
  if (ctx.deferUpload !== undefined) intro["x-cekura-defer-upload"] = String(ctx.deferUpload);
  const uploader = new ChunkUploader({
    transport: ctx.transport,
    basePath: ctx.basePath,
    sampleRate: recorder.sampleRate,
    introHeaders: intro,
    maxQueuedBytes: options.maxQueuedBytes,
    report: ctx.report,
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  let finished = false;
  let reportedDrop = false;

  const now = options.clock ?? (() => performance.now() - ctx.startedAtPerf);
  // Audio given without `at`: the user's side is captured (arrival is after capture), the assistant's is
  // played (handed over ahead of playback, interruptible).
  const placers = { user: new CapturePlacement(), assistant: new PlayoutPlacement() };
  const commit = (channel: AudioChannel, parts: PlacedAudio[]) => {
    for (const part of parts) {
      if (!recorder.push(channel, part.pcm, part.rate, Math.max(0, part.atMs)) && !reportedDrop) {
        reportedDrop = true;
        ctx.report(
          new QueueOverflowError("audio input buffer is full (the network is behind); audio is being dropped", {
            logs: 0,
            other: 0,
          }),
        );
      }
    }
  };
  const release = (t: number) => {
    commit("user", placers.user.release(t));
    commit("assistant", placers.assistant.release(t));
  };

  const pump = () => {
    timer = undefined;
    if (finished || uploader.stopped) return;
    release(now());
    // Backpressure: while the network is behind, audio stays in the (bounded) ring buffers.
    const room = uploader.full ? 0 : Number.POSITIVE_INFINITY;
    for (const chunk of recorder.pump(now(), room)) uploader.enqueue(chunk);
    if (recorder.pendingInput > 0 || uploader.full || placers.user.pending || placers.assistant.pending) schedule();
  };
  const schedule = () => {
    timer ??= setTimeout(pump, pumpInterval);
  };

  return {
    push(channel: AudioChannel, pcm: Int16Array, sampleRate: number, atMs?: number) {
      if (finished || uploader.stopped) return;
      // An explicit time wins; otherwise the channel's placement estimates it from the arrival.
      if (atMs === undefined) placers[channel].push(pcm, sampleRate, now());
      else commit(channel, [{ pcm, rate: sampleRate, atMs: atMs - startedAtMs }]);
      schedule();
    },
    interrupt(channel: AudioChannel, atMs?: number) {
      if (finished || uploader.stopped) return;
      const at = atMs === undefined ? now() : atMs - startedAtMs;
      commit(channel, placers[channel].cut(at));
      schedule();
    },
    placement() {
      return { user: placers.user.stats, assistant: placers.assistant.stats };
    },
    async flush() {
      if (!finished) pump();
      await uploader.drain();
    },
    async beforeClose() {
      if (timer) clearTimeout(timer);
      timer = undefined;
      if (!finished && !uploader.stopped) {
        // The call ended: what is queued to play is taken as played up to now, the rest never played.
        commit("user", placers.user.flush());
        commit("assistant", placers.assistant.cut(now()));
        finished = true;
        for (const chunk of recorder.finish()) uploader.enqueue(chunk);
      }
      finished = true;
      await uploader.drain();
      // Stopped (abortRecording, or a refusal): nothing more will come, so close must not wait for it.
      return { lastAudioSeq: uploader.stopped ? -1 : uploader.lastSeq };
    },
    abort() {
      finished = true;
      if (timer) clearTimeout(timer);
      recorder.clear();
      uploader.stop(new SdkError("aborted", "the session was aborted"));
    },
    abortRecording() {
      finished = true;
      if (timer) clearTimeout(timer);
      recorder.clear();
      uploader.stop(new SdkError("recording_aborted", "the recording was aborted"));
    },
    counts() {
      return { chunks: uploader.sentChunks, bytes: uploader.sentBytes, droppedSamples: recorder.droppedSamples };
    },
    stats() {
      return {
        sampleRate: recorder.sampleRate,
        framesEmitted: recorder.framesEmitted,
        chunksSent: uploader.sentChunks,
        bytesSent: uploader.sentBytes,
        droppedSamples: recorder.droppedSamples,
        lastAudioSeq: uploader.lastSeq,
        bufferedBytes: recorder.bufferBytes + uploader.queuedBytes,
        placement: { user: placers.user.stats, assistant: placers.assistant.stats },
      };
    },
  };
}
