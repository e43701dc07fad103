// A user's agent as plain JavaScript: the installed package only, no TypeScript loader.
// Usage: <runtime> call.mjs '{"ingestUrl":"...","apiKey":"...","sessionId":"...","runtime":"node"}'
import { SessionClosedError } from "cekura-edge-tracer";
import { agentCall } from "./agent-call.mjs";

const settings = JSON.parse(globalThis.Deno ? Deno.args[0] : process.argv[2]);
const outcome = await agentCall(settings);
const adapters = {};
// The LiveKit adapter extends LiveKit's own classes, so it loads only where its peer @livekit/agents
// (a Node framework) is installed; the other adapters need nothing.
const subpaths = [
  ["event-stream", "observeEventStream"],
  ["openai-realtime", "observeRealtimeSession"],
  ["ai-sdk", "observeAiSdk"],
  ["twilio", "observeTwilioStream"],
];
if (settings.withLiveKit) subpaths.push(["livekit", "observeLiveKitSession"]);
for (const [subpath, name] of subpaths) {
  adapters[subpath] = typeof (await import(`cekura-edge-tracer/${subpath}`))[name];
}
console.log(`@@CALL ${JSON.stringify({ ...outcome, adapters, errors: typeof SessionClosedError })}`);
