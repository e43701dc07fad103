// The call every consumer makes, the same in every runtime: one turn with an LLM step between two transcript lines.
import { CekuraTracer } from "cekura-edge-tracer";

/** Runs the call and closes the session; returns its final state, its stats and every warning the SDK reported. */
export async function agentCall({ ingestUrl, apiKey, sessionId, runtime }) {
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
  return { state: status.state, stats: session.stats(), warnings };
}
