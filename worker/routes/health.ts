import { Hono } from "hono";
import { PROTOCOL_VERSION } from "../../sdk/protocol.ts";
import type { AppEnv } from "../app-env.ts";

export const healthRoutes = new Hono<AppEnv>().get("/healthz", (c) => c.json({ ok: true, protocol: PROTOCOL_VERSION }));
