// A user's agent as plain JavaScript: the installed package only, no TypeScript loader.
// Usage: <runtime> call.mjs '{"ingestUrl":"...","apiKey":"...","sessionId":"...","runtime":"node"}'
import { CekuraTracer, SessionClosedError } from "cekura-edge-tracer";

const { ingestUrl, apiKey, sessionId, runtime, withLiveKit } = JSON.parse(
  globalThis.Deno ? Deno.args[0] : process.argv[2],
);
const warnings = [];
const tracer = new CekuraTracer({
  apiKey,
  agentId: 4242,
  ingestUrl,
  onError: (error) => warnings.push(`${error.code}: ${error.message}`),
});
const session = tracer.observe({ sessionId, customMetadata: { runtime } });
const turn = session.startTurn();
session.transcript({ role: "user", text: `hello from ${runtime}` });
turn.llm({ provider: "openai", model: "gpt-4o" }).text("hi").end();
session.transcript({ role: "assistant", text: `hi, ${runtime}` });
turn.end();
const status = await session.close();
const adapters = {};
// The LiveKit adapter extends LiveKit's own classes, so it loads only where its peer @livekit/agents
// (a Node framework) is installed; the other adapters need nothing.
const subpaths = [
  ["event-stream", "observeEventStream"],
  ["openai-realtime", "observeRealtimeSession"],
  ["ai-sdk", "observeAiSdk"],
  ["twilio", "observeTwilioStream"],
];
if (withLiveKit) subpaths.push(["livekit", "observeLiveKitSession"]);
for (const [subpath, name] of subpaths) {
  adapters[subpath] = typeof (await import(`cekura-edge-tracer/${subpath}`))[name];
}
console.log(
  `@@CALL ${JSON.stringify({ state: status.state, stats: session.stats(), warnings, adapters, errors: typeof SessionClosedError })}`,
);
