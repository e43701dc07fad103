// With enableOtelTraces: false, a whole call never loads OpenTelemetry (Node loads its CommonJS builds,
// so they would show in the CommonJS module cache).
import { createRequire } from "node:module";
import { CekuraTracer } from "cekura-edge-tracer";

const { ingestUrl, apiKey, sessionId } = JSON.parse(process.argv[2]);
const tracer = new CekuraTracer({ apiKey, agentId: 4242, ingestUrl, enableOtelTraces: false });
const session = tracer.observe({ sessionId });
session.startTurn().end();
session.transcript({ role: "user", text: "no traces" });
const status = await session.close();
const loaded = Object.keys(createRequire(import.meta.url).cache).filter((path) => path.includes("@opentelemetry"));
console.log(`@@CALL ${JSON.stringify({ state: status.state, otelModules: loaded.length })}`);
