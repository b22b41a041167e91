import path from "node:path";
import type { NextConfig } from "next";

const config: NextConfig = {
  // Type errors are caught by `npm run typecheck` (part of `npm test`), not at every start.
  typescript: { ignoreBuildErrors: true },
  outputFileTracingRoot: path.resolve(import.meta.dirname),
  poweredByHeader: false,
  reactStrictMode: true,
};

export default config;
