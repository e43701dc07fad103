/**
 * Where the Worker's CPU goes: the Worker runs on workerd through Miniflare with its inspector open,
 * receives a burst of one request kind (20 in flight), and V8's sampling profiler reports the
 * functions with the most samples (self and inclusive). A diagnostic for the capacity figures.
 *
 * Run: `npx tsx bench/profile-worker.ts [audio|fragment] [requests=1500] [audioSeconds=5]`.
 */
import { WebSocket } from "undici";
import { freePort } from "../worker/local/ports.ts";
import { audioChunkHeaders, eventsOfSecond, fragmentBody, stereoPcm } from "./lib/call-model.ts";
import { startWorkerMiniflare } from "./lib/miniflare-worker.ts";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

const kind = process.argv[2] === "fragment" ? "fragment" : "audio";
const requests = Number(process.argv[3] ?? 1500);
const pcm = stereoPcm(Number(process.argv[4] ?? 5));
const inspectorPort = await freePort();
const worker = await startWorkerMiniflare({}, undefined, { inspectorPort });
const targets = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json/list`)).json()) as {
  title: string;
  webSocketDebuggerUrl: string;
}[];
const target = targets.find((t) => t.title.includes("core:user"));
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

const headers = { authorization: "Bearer bench-profile-key" };
const startedAt = new Date().toISOString();
const events = eventsOfSecond(1, Date.now());
async function burst(n: number, tag: string): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: 20 }, async () => {
      while (next < n) {
        const i = next++;
        const session = `${worker.url}/v1/sessions/p-${tag}-${i % 20}`;
        const response =
          kind === "audio"
            ? await fetch(`${session}/audio/${Math.floor(i / 20)}`, {
                method: "PUT",
                headers: { ...headers, ...audioChunkHeaders(startedAt) },
                body: pcm,
              })
            : await fetch(`${session}/fragments`, {
                method: "POST",
                headers: { ...headers, "content-type": "application/json" },
                body: fragmentBody(Math.floor(i / 20), events, startedAt),
              });
        await response.text();
      }
    }),
  );
}

try {
  await burst(Math.min(400, requests), "warm");
  await send("Profiler.enable");
  await send("Profiler.setSamplingInterval", { interval: 100 });
  await send("Profiler.start");
  await burst(requests, "profiled");
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
  console.log(
    `${kind}: ${requests} requests; samples ${total} (lines refer to the bundle)\n-- self\n${top(self)}\n-- inclusive\n${top(inclusive)}`,
  );
} finally {
  socket.close();
  await worker.stop();
}
