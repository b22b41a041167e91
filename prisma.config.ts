// Prisma CLI config: offline JS engine with a driver adapter (PGlite by default, Postgres with DATABASE_URL).
import path from "node:path";
import { defineConfig } from "prisma/config";

export default defineConfig({
  engine: "js",
  experimental: { adapter: true },
  schema: path.join("prisma", "schema.prisma"),
  migrations: { path: path.join("prisma", "migrations") },
  async adapter() {
    const url = process.env.DATABASE_URL;
    if (url && process.env.PRECACHE_PRISMA_PGLITE !== "1") {
      const { PrismaPg } = await import("@prisma/adapter-pg");
      return new PrismaPg({ connectionString: url });
    }
    const { PGlite } = await import("@electric-sql/pglite");
    const { PrismaPGlite } = await import("pglite-prisma-adapter");
    const dir = path.resolve(process.env.PRECACHE_DATA_DIR ?? "data", "pglite");
    (await import("node:fs")).mkdirSync(dir, { recursive: true });
    // pglite-prisma-adapter is typed against an older driver-adapter-utils; the runtime contract matches.
    return new PrismaPGlite(new PGlite(dir)) as never;
  },
});
