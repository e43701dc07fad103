/** What the SDK adds for Cekura in every runtime: its own facts, and metadata checked before it is sent. */
import { ValidationError } from "../../../sdk/index.ts";
import { equal, ok, reports, throws } from "./assert.ts";
import { caseTracer } from "./tracer.ts";
import type { SdkCase } from "./types.ts";
import { getRecord, sid } from "./worker-client.ts";

export const cases: SdkCase[] = [
  {
    name: "the record names the SDK and the runtime it ran on",
    async run(ctx) {
      const { cekura } = caseTracer(ctx, { enableOtelTraces: false });
      const s = cekura.observe({ sessionId: sid(ctx, "sdk-facts") });
      s.transcript({ role: "user", text: "hello" });
      await s.close();
      const sdk = (await getRecord(ctx, s.id)).sdk as {
        name: string;
        version: string;
        runtime: string;
        runtimeVersion?: string;
      };
      equal([sdk.name, sdk.runtime], ["cekura-edge-tracer", ctx.runtime], "sdk name and runtime");
      ok(/^\d+\.\d+\.\d+/.test(sdk.version), `sdk version: ${sdk.version}`);
      // workerd does not tell a Worker its version; the others do.
      ok(
        ctx.runtime === "workerd" ? sdk.runtimeVersion === undefined : /^\d+\.\d+/.test(sdk.runtimeVersion ?? ""),
        `runtime version: ${sdk.runtimeVersion}`,
      );
    },
  },
  {
    name: "badly typed lifted metadata is a ValidationError naming the field",
    async run(ctx) {
      const { cekura, errors } = caseTracer(ctx, { enableOtelTraces: false });
      const s = cekura.observe({ sessionId: sid(ctx, "lifted") });
      const error = reports(
        errors,
        () => s.setCustomMetadata({ customer_number: 15550001111 }),
        ValidationError,
        /customer_number must be a string/,
        "number",
      );
      equal((error as ValidationError).field, "customer_number", "field");
      throws(
        () => cekura.track({ customMetadata: { run_id: 7 } }),
        ValidationError,
        /run_id must be a string/,
        "track run_id",
      );
      await s.abort();
    },
  },
];
