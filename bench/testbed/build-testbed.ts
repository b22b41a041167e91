// Builds the testbed (see shape.ts for the picture): namespaces and rate-limited links, a real
// Squid tree, the Precache server and one real agent per node namespace, and the topology the
// planner reads. Everything it starts lives in namespaces the lab removes on teardown.
import { execFileSync, type ChildProcess } from "node:child_process";
import { randomFillSync } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { handToSquidUser, SQUID_BIN, squidConfig } from "../../test/support/squid.ts";
import { NetnsLab } from "./netns.ts";
import {
  CORE_ADDRESS,
  groupBridge,
  groupName,
  groupSubnet,
  nodeAddress,
  nodeName,
  PEER_PORT,
  SERVER_PORT,
  SQUID_PORT,
  type TestbedShape,
  uplink,
} from "./shape.ts";
import { TestbedApi } from "./testbed-api.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
const TOKENS = { api: "testbed-api", agent: "testbed-agent" };

export type TestbedAgent = { name: string; group: number; cacheDir: string; process: ChildProcess; output(): string };
export type Testbed = {
  lab: NetnsLab;
  api: TestbedApi;
  agents: TestbedAgent[];
  /** Directory of the images the server offers (files written before start). */
  imageDir: string;
  tier2Urls: string[];
  /** Artifact bytes each tier-2 Squid has sent to its nodes so far (from its access log). */
  squidEgressBytes(): number[];
  teardown(): void;
};

export async function buildTestbed(shape: TestbedShape, imageFiles: { name: string; bytes: number }[]): Promise<Testbed> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "precache-testbed-"));
  // Squid drops to its own user: it must be able to reach its dirs inside ours.
  fs.chmodSync(dir, 0o755);
  const lab = new NetnsLab();
  lab.onTeardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const teardown = () => lab.teardown();
  try {
    const core = buildNetwork(lab, shape);
    const imageDir = path.join(dir, "server", "images");
    writeImages(imageDir, imageFiles);
    startSquid(lab, core, dir, "tier1", { host: "0.0.0.0" });
    const tier2Urls: string[] = [];
    for (let group = 0; group < shape.groups; group++) {
      startSquid(lab, `${lab.prefix}g${group}`, dir, `tier2-${group}`, {
        host: groupBridge(group),
        parent: { host: uplink(group).core, port: SQUID_PORT },
      });
      tier2Urls.push(`http://${groupBridge(group)}:${SQUID_PORT}`);
    }
    const api = new TestbedApi(core, `http://${CORE_ADDRESS}:${SERVER_PORT}`, TOKENS.api);
    await startServer(lab, core, path.join(dir, "server"), imageDir);
    await api.waitUntilReady();
    await api.call("POST", "/api/topology", {
      tier1: [{ url: `http://${CORE_ADDRESS}:${SQUID_PORT}`, bandwidthMbps: null }],
      nodeBandwidthMbps: shape.nodeMbps,
      groups: tier2Urls.map((url, group) => ({ name: groupName(group), proxies: [url], bandwidthMbps: shape.tier2Mbps })),
    });
    for (const image of imageFiles) await waitForImage(api, image.name);
    const agents = startAgents(lab, shape, dir, tier2Urls);
    await api.waitForAgents(agents.length);
    const squidEgressBytes = () =>
      tier2Urls.map((_, group) => artifactBytesSent(path.join(dir, `squid-tier2-${group}`, "logs", "access.log")));
    return { lab, api, agents, imageDir, tier2Urls, squidEgressBytes, teardown };
  } catch (error) {
    teardown();
    throw error;
  }
}

/** Namespaces, links, bridges, routes and rate limits; returns the core namespace. */
function buildNetwork(lab: NetnsLab, shape: TestbedShape): string {
  const core = lab.addNamespace("core");
  lab.run(core, ["ip", "addr", "add", `${CORE_ADDRESS}/32`, "dev", "lo"]);
  for (let group = 0; group < shape.groups; group++) {
    const ns = lab.addNamespace(`g${group}`);
    const link = uplink(group);
    lab.veth({ ns: core, dev: `uplink${group}`, cidr: `${link.core}/24` }, { ns, dev: "uplink", cidr: `${link.group}/24` });
    lab.limit(core, `uplink${group}`, shape.tier2Mbps);
    lab.limit(ns, "uplink", shape.tier2Mbps);
    lab.bridge(ns, "br0", `${groupBridge(group)}/24`);
    // The tier-2 Squid's link to its nodes: everything it (and the routed control traffic) sends to them.
    lab.limit(ns, "br0", shape.tier2Mbps);
    lab.forwarding(ns);
    lab.route(ns, "default", link.core);
    lab.route(core, groupSubnet(group), link.group);
    for (let node = 0; node < shape.agentsPerGroup; node++) {
      const nodeNs = lab.addNamespace(`g${group}n${node}`);
      lab.veth({ ns: nodeNs, dev: "eth0", cidr: `${nodeAddress(group, node)}/24` }, { ns, dev: `n${node}` });
      lab.attach(ns, `n${node}`, "br0");
      lab.limit(ns, `n${node}`, shape.nodeMbps);
      lab.limit(nodeNs, "eth0", shape.nodeMbps);
      lab.route(nodeNs, "default", groupBridge(group));
    }
  }
  return core;
}

