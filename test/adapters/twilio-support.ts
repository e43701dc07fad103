/**
 * Twilio's side of a Media Streams call, played over a real WebSocket (Node's `ws`): it sends what
 * Twilio sends (connected, start, 20 ms inbound media frames with timestamps, dtmf, stop) and keeps a
 * playback buffer of the audio the server sends, as Twilio does: back to back, `clear` empties it,
 * marks are echoed when the audio before them has played (or at once when cleared). What it played,
 * and when, is the truth the tests compare the recording against.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import WebSocket from "ws";
import { freePort } from "../../worker/local/ports.ts";
import { REPO_ROOT } from "../../worker/local/local-worker.ts";
import { decodeMulawBase64 } from "../../sdk/adapters/mulaw.ts";
import { FRAME_SAMPLES, payloadOf, RATE } from "./twilio-codec.ts";

export interface Echo {
  name: string;
  atMs: number;
  /** Echoed because `clear` dropped the audio before it. */
  cleared: boolean;
}

interface PendingMark {
  name: string;
  timer: ReturnType<typeof setTimeout> | undefined;
}

interface Played {
  startMs: number;
  pcm: Int16Array;
}

export interface StartOptions {
  callSid: string;
  streamSid?: string;
  accountSid?: string;
  tracks?: string[];
  customParameters?: Record<string, string>;
}

export class TwilioSide {
  readonly echoes: Echo[] = [];
  readonly clears: number[] = [];
  readonly #ws: WebSocket;
  readonly #played: Played[] = [];
  readonly #pendingMarks: PendingMark[] = [];
  #t0 = 0;
  #queueEnd = 0;
  #seq = 0;
  #streamSid = "";

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.on("message", (data) => this.#onServerMessage(String(data)));
  }

  static async connect(url: string): Promise<TwilioSide> {
    const ws = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    return new TwilioSide(ws);
  }

  /** Ms since `start` was sent: the stream's clock. */
  elapsed(): number {
    return performance.now() - this.#t0;
  }

