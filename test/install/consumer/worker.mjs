// A user's Worker: the installed package bundled by wrangler. POST / with the call's settings.
import { observeEventStream } from "cekura-edge-tracer/event-stream";
import { observeRealtimeSession } from "cekura-edge-tracer/openai-realtime";
import { observeTwilioStream } from "cekura-edge-tracer/twilio";
import { observeAiSdk } from "cekura-edge-tracer/ai-sdk";
import { agentCall } from "./agent-call.mjs";

export default {
  async fetch(request) {
    const outcome = await agentCall(await request.json());
    const adapters = {
      "event-stream": typeof observeEventStream,
      "openai-realtime": typeof observeRealtimeSession,
      twilio: typeof observeTwilioStream,
      "ai-sdk": typeof observeAiSdk,
    };
    return Response.json({ ...outcome, adapters, errors: "function" });
  },
};
