// Size budgets of the SDK package as a Worker gets it: the built entry (sdk/dist, `npm run build:sdk`)
// bundled by esbuild for the browser platform, minified, gzipped. `npm run size` checks them.
const asWorker = (config) => ({ ...config, platform: "browser", format: "esm" });

/** Leaves the lazily imported span chunk out: what loads when enableOtelTraces is false. */
const withoutTraces = (config) => ({
  ...asWorker(config),
  plugins: [
    {
      name: "lazy-traces-chunk",
      setup(build) {
        build.onResolve({ filter: /chunks\/addon-/ }, (args) =>
          args.kind === "dynamic-import" ? { path: args.path, external: true } : undefined,
        );
      },
    },
  ],
});

export default [
  {
    name: "SDK entry (traces off: the span chunk not loaded)",
    path: "sdk/dist/index.js",
    gzip: true,
    limit: "24 KB",
    modifyEsbuildConfig: withoutTraces,
  },
  {
    name: "SDK entry with traces (the lazy span chunk included)",
    path: "sdk/dist/index.js",
    gzip: true,
    limit: "30 KB",
    modifyEsbuildConfig: asWorker,
  },
];
