/**
 * Entry for Deno and Bun: runs the shared SDK suite against the Worker named in argv[0] (JSON) and
 * prints one `@@RESULTS <json>` line. The SDK is imported as unbundled TypeScript.
 */
import { runCases } from "../sdk/cases/run.ts";

const g = globalThis as { Deno?: { args: string[] }; process?: { argv: string[] } };
const args = g.Deno?.args ?? g.process?.argv.slice(2) ?? [];
const base = JSON.parse(args[0] ?? "{}");
const results = await runCases(base, args[1]);
console.log(`@@RESULTS ${JSON.stringify(results)}`);
