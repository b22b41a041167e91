// GET /api/metrics: the fleet in Prometheus' text format (exposition format 0.0.4), for the
// operator's own monitoring and alerts: nodes offline, images missing or failed where they
// should be, rollouts stuck. Read with the API token, like the rest of the REST API.
import type { AppContext } from "../context.ts";

type Sample = { labels?: Record<string, string>; value: number };
type Family = { name: string; help: string; type: "gauge" | "counter"; samples: Sample[] };

export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export async function renderMetrics(context: Pick<AppContext, "db" | "agents">): Promise<string> {
  const { db } = context;
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
  const names = new Map(images.map((image) => [image.id, image.name]));
  const rollouts = new Map(openRollouts.map((rollout) => [rollout.id, rollout]));
  const memory = process.memoryUsage();
  const cpu = process.cpuUsage();

  const families: Family[] = [
    {
      name: "precache_hypervisors",
      help: "Hypervisors known to Precache, by whether their agent is connected.",
      type: "gauge",
      samples: [true, false].map((online) => ({
        labels: { online: String(online) },
        value: hypervisors.find((row) => row.online === online)?._count._all ?? 0,
      })),
    },
    {
      name: "precache_image_hypervisors",
      help: "Hypervisors per image and cache state (cached, downloading, pending, failed).",
      type: "gauge",
      samples: cells.map((row) => ({
        labels: { image_id: row.imageId, image: names.get(row.imageId) ?? "", state: row.state },
        value: row._count._all,
      })),
    },
    {
      name: "precache_image_published",
      help: "1 when the image has a ready artifact on the origin, else 0; status is Glance's.",
      type: "gauge",
      samples: images.map((image) => ({
        labels: { image_id: image.id, image: image.name, status: image.status },
        value: image.artifact?.state === "ready" ? 1 : 0,
      })),
    },
    {
      name: "precache_artifact_bytes",
      help: "Size of each ready artifact (compressed) on the origin.",
      type: "gauge",
      samples: images
        .filter((image) => image.artifact?.state === "ready" && image.artifact.compressedSize !== null)
        .map((image) => ({ labels: { image_id: image.id, image: image.name }, value: Number(image.artifact!.compressedSize) })),
    },
    {
      name: "precache_rollout_targets",
      help: "Targets of running or paused rollouts, by target state.",
      type: "gauge",
      samples: targets.map((row) => {
        const rollout = rollouts.get(row.rolloutId)!;
        return {
          labels: { rollout_id: row.rolloutId, image_id: rollout.imageId, rollout_state: rollout.state, state: row.state },
          value: row._count._all,
        };
      }),
    },
    {
      name: "precache_agent_connections",
      help: "Agent sockets connected to this server.",
      type: "gauge",
      samples: [{ value: context.agents.onlineNames().length }],
    },
    {
      name: "process_resident_memory_bytes",
      help: "Resident memory of the server process.",
      type: "gauge",
      samples: [{ value: memory.rss }],
    },
    { name: "nodejs_heap_used_bytes", help: "V8 heap in use.", type: "gauge", samples: [{ value: memory.heapUsed }] },
    {
      name: "process_cpu_seconds_total",
      help: "User and system CPU time of the server process.",
      type: "counter",
      samples: [{ value: (cpu.user + cpu.system) / 1e6 }],
    },
  ];
  return families.map(renderFamily).join("");
}

function renderFamily(family: Family): string {
  const lines = [`# HELP ${family.name} ${family.help}`, `# TYPE ${family.name} ${family.type}`];
  for (const sample of family.samples) lines.push(`${family.name}${renderLabels(sample.labels)} ${sample.value}`);
  return `${lines.join("\n")}\n`;
}

function renderLabels(labels: Record<string, string> | undefined): string {
  if (!labels) return "";
  const pairs = Object.entries(labels).map(
    ([key, value]) => `${key}="${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`,
  );
  return `{${pairs.join(",")}}`;
}
