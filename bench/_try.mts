import { startWorkerMiniflare, startEchoMiniflare, cpuSeconds } from "./lib/miniflare-worker.ts";
const t0 = performance.now();
const w = await startWorkerMiniflare();
console.log("worker", w.url, w.pid, (performance.now()-t0)|0);
console.log(await (await fetch(w.url + "/healthz")).text());
const e = await startEchoMiniflare();
console.log("echo", e.url, e.pid, await (await fetch(e.url + "/healthz")).text(), cpuSeconds(w.pid));
await w.stop(); await e.stop();
