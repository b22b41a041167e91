import path from "node:path";
import type { NextConfig } from "next";

const config: NextConfig = {
  outputFileTracingRoot: path.resolve(import.meta.dirname),
  poweredByHeader: false,
  reactStrictMode: true,
};

export default config;
