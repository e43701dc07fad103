/**
 * The scripted demo call, played through the public SDK against a running Worker: eight turns with
 * an interruption, two tool calls with results, logs, metadata, OTel spans (turn -> stt/llm/tts) and
 * ~75 s of synthetic two-channel audio. `fast` compresses wall-clock time; the call's own timeline
 * (transcript times, audio) stays the same.
 */
import { CekuraTracer } from "../../sdk/index.ts";
import type { ServiceSpanHandle, TurnHandle } from "../../sdk/otel/types.ts";
import { BARGE_IN_OVERLAP_SECONDS, layoutTurns, type TimedTurn } from "./demo-script.ts";
import { synthesize } from "./synth-voice.ts";

export interface DemoCallOptions {
  ingestUrl: string;
  apiKey: string;
  agentId?: number;
  sessionId?: string;
  /** Wall clock runs this many times faster than the call (1 = real time). */
  speedup?: number;
  sampleRate?: number;
  /** Progress lines; silent by default. */
  log?: (line: string) => void;
  /** Extra custom metadata (e.g. which replay this is). */
  metadata?: Record<string, unknown>;
}

export interface DemoCallResult {
  sessionId: string;
  state: string;
  forwardStatus: string;
  audioSeconds: number;
  turns: number;
}

const AUDIO_CHUNK_SECONDS = 0.1;

interface Step {
  at: number;
  run: () => void;
}

export async function runDemoCall(options: DemoCallOptions): Promise<DemoCallResult> {
  const speedup = Math.max(1, options.speedup ?? 1);
  const sampleRate = options.sampleRate ?? 16000;
  const log = options.log ?? (() => {});
  const { turns, totalSeconds } = layoutTurns();

  const tracer = new CekuraTracer({
    apiKey: options.apiKey,
    agentId: options.agentId ?? 42,
    ingestUrl: options.ingestUrl,
    enableOtelTraces: true,
    // Many concurrent replays push ~5 MB of audio each faster than real time: give delivery room.
    flushTimeoutMs: 300_000,
    closeTimeoutMs: 60_000,
    onError: (error) => log(`  sdk error: ${error.message}`),
  });
  const session = tracer.observe({
    ...(options.sessionId ? { sessionId: options.sessionId } : {}),
    customMetadata: { demo: true, customer: "Jamie Doe", channel: "phone", language: "en-GB", ...options.metadata },
  });
  const callStart = Date.now();
  const at = (seconds: number) => callStart + Math.round(seconds * 1000);
  log(
    `session ${session.id}: ${turns.length} turns, ${totalSeconds.toFixed(1)} s of call${speedup > 1 ? ` (played ${speedup}x faster)` : ""}`,
  );
  session.log("info", "call connected", { from: "+44 20 7946 0000", agent: "support-bot" });

  // Both channels are synthesized up front (equal length, one clock) and sent in 100 ms chunks as time passes.
  const totalSamples = Math.ceil(totalSeconds * sampleRate);
  const user = new Int16Array(totalSamples);
  const assistant = new Int16Array(totalSamples);
  synthesize(
    user,
    sampleRate,
    turns.map((t) => ({ start: t.userStart, end: t.userEnd })),
    125,
    7,
  );
  synthesize(
    assistant,
    sampleRate,
    turns.map((t) => ({ start: t.assistantStart, end: t.assistantEnd })),
    205,
    11,
  );

  const steps: Step[] = [];
  for (const turn of turns) steps.push(...turnSteps(session, turn, at, log, turns.length));
  const chunk = Math.round(AUDIO_CHUNK_SECONDS * sampleRate);
  let audioSent = 0;
  for (let from = 0; from < totalSamples; from += chunk) {
    const to = Math.min(totalSamples, from + chunk);
    steps.push({
      at: to / sampleRate,
      run: () => {
        // `at` places the chunk on the call's clock (so --fast keeps the audio aligned with the transcript).
        const chunkAt = at(from / sampleRate);
        session.audio("user", user.subarray(from, to), sampleRate, chunkAt);
        session.audio("assistant", assistant.subarray(from, to), sampleRate, chunkAt);
        audioSent = to / sampleRate;
      },
    });
  }
  steps.sort((a, b) => a.at - b.at);

  const wallStart = performance.now();
  let lastReport = 0;
  for (const step of steps) {
    const due = (step.at * 1000) / speedup - (performance.now() - wallStart);
    if (due > 0) await new Promise((r) => setTimeout(r, due));
    step.run();
    if (audioSent - lastReport >= 15) {
      lastReport = audioSent;
      log(`  ${audioSent.toFixed(0)} s of audio recorded`);
    }
  }
  session.setCustomMetadata({ resolution: "upgraded_to_express", satisfied: true });
  session.log("info", "call ended by customer", { turns: turns.length });
  log(
    "  audio placement: both channels were given an explicit `at` on the call's clock, which wins over the placement rule;" +
      " audio given without one is placed in runs held 300 ms, and session.interruptAudio() cuts a barge-in (docs/audio.md)",
  );
  log(`  closing the session (flushes events, audio and spans) ...`);
  const status = await session.close({ reason: "customer-ended-call" });
  return {
    sessionId: session.id,
    state: status.state,
    forwardStatus: status.forward.status,
    audioSeconds: totalSamples / sampleRate,
    turns: turns.length,
  };
}

