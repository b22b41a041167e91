// GET /api/metrics: the fleet in Prometheus' text format, for the operator's own monitoring and
// alerts: nodes offline, images missing or failed where they should be, rollouts stuck. Read with
// the API token, like the rest of the REST API.
//
// One prom-client Registry per app (not the global one: tests run several servers in one process),
// with prom-client's default process, GC and event-loop metrics beside ours. Ours are gauges
// filled at scrape time from one read of the database.
import { collectDefaultMetrics, Gauge, Registry } from "prom-client";
import type { AppContext } from "../context.ts";

type MetricsContext = Pick<AppContext, "db" | "agents">;
type FleetSnapshot = Awaited<ReturnType<typeof readFleet>>;

const registries = new WeakMap<MetricsContext, Registry>();

/** The metrics text and the content type to serve it with. */
export async function scrapeMetrics(context: MetricsContext): Promise<{ text: string; contentType: string }> {
  const registry = registryFor(context);
  return { text: await registry.metrics(), contentType: registry.contentType };
}

function registryFor(context: MetricsContext): Registry {
  let registry = registries.get(context);
  if (!registry) {
    registry = createRegistry(context);
    registries.set(context, registry);
  }
  return registry;
}

function createRegistry(context: MetricsContext): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  // Every gauge's collect() runs in the same scrape: they share one read of the database.
  let pending: Promise<FleetSnapshot> | null = null;
  const fleet = () => {
    pending ??= readFleet(context).finally(() => {
      pending = null;
    });
    return pending;
  };
  const registers = [registry];

  new Gauge({
    name: "precache_hypervisors",
    help: "Hypervisors known to Precache, by whether their agent is connected.",
    labelNames: ["online"],
    registers,
    async collect() {
      const { hypervisors } = await fleet();
      for (const online of [true, false])
        this.set({ online: String(online) }, hypervisors.find((row) => row.online === online)?._count._all ?? 0);
    },
  });
  new Gauge({
    name: "precache_image_hypervisors",
    help: "Hypervisors per image and cache state (cached, downloading, pending, failed).",
    labelNames: ["image_id", "image", "state"],
    registers,
    async collect() {
      const { cells, names } = await fleet();
      this.reset();
      for (const row of cells) this.set({ image_id: row.imageId, image: names.get(row.imageId) ?? "", state: row.state }, row._count._all);
    },
  });
  new Gauge({
    name: "precache_image_published",
    help: "1 when the image has a ready artifact on the origin, else 0; status is Glance's.",
    labelNames: ["image_id", "image", "status"],
    registers,
    async collect() {
      const { images } = await fleet();
      this.reset();
      for (const image of images)
        this.set({ image_id: image.id, image: image.name, status: image.status }, image.artifact?.state === "ready" ? 1 : 0);
    },
  });
  new Gauge({
    name: "precache_artifact_bytes",
    help: "Size of each ready artifact (compressed) on the origin.",
    labelNames: ["image_id", "image"],
    registers,
    async collect() {
      const { images } = await fleet();
      this.reset();
      for (const { id, name, artifact } of images)
        if (artifact?.state === "ready" && artifact.compressedSize !== null)
          this.set({ image_id: id, image: name }, Number(artifact.compressedSize));
    },
  });
  new Gauge({
    name: "precache_rollout_targets",
    help: "Targets of running or paused rollouts, by target state.",
    labelNames: ["rollout_id", "image_id", "rollout_state", "state"],
    registers,
    async collect() {
      const { targets, rollouts } = await fleet();
      this.reset();
      for (const row of targets) {
        const rollout = rollouts.get(row.rolloutId)!;
        this.set({ rollout_id: row.rolloutId, image_id: rollout.imageId, rollout_state: rollout.state, state: row.state }, row._count._all);
      }
    },
  });
  new Gauge({
    name: "precache_agent_connections",
    help: "Agent sockets connected to this server.",
    registers,
    collect() {
      this.set(context.agents.onlineNames().length);
    },
  });
  // prom-client's defaults name it nodejs_heap_size_used_bytes; ours stays for existing dashboards.
  new Gauge({
    name: "nodejs_heap_used_bytes",
    help: "V8 heap in use.",
    registers,
    collect() {
      this.set(process.memoryUsage().heapUsed);
    },
  });
  return registry;
}

async function readFleet({ db }: MetricsContext) {
  const [hypervisors, cells, images, openRollouts] = await Promise.all([
    db.hypervisor.groupBy({ by: ["online"], _count: { _all: true } }),
    db.hypervisorImage.groupBy({ by: ["imageId", "state"], _count: { _all: true } }),
    db.image.findMany({ select: { id: true, name: true, status: true, artifact: { select: { state: true, compressedSize: true } } } }),
    db.rollout.findMany({ where: { state: { in: ["running", "paused"] } }, select: { id: true, imageId: true, state: true } }),
  ]);
  const targets = openRollouts.length
    ? await db.rolloutTarget.groupBy({
        by: ["rolloutId", "state"],
        where: { rolloutId: { in: openRollouts.map((r) => r.id) } },
        _count: { _all: true },
      })
    : [];
  return {
    hypervisors,
    cells,
    images,
    targets,
    names: new Map(images.map((image) => [image.id, image.name])),
    rollouts: new Map(openRollouts.map((rollout) => [rollout.id, rollout])),
  };
}