function writeImages(imageDir: string, images: { name: string; bytes: number }[]): void {
  fs.mkdirSync(imageDir, { recursive: true });
  for (const image of images) {
    // Random bytes: gzip cannot shrink them, so the artifact is as large as the image.
    const file = fs.openSync(path.join(imageDir, image.name), "w");
    const block = Buffer.alloc(1 << 20);
    for (let written = 0; written < image.bytes; written += block.length) {
      randomFillSync(block);
      fs.writeSync(file, block, 0, Math.min(block.length, image.bytes - written));
    }
    fs.closeSync(file);
  }
}

function startSquid(
  lab: NetnsLab,
  ns: string,
  root: string,
  name: string,
  options: { host: string; parent?: { host: string; port: number } },
): void {
  const dir = path.join(root, `squid-${name}`);
  const cacheDir = path.join(dir, "cache");
  const logDir = path.join(dir, "logs");
  fs.mkdirSync(cacheDir, { recursive: true });
  fs.mkdirSync(logDir);
  const conf = path.join(dir, "squid.conf");
  const config = squidConfig({ name, port: SQUID_PORT, dir, cacheDir, logDir, allowNetworks: ["10.0.0.0/8"], ...options });
  fs.writeFileSync(conf, config, { mode: 0o644 });
  handToSquidUser(dir);
  lab.run(ns, [SQUID_BIN, "-f", conf, "-z", "-N"]);
  lab.spawn(ns, [SQUID_BIN, "-f", conf, "-N"]);
  const probe = `http://${options.host === "0.0.0.0" ? "127.0.0.1" : options.host}:${SQUID_PORT}/`;
  const deadline = Date.now() + 20_000;
  // Squid answers a bare "GET /" with 400 once it accepts connections.
  const answers = () => {
    try {
      return lab.run(ns, ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "1", probe]).trim() !== "000";
    } catch {
      return false; // refused: not listening yet
    }
  };
  while (!answers()) {
    if (Date.now() > deadline) throw new Error(`squid ${name} in ${ns} did not accept connections within 20 s`);
    execFileSync("sleep", ["0.1"]);
  }
}

async function startServer(lab: NetnsLab, ns: string, dataDir: string, imageDir: string): Promise<void> {
  const child = lab.spawn(ns, [process.execPath, "--import", "tsx", "test/support/server-process-main.ts"], {
    cwd: ROOT,
    env: {
      ...process.env,
      HOST: "0.0.0.0",
      PORT: String(SERVER_PORT),
      PRECACHE_PUBLIC_URL: `http://${CORE_ADDRESS}:${SERVER_PORT}`,
      PRECACHE_DATA_DIR: dataDir,
      PRECACHE_IMAGE_DIR: imageDir,
      PRECACHE_API_TOKEN: TOKENS.api,
      PRECACHE_AGENT_TOKEN: TOKENS.agent,
      PRECACHE_ADMIN_PASSWORD: "testbed-admin",
      PRECACHE_LOCAL_AGENT: "0",
      PRECACHE_LOG_FORMAT: "json",
      DATABASE_URL: "",
      LOG_LEVEL: "warn",
    },
  });
  let output = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start within 60 s:\n${output.slice(-3000)}`)), 60_000);
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("PRECACHE_SERVER_URL")) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on("data", read);
    child.stderr!.on("data", read);
    child.once("exit", (code) => reject(new Error(`server exited with ${code}:\n${output.slice(-3000)}`)));
  });
}

async function waitForImage(api: TestbedApi, name: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!(await api.imageByName(name))) {
    if (Date.now() > deadline) throw new Error(`image ${name} not listed within 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

function startAgents(lab: NetnsLab, shape: TestbedShape, root: string, tier2Urls: string[]): TestbedAgent[] {
  const bundle = path.join(root, "precache-agent.mjs");
  execFileSync(process.execPath, [path.join(ROOT, "scripts/build-agent.mjs"), bundle], { cwd: ROOT, stdio: "ignore" });
  const agents: TestbedAgent[] = [];
  for (let group = 0; group < shape.groups; group++) {
    for (let node = 0; node < shape.agentsPerGroup; node++) {
      const name = nodeName(group, node);
      const cacheDir = path.join(root, "nodes", name, "_base");
      fs.mkdirSync(cacheDir, { recursive: true });
      const args = [bundle, "--server", `http://${CORE_ADDRESS}:${SERVER_PORT}`, "--token", TOKENS.agent, "--name", name];
      args.push("--cache-dir", cacheDir, "--proxy", tier2Urls[group], "--group", groupName(group));
      // Every agent can serve its group; only rollouts with source "peers" use it.
      args.push("--peer-listen", `${nodeAddress(group, node)}:${PEER_PORT}`);
      const child = lab.spawn(`${lab.prefix}g${group}n${node}`, [process.execPath, ...args], {
        env: { ...process.env, LOG_LEVEL: "warn", PRECACHE_LOG_FORMAT: "json", PRECACHE_AGENT_TOKEN: "" },
      });
      let output = "";
      const keep = (chunk: Buffer) => void (output = (output + chunk.toString()).slice(-20_000));
      child.stdout!.on("data", keep);
      child.stderr!.on("data", keep);
      agents.push({ name, group, cacheDir, process: child, output: () => output });
    }
  }
  return agents;
}

/** Sum of bytes sent for artifact requests in a Squid access log (our logformat: 4th field). */
function artifactBytesSent(accessLog: string): number {
  let text = "";
  try {
    text = fs.readFileSync(accessLog, "utf8");
  } catch {
    return 0;
  }
  let total = 0;
  for (const line of text.split("\n")) {
    const fields = line.split("\t");
    if (fields.length === 8 && fields[5].includes("/artifacts/")) total += Number(fields[3]) || 0;
  }
  return total;
}
