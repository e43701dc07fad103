// A user's Worker: the installed package bundled by wrangler. POST / with the call's settings.
import { CekuraTracer } from "cekura-edge-tracer";
import { observeEventStream } from "cekura-edge-tracer/event-stream";
import { observeRealtimeSession } from "cekura-edge-tracer/openai-realtime";
import { observeTwilioStream } from "cekura-edge-tracer/twilio";
import { observeAiSdk } from "cekura-edge-tracer/ai-sdk";

export default {
  async fetch(request) {
    const { ingestUrl, apiKey, sessionId, runtime } = await request.json();
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
    const adapters = {
      "event-stream": typeof observeEventStream,
      "openai-realtime": typeof observeRealtimeSession,
      twilio: typeof observeTwilioStream,
      "ai-sdk": typeof observeAiSdk,
    };
    return Response.json({ state: status.state, stats: session.stats(), warnings, adapters, errors: "function" });
  },
};
