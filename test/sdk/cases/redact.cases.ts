/** Redaction in the SDK (sdk/redact.ts): what leaves the process is already redacted, in every runtime. */
import { CekuraTracer, type FetchLike } from "../../../sdk/index.ts";
import { equal, ok } from "./assert.ts";
import { getRecord, sid } from "./worker-client.ts";
import type { SdkCase } from "./types.ts";

/** Request bodies as sent (gzip is off, so they can be read as text). */
function recording(): { fetch: FetchLike; bodies: string[] } {
  const bodies: string[] = [];
  return {
    bodies,
    fetch: async (input, init) => {
      const request = new Request(input, init);
      bodies.push(await request.clone().text());
      return fetch(request);
    },
  };
}

export const cases: SdkCase[] = [
  {
    name: "redacts chosen fields and detected values before they leave the process",
    async run(ctx) {
      const wire = recording();
      const cekura = new CekuraTracer({
        apiKey: ctx.apiKey,
        agentId: ctx.agentId,
        ingestUrl: ctx.ingestUrl,
        fetch: wire.fetch,
        compression: false,
        enableOtelTraces: false,
      });
      const email = `pat.${ctx.uid}@example.com`;
      const card = "4111 1111 1111 1111";
      const token = `tok-${ctx.uid}`;
      const s = cekura.observe({
        sessionId: sid(ctx, "redact"),
        redact: {
          detectors: ["email", "card"],
          fields: ["payment.token"],
          patterns: [{ name: "ticket", pattern: "TKT-\\d{4}" }],
        },
      });
      s.transcript({ role: "user", text: `I am ${email}, card ${card}, ticket TKT-1234` });
      s.toolCall({ id: "c1", name: "pay", arguments: { payment: { token, last4: "1111" } } });
      s.toolResult({ id: "c1", result: { ok: true } });
      s.log("info", `receipt to ${email}`);
      s.setCustomMetadata({ payment: { token } });
      equal((await s.close()).state, "finalized", "the call is finalized");
      const sent = wire.bodies.join("\n");
      ok(sent.includes("[REDACTED:card]"), "the SDK sent the transcript (redacted)");
      for (const value of [email, card, token, "TKT-1234"])
        ok(!sent.includes(value), `"${value}" must not leave the process`);
      const record = await getRecord(ctx, s.id);
      equal(
        record.transcript[0]!.text,
        "I am [REDACTED:email], card [REDACTED:card], ticket [REDACTED:ticket]",
        "transcript as stored",
      );
      equal(
        JSON.parse(record.toolCalls[0]!.arguments!),
        { payment: { token: "[REDACTED:field]", last4: "1111" } },
        "tool arguments as stored",
      );
      equal(record.metadata.payment, { token: "[REDACTED:field]" }, "custom metadata as stored");
    },
  },
];