  #send(message: Record<string, unknown>): void {
    this.#ws.send(JSON.stringify(message));
  }

  /** Any text frame, as it is (for broken input). */
  raw(text: string): void {
    this.#ws.send(text);
  }

  start(options: StartOptions): void {
    this.#streamSid = options.streamSid ?? `MZ${crypto.randomUUID().replaceAll("-", "")}`;
    this.#send({ event: "connected", protocol: "Call", version: "1.0.0" });
    this.#t0 = performance.now();
    this.#send({
      event: "start",
      sequenceNumber: String(++this.#seq),
      start: {
        accountSid: options.accountSid ?? "AC00000000000000000000000000000000",
        streamSid: this.#streamSid,
        callSid: options.callSid,
        tracks: options.tracks ?? ["inbound"],
        mediaFormat: { encoding: "audio/x-mulaw", sampleRate: 8000, channels: 1 },
        customParameters: options.customParameters ?? {},
      },
      streamSid: this.#streamSid,
    });
  }

  media(track: "inbound" | "outbound", chunk: number, timestampMs: number, pcm: Int16Array): void {
    this.#send({
      event: "media",
      sequenceNumber: String(++this.#seq),
      media: { track, chunk: String(chunk), timestamp: String(timestampMs), payload: payloadOf(pcm) },
      streamSid: this.#streamSid,
    });
  }

  dtmf(digit: string): void {
    this.#send({
      event: "dtmf",
      streamSid: this.#streamSid,
      sequenceNumber: String(++this.#seq),
      dtmf: { track: "inbound_track", digit },
    });
  }

  stop(callSid: string): void {
    this.#send({
      event: "stop",
      sequenceNumber: String(++this.#seq),
      streamSid: this.#streamSid,
      stop: { accountSid: "AC00000000000000000000000000000000", callSid },
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.#ws.readyState === WebSocket.CLOSED) return resolve();
      this.#ws.once("close", () => resolve());
      this.#ws.close(1000, "stream ended");
    });
  }

  /**
   * Streams `caller` (8 kHz) as inbound 20 ms frames in real time, each stamped with its time; runs
   * each of `at` once the stream's clock reaches it.
   */
  async playCaller(
    caller: Int16Array,
    at: { atMs: number; run: () => void }[] = [],
    track: "inbound" | "outbound" = "inbound",
    extra?: (frame: number) => void,
  ): Promise<void> {
    const frames = Math.ceil(caller.length / FRAME_SAMPLES);
    const due = [...at].sort((a, b) => a.atMs - b.atMs);
    let next = 0;
    while (next < frames || due.length > 0) {
      const now = this.elapsed();
      while (next < frames && next * 20 <= now) {
        this.media(track, next + 1, next * 20, caller.subarray(next * FRAME_SAMPLES, (next + 1) * FRAME_SAMPLES));
        extra?.(next);
        next++;
      }
      while (due.length > 0 && due[0]!.atMs <= now) due.shift()!.run();
      await new Promise((r) => setTimeout(r, 4));
    }
  }

  /** What played to the caller (8 kHz, from the stream's start), `lengthMs` long. */
  playedAudio(lengthMs: number): Int16Array {
    const out = new Int16Array(Math.round((lengthMs * RATE) / 1000));
    for (const p of this.#played) {
      const offset = Math.round((p.startMs * RATE) / 1000);
      out.set(p.pcm.subarray(0, Math.max(0, out.length - offset)), offset);
    }
    return out;
  }

  #onServerMessage(text: string): void {
    let message: { event: string; media?: { payload: string }; mark?: { name: string } };
    try {
      message = JSON.parse(text) as typeof message;
    } catch {
      return; // Twilio ignores what is not JSON
    }
    const now = this.elapsed();
    switch (message.event) {
      case "media": {
        const pcm = decodeMulawBase64(message.media!.payload);
        const startMs = Math.max(now, this.#queueEnd);
        this.#played.push({ startMs, pcm });
        this.#queueEnd = startMs + (pcm.length * 1000) / RATE;
        break;
      }
      case "mark": {
        const name = message.mark!.name;
        const wait = this.#queueEnd - now;
        if (wait <= 0) this.#echo(name, false);
        else {
          const pending: PendingMark = { name, timer: undefined };
          pending.timer = setTimeout(() => this.#echo(name, false, pending), wait);
          this.#pendingMarks.push(pending);
        }
        break;
      }
      case "clear": {
        this.clears.push(now);
        for (const p of this.#played) {
          const keep = Math.max(0, Math.floor(((now - p.startMs) * RATE) / 1000));
          if (keep < p.pcm.length) p.pcm = p.pcm.subarray(0, keep);
        }
        this.#queueEnd = Math.min(this.#queueEnd, now);
        for (const pending of this.#pendingMarks.splice(0)) {
          clearTimeout(pending.timer);
          this.#echo(pending.name, true);
        }
        break;
      }
    }
  }

  #echo(name: string, cleared: boolean, pending?: PendingMark): void {
    if (pending) {
      const i = this.#pendingMarks.indexOf(pending);
      if (i >= 0) this.#pendingMarks.splice(i, 1);
    }
    this.echoes.push({ name, atMs: this.elapsed(), cleared });
    if (this.#ws.readyState === WebSocket.OPEN)
      this.#send({ event: "mark", sequenceNumber: String(++this.#seq), streamSid: this.#streamSid, mark: { name } });
  }
}

export interface PhoneWorker {
  url: string;
  errors(): Promise<string[]>;
  stop(): Promise<void>;
}

/** The test's phone-agent Worker (twilio-worker/entry.ts), bundled for workerd and listening on 127.0.0.1. */
export async function startPhoneWorker(ingestUrl: string, apiKey: string): Promise<PhoneWorker> {
  const outdir = mkdtempSync(join(tmpdir(), "cekura-twilio-worker-"));
  const scriptPath = join(outdir, "entry.mjs");
  await build({
    entryPoints: [join(REPO_ROOT, "test/adapters/twilio-worker/entry.ts")],
    bundle: true,
    format: "esm",
    platform: "browser",
    conditions: ["workerd", "worker", "browser"],
    target: "es2022",
    outfile: scriptPath,
    external: ["cloudflare:workers"],
    logLevel: "error",
  });
  const port = await freePort();
  const mf = new Miniflare({
    modules: true,
    modulesRoot: outdir,
    scriptPath,
    compatibilityDate: "2026-04-20",
    host: "127.0.0.1",
    port,
    bindings: { INGEST_URL: ingestUrl, API_KEY: apiKey },
    durableObjects: { PHONE_CALL: "PhoneCall" },
  });
  const url = (await mf.ready).toString().replace(/\/$/, "");
  return {
    url,
    errors: async () => (await (await fetch(`${url}/errors`)).json()) as string[],
    stop: () => mf.dispose(),
  };
}
