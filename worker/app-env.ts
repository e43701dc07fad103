import type { Env } from "./env.ts";

/** Hono's environment for this app: the Worker bindings plus what middleware sets. */
export interface AppEnv {
  Bindings: Env;
  Variables: { tenant: string; apiKey: string };
}
