/**
 * Where the Worker's CPU goes: the Worker runs on workerd through Miniflare with its inspector open,
 * receives a burst of requests (20 in flight), and V8's sampling profiler reports the
 * functions with the most samples (self and inclusive). A diagnostic for the capacity figures.
 *
 * Run: `npx tsx bench/profile-worker.ts [call|fragment|audio] [requests=1500] [callSeconds=20]` (the bursts
 * of bench/lib/call-burst.ts: `call` sends the call model in new sessions of 20 s of call, as a 5x capacity level does).
 */
import { WebSocket } from "undici";
import { freePort } from "../worker/local/ports.ts";
import { BURST_KINDS, burst, type BurstOptions } from "./lib/call-burst.ts";
import { startWorkerMiniflare } from "./lib/miniflare-worker.ts";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

const options: BurstOptions = {
  kind: BURST_KINDS.find((k) => k === process.argv[2]) ?? "call",
  requests: Number(process.argv[3] ?? 1500),
  inFlight: 20,
  callSeconds: Number(process.argv[4] ?? 20),
};
const inspectorPort = await freePort();
const worker = await startWorkerMiniflare({}, undefined, { inspectorPort });
const targets = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json/list`)).json()) as {
  title: string;
  webSocketDebuggerUrl: string;
}[];
// PROFILE_TARGET=r2:bucket profiles another of workerd's isolates (say, Miniflare's local R2) instead of the Worker's.
const wanted = process.env.PROFILE_TARGET ?? "core:user";
const target = targets.find((t) => t.title.endsWith(wanted)) ?? targets.find((t) => t.title.includes(wanted));
if (!target) throw new Error(`no user worker among the inspector targets: ${targets.map((t) => t.title).join(", ")}`);

const socket = new WebSocket(target.webSocketDebuggerUrl);
await new Promise((resolve) => socket.addEventListener("open", resolve));
let nextId = 0;
const pending = new Map<number, (result: unknown) => void>();
socket.addEventListener("message", (event) => {
  const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown };
  if (message.id !== undefined) pending.get(message.id)?.(message.result);
});
const send = <T>(method: string, params: object = {}) =>
  new Promise<T>((resolve) => {
    const id = ++nextId;
    pending.set(id, resolve as (r: unknown) => void);
    socket.send(JSON.stringify({ id, method, params }));
  });

try {
  await burst(worker.url, "warm", { ...options, requests: Math.min(400, options.requests) });
  await send("Profiler.enable");
  await send("Profiler.setSamplingInterval", { interval: 100 });
  await send("Profiler.start");
  await burst(worker.url, "profiled", options);
  const { profile } = await send<{ profile: { nodes: ProfileNode[] } }>("Profiler.stop");
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const name = (n: ProfileNode) =>
    `${n.callFrame.functionName || "(anonymous)"} ${n.callFrame.url.split("/").pop() ?? ""}:${n.callFrame.lineNumber + 1}`;
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  for (const n of profile.nodes) {
    self.set(name(n), (self.get(name(n)) ?? 0) + (n.hitCount ?? 0));
    total += n.hitCount ?? 0;
  }
  const walk = (n: ProfileNode): number => {
    const sum = (n.hitCount ?? 0) + (n.children ?? []).reduce((s, c) => s + walk(byId.get(c)!), 0);
    inclusive.set(name(n), (inclusive.get(name(n)) ?? 0) + sum);
    return sum;
  };
  walk(profile.nodes[0]!);
  const top = (map: Map<string, number>) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 25)
      .map(([k, v]) => `${((100 * v) / total).toFixed(1).padStart(5)} %  ${k}`)
      .join("\n");
  // PROFILE_CALLERS=exec: whose calls a native function's self samples came from.
  const callersOf = process.env.PROFILE_CALLERS;
  let callers = "";
  if (callersOf) {
    const parentOf = new Map<number, ProfileNode>();
    for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n);
    const counts = new Map<string, number>();
    for (const n of profile.nodes) {
      if (n.callFrame.functionName !== callersOf || !n.hitCount) continue;
      const chain: string[] = [];
      for (let p = parentOf.get(n.id); p && chain.length < 3; p = parentOf.get(p.id)) chain.push(name(p));
      counts.set(chain.join(" < "), (counts.get(chain.join(" < ")) ?? 0) + n.hitCount);
    }
    callers = `\n-- callers of ${callersOf}\n${top(counts)}`;
  }
  console.log(
    `${options.kind}: ${options.requests} requests; samples ${total} (lines refer to the bundle)\n-- self\n${top(self)}\n-- inclusive\n${top(inclusive)}${callers}`,
  );
} finally {
  socket.close();
  await worker.stop();
}
