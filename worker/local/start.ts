/**
 * `npm start`: the Worker on local workerd with Durable Objects and R2 persisted under .data/,
 * printed URL, Ctrl-C to stop. A second start reuses the data.
 */
import { join } from "node:path";
import { REPO_ROOT, startLocalWorker } from "./local-worker.ts";

const port = Number(process.env.PORT ?? 8787);
const persistTo = process.env.CEKURA_DATA_DIR ?? join(REPO_ROOT, ".data");

console.log(`starting the ingestion Worker on workerd (state in ${persistTo}) ...`);
const worker = await startLocalWorker({ port, persistTo });
console.log(`\nWorker ready: ${worker.url}`);
console.log(`  health:  ${worker.url}/healthz`);
console.log(`  send:    POST ${worker.url}/v1/sessions/<id>/fragments  (Authorization: Bearer <any key>)`);
console.log("\nCtrl-C to stop.");

const stop = async () => {
  console.log("\nstopping ...");
  await worker.stop();
  process.exit(0);
};
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
