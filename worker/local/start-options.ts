/** Options of `npm start`: flags, or the same as environment variables. */

export interface StartOptions {
  /** No demo call: only the Worker and the stand-in, for a real agent to point at. */
  workerOnly: boolean;
  /** Demo calls played at once. */
  demoCount: number;
  /** Demo pace: the call's 75 s in about 4 s. */
  fast: boolean;
  port: number;
  apiKey: string;
}

export const START_USAGE = `usage: npm start -- [--worker-only] [--demo N] [--fast] [--port P]
  --worker-only   start the Worker and the Cekura stand-in only (env CEKURA_WORKER_ONLY=1)
  --demo N        play the demo call N times concurrently (env CEKURA_DEMO=N, default 1)
  --fast          play the demo faster than real time (env CEKURA_FAST=1)
  --port P        the Worker's port (env PORT, default 8787)
  env CEKURA_API_KEY: the demo's API key (default "local-demo-key"); CEKURA_DATA_DIR: state folder (default .data/)`;

const truthy = (v: string | undefined) => v !== undefined && /^(1|true|yes|on)$/i.test(v.trim());

export function parseStartOptions(argv: string[], env: Record<string, string | undefined>): StartOptions {
  const options: StartOptions = {
    workerOnly: truthy(env.CEKURA_WORKER_ONLY),
    demoCount: env.CEKURA_DEMO ? Number(env.CEKURA_DEMO) : 1,
    fast: truthy(env.CEKURA_FAST),
    port: Number(env.PORT ?? 8787),
    apiKey: env.CEKURA_API_KEY?.trim() || "local-demo-key",
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.includes("=")
      ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)]
      : [arg, undefined];
    const value = () => inline ?? argv[++i];
    if (flag === "--worker-only") options.workerOnly = true;
    else if (flag === "--fast") options.fast = true;
    else if (flag === "--demo") options.demoCount = Number(value());
    else if (flag === "--port") options.port = Number(value());
    else if (flag === "--help" || flag === "-h") throw new Error(START_USAGE);
    else throw new Error(`unknown option ${arg}\n${START_USAGE}`);
  }
  if (!Number.isInteger(options.demoCount) || options.demoCount < 1 || options.demoCount > 200)
    throw new Error(`--demo must be an integer from 1 to 200\n${START_USAGE}`);
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535)
    throw new Error(`--port must be a port number\n${START_USAGE}`);
  return options;
}
