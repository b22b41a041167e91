// The fuzz loop: case i of seed s is drawn on its own (so it reproduces alone), sent over HTTP,
// raw TCP or an agent socket, and judged: no status ≥ 500, nothing unanswered after 5 s, health
// answering throughout, RSS sampled. Failures carry the seed and the case.
import http from "node:http";
import { AgentPool } from "./agent-pool.ts";
import { connectAgent, helloFor, sayHello, type RawAgent } from "./agent-socket.ts";
import { caseRng } from "./prng.ts";
import { rawExchange } from "./raw-http.ts";
import { restCase, type KnownValues, type RestCase } from "./rest-cases.ts";
import { routeTemplates } from "./route-templates.ts";
import { socketCase } from "./socket-cases.ts";

export type FuzzOptions = {
  url: string;
  seed: number;
  cases: number;
  apiToken: string;
  agentToken: string;
  concurrency?: number;
  /** Only this case (to reproduce one). */
  only?: number;
  rssMiB?: () => number | null;
  isServerAlive?: () => boolean;
};
export type FuzzFailure = { seed: number; index: number; problem: string; case: string };
export type FuzzReport = {
  seed: number;
  cases: number;
  seconds: number;
  statuses: Record<string, number>;
  maxLatencyMs: number;
  slowestHealthMs: number;
  rss: { startMiB: number | null; peakMiB: number | null; endMiB: number | null };
  failures: FuzzFailure[];
};

const ANSWER_WITHIN_MS = 5000;
const SOCKET_SHARE = 0.3;

export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const started = performance.now();
  const templates = routeTemplates();
  const prefix = `fuzz-${options.seed.toString(36)}`;
  const stuck = await connectStuckAgent(options.url, options.agentToken, `${prefix}-stuck`);
  const known = { ...(await discover(options.url, options.apiToken)), stuckHypervisors: [stuck.name] };
  const pool = new AgentPool(options.url, options.agentToken, prefix, 3);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const statuses: Record<string, number> = {};
  const failures: FuzzFailure[] = [];
  const count = (key: string) => void (statuses[key] = (statuses[key] ?? 0) + 1);
  let maxLatencyMs = 0;
  let slowestHealthMs = 0;
  const rss = { startMiB: options.rssMiB?.() ?? null, peakMiB: null as number | null, endMiB: null as number | null };
  const sampleRss = () => {
    const now = options.rssMiB?.() ?? null;
    if (now !== null) rss.peakMiB = Math.max(rss.peakMiB ?? 0, now);
  };
  const sampler = setInterval(sampleRss, 250);
  const fail = (index: number, problem: string, described: string) =>
    failures.length < 50 && failures.push({ seed: options.seed, index, problem, case: described });

  let isRunning = true;
  const healthAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const health = (async () => {
    while (isRunning) {
      const answer = await request(healthAgent, options.url, { kind: "http", method: "GET", path: "/api/health", headers: {}, body: null });
      slowestHealthMs = Math.max(slowestHealthMs, answer.ms);
      if (answer.status !== 200) fail(-1, `/api/health answered ${answer.status ?? answer.error}`, "health check");
      if (options.isServerAlive && !options.isServerAlive()) fail(-1, "the server process died", "health check");
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  })();

  const indices = options.only === undefined ? Array.from({ length: options.cases }, (_, i) => i) : [options.only];
  let next = 0;
  const worker = async () => {
    while (next < indices.length && (!options.isServerAlive || options.isServerAlive())) {
      const index = indices[next++];
      const rng = caseRng(options.seed, index);
      if (rng.chance(SOCKET_SHARE)) {
        const slot = rng.int(0, 2);
        let described = "";
        const outcome = await pool
          .send(slot, (name) => {
            const built = socketCase(rng, { ...known, hypervisors: pool.names }, name);
            described = describe({ socket: built.event, args: built.args });
            return built;
          })
          .catch((error: Error) => (fail(index, `agent connection failed: ${error.message}`, described), "failed"));
        count(`socket:${outcome}`);
        if (outcome === "unanswered") fail(index, "hello not answered within 5 s", described);
        continue;
      }
      const built = restCase(rng, templates, { ...known, hypervisors: [...known.hypervisors, ...pool.names] }, options.apiToken);
      const described = describeRest(built);
      const answer = built.kind === "raw" ? await rawAnswer(options.url, built.request) : await request(agent, options.url, built);
      maxLatencyMs = Math.max(maxLatencyMs, answer.ms);
      const isOversize = built.kind === "http" && (built.body?.length ?? 0) > 1024 * 1024;
      count(answer.status !== null ? String(answer.status) : answer.error!);
      if (answer.status !== null && answer.status >= 500) fail(index, `answered ${answer.status}: ${answer.text.slice(0, 300)}`, described);
      else if (answer.error === "unanswered") fail(index, `no answer within ${ANSWER_WITHIN_MS} ms`, described);
      else if (answer.status === null && built.kind === "http" && !isOversize) fail(index, `connection failed: ${answer.error}`, described);
      if (answer.status === 201 && built.kind === "http" && built.path === "/api/rollouts") {
        const id = (JSON.parse(answer.text) as { rollout?: { id?: string } }).rollout?.id;
        if (id) known.rolloutIds.push(id);
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 12 }, worker));
  isRunning = false;
  await health;
  clearInterval(sampler);
  sampleRss();
  rss.endMiB = options.rssMiB?.() ?? null;
  pool.close();
  stuck.close();
  agent.destroy();
  healthAgent.destroy();
  return {
    seed: options.seed,
    cases: indices.length,
    seconds: (performance.now() - started) / 1000,
    statuses,
    maxLatencyMs: Math.round(maxLatencyMs),
    slowestHealthMs: Math.round(slowestHealthMs),
    rss,
    failures,
  };
}