type DemoSession = ReturnType<CekuraTracer["observe"]>;

/** One turn: spans (turn -> stt/llm/tts, tool_call), transcript, tool call + result, logs. */
function turnSteps(
  session: DemoSession,
  turn: TimedTurn,
  at: (s: number) => number,
  log: (l: string) => void,
  count: number,
): Step[] {
  let t: TurnHandle | undefined;
  let stt: ServiceSpanHandle | undefined;
  let llm: ServiceSpanHandle | undefined;
  let tts: ServiceSpanHandle | undefined;
  const n = turn.index + 1;
  const llmDone = turn.userEnd + turn.latency * 0.75;
  const steps: Step[] = [
    {
      at: turn.userStart,
      run: () => {
        t = session.startTurn();
        stt = t.stt({ provider: "deepgram", model: "nova-3", language: "en-GB" });
      },
    },
    {
      at: turn.userEnd + 0.15,
      run: () => {
        stt
          ?.ttfb(0.12 + 0.02 * (n % 3))
          .text(turn.user, { isFinal: true })
          .end();
        session.transcript({ role: "user", text: turn.user, startedAt: at(turn.userStart), endedAt: at(turn.userEnd) });
        log(`  turn ${n}/${count} user: ${turn.user}`);
        llm = t?.llm({ provider: "openai", model: "gpt-4o-mini", tools: ["lookup_order", "upgrade_shipping"] });
        llm?.input([{ role: "user", content: turn.user }]);
      },
    },
  ];
  if (turn.tool) {
    const tool = turn.tool;
    const id = `call_${n}_${tool.name}`;
    steps.push(
      {
        at: turn.userEnd + turn.latency * 0.35,
        run: () => {
          // The SDK makes this a `tool_call` span under the open turn as well.
          session.toolCall({ id, name: tool.name, arguments: tool.arguments });
          log(`    tool call ${tool.name}(${JSON.stringify(tool.arguments)})`);
        },
      },
      {
        at: turn.userEnd + turn.latency * 0.55,
        run: () => {
          session.toolResult({ id, name: tool.name, result: tool.result });
          session.log("info", `tool ${tool.name} answered`, { toolCallId: id });
        },
      },
    );
  }
  steps.push(
    {
      at: llmDone,
      run: () => {
        llm
          ?.ttfb(0.28 + 0.03 * (n % 4))
          .text(turn.assistant)
          .usage({ inputTokens: 180 + 40 * n, outputTokens: 20 + turn.assistant.length / 5 })
          .end();
        tts = t?.tts({ provider: "cartesia", model: "sonic-2", voiceId: "support-en-gb-f" });
      },
    },
    {
      at: turn.assistantStart,
      run: () => void tts?.ttfb(turn.assistantStart - llmDone),
    },
    {
      // An interrupted turn ends when the user barges in (the next turn starts right after).
      at: turn.interruptedAfter !== undefined ? turn.assistantEnd - BARGE_IN_OVERLAP_SECONDS : turn.assistantEnd,
      run: () => {
        const interrupted = turn.interruptedAfter !== undefined;
        const spoken = interrupted
          ? turn.assistant.slice(
              0,
              Math.round((turn.assistant.length * turn.interruptedAfter!) / turn.assistantSeconds),
            ) + " -"
          : turn.assistant;
        tts?.text(spoken).end();
        t?.end({ interrupted, userBotLatencySeconds: turn.latency });
        session.transcript({
          role: "assistant",
          text: spoken,
          startedAt: at(turn.assistantStart),
          endedAt: at(turn.assistantEnd),
        });
        log(`  turn ${n}/${count} assistant${interrupted ? " (interrupted)" : ""}: ${spoken}`);
        if (interrupted)
          session.log("warn", "user interrupted the assistant", { turn: n, spokenSeconds: turn.interruptedAfter });
      },
    },
  );
  return steps;
}
