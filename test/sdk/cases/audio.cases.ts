/**
 * Call audio through the SDK in every runtime: two channels at different input rates end as one
 * stereo WAV in the Worker's storage, described by the record; track sessions store no audio.
 * (Sample-exact placement and WAV bytes are checked in Node by test/audio/.)
 */
import { CekuraTracer } from "../../../sdk/index.ts";
import { equal, ok } from "./assert.ts";
import { getRecord, sid } from "./worker-client.ts";
import type { SdkCase } from "./types.ts";

const tone = (rate: number, seconds: number) => {
  const pcm = new Int16Array(Math.round(rate * seconds));
  for (let i = 0; i < pcm.length; i++) pcm[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / rate));
  return pcm;
};

interface RecordAudio {
  key: string;
  sampleRate: number;
  channels: number;
  durationSeconds: number;
  bytes: number;
}

export const cases: SdkCase[] = [
  {
    name: "records two channels at different rates as one 16 kHz stereo WAV named by the record",
    async run(ctx) {
      const errors: Error[] = [];
      let clockMs = 0;
      const cekura = new CekuraTracer({
        apiKey: ctx.apiKey,
        agentId: ctx.agentId,
        ingestUrl: ctx.ingestUrl,
        onError: (e) => errors.push(e),
        // A simulated session clock (ms since observe()): the call's timeline without waiting for it.
        audio: { clock: () => clockMs },
      });
      const s = cekura.observe({ sessionId: sid(ctx, "audio") });
      clockMs = 500;
      s.audio("user", tone(16_000, 1), 16_000);
      clockMs = 2000;
      s.audio("assistant", tone(24_000, 1), 24_000);
      clockMs = 3000;
      s.transcript({ role: "user", text: "hello" });
      const status = await s.close({ reason: "customer-ended-call" });
      equal(status.state, "finalized", "close resolves finalized");
      equal(
        errors.map((e) => e.message),
        [],
        "no errors reported",
      );

      const record = await getRecord(ctx, s.id);
      const audio = record.audio as RecordAudio | null;
      ok(audio !== null, `the record names the call's audio: ${JSON.stringify(record.audio)}`);
      equal([audio.channels, audio.sampleRate], [2, 16_000], "stereo at the session's rate");
      ok(
        audio.durationSeconds >= 3 && audio.durationSeconds <= 3.5,
        `audio spans the call's 3 s of sound, got ${audio.durationSeconds} s`,
      );
      equal(
        audio.bytes,
        44 + Math.round(audio.durationSeconds * 16_000) * 4,
        "WAV size = 44-byte header + 4 bytes per stereo frame",
      );
      ok(audio.key.endsWith(".wav"), `audio key is a WAV: ${audio.key}`);
    },
  },
  {
    name: "track sessions record no audio: audio() is counted, never sent",
    async run(ctx) {
      const cekura = new CekuraTracer({ apiKey: ctx.apiKey, agentId: ctx.agentId, ingestUrl: ctx.ingestUrl });
      const s = cekura.track({ sessionId: sid(ctx, "track-audio") });
      s.audio("user", tone(16_000, 0.5), 16_000);
      equal(s.ignoredAudioSamples, 8000, "samples counted");
      equal((await s.close()).state, "finalized", "close resolves finalized");
      equal((await getRecord(ctx, s.id)).audio, null, "no audio in a track record");
    },
  },
];