type Answer = { status: number | null; error?: string; text: string; ms: number };

function request(agent: http.Agent, url: string, call: Extract<RestCase, { kind: "http" }>): Promise<Answer> {
  const started = performance.now();
  return new Promise((resolve) => {
    let isDone = false;
    const finish = (answer: Omit<Answer, "ms">) => {
      if (isDone) return;
      isDone = true;
      clearTimeout(timer);
      resolve({ ...answer, ms: performance.now() - started });
    };
    let req: http.ClientRequest;
    try {
      req = http.request(url + call.path, { method: call.method, headers: call.headers, agent }, (res) => {
        let text = "";
        res.on("data", (chunk: Buffer) => void (text.length < 65_536 && (text += chunk.toString("utf8"))));
        res.on("end", () => finish({ status: res.statusCode ?? null, text }));
        res.on("error", () => finish({ status: res.statusCode ?? null, text }));
      });
    } catch (error) {
      return resolve({ status: null, error: `client refused: ${(error as NodeJS.ErrnoException).code}`, text: "", ms: 0 });
    }
    const timer = setTimeout(() => {
      finish({ status: null, error: "unanswered", text: "" });
      req.destroy();
    }, ANSWER_WITHIN_MS);
    req.on("error", (error: NodeJS.ErrnoException) => finish({ status: null, error: error.code ?? error.message, text: "" }));
    req.end(call.body ?? undefined);
  });
}

async function rawAnswer(url: string, bytes: Buffer): Promise<Answer> {
  const answer = await rawExchange(Number(new URL(url).port), bytes, ANSWER_WITHIN_MS);
  if (answer.isTimedOut) return { status: null, error: "unanswered", text: "", ms: answer.ms };
  return { status: answer.status, error: answer.status === null ? "raw:closed" : undefined, text: answer.head, ms: answer.ms };
}

async function discover(url: string, token: string): Promise<Omit<KnownValues, "stuckHypervisors">> {
  const images = await fetch(`${url}/api/images`, { headers: { authorization: `Bearer ${token}` } }).then(
    (response) => response.json() as Promise<{ images: { id: string }[] }>,
  );
  return { imageIds: images.images.map((image) => image.id), hypervisors: [], rolloutIds: [], groups: ["rack-1"] };
}

/** An enrolled node that never answers image:delete (the server's command timeout is 30 s). */
async function connectStuckAgent(url: string, token: string, name: string): Promise<RawAgent> {
  const stuck = await connectAgent(url, name, token, 5000, { isStuckOnDelete: true });
  const answer = await sayHello(stuck, helloFor(name), 5000);
  if (!("ok" in answer) || !answer.ok) throw new Error(`the stuck agent's hello was refused: ${JSON.stringify(answer)}`);
  return stuck;
}

function describe(value: unknown): string {
  const text = JSON.stringify(value, (_key, item) =>
    typeof item === "string" && item.length > 200 ? `${item.slice(0, 200)}…(${item.length} chars)` : item,
  );
  return text.length > 1500 ? `${text.slice(0, 1500)}…` : text;
}

function describeRest(built: RestCase): string {
  if (built.kind === "raw") return describe({ raw: built.request.toString("latin1") });
  const body =
    built.body && built.body.length > 300
      ? `${built.body.subarray(0, 300).toString("utf8")}…(${built.body.length} bytes)`
      : built.body?.toString("utf8");
  return describe({ method: built.method, path: built.path, headers: built.headers, body });
}
