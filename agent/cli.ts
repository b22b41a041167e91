// `npm run agent -- [options]` runs the agent; `npm run agent -- fetch <image id> ...` fetches once.
import { parseArgs } from "node:util";
import pino from "pino";
import { AgentError } from "./agent-error.ts";
import { agentConfigFrom, checkUrl, DEFAULT_CACHE_DIR, parseBoolean, parseProxyList } from "./agent-config.ts";
import { placeImage, type HashSpec } from "./download/place-image.ts";
import { PrecacheAgent } from "./precache-agent.ts";

const USAGE = `usage:
  precache-agent [--server URL] [--token T] [--name NAME] [--cache-dir DIR] [--proxy URL[,URL]] [--group RACK] [--allow-direct]
                 [--force-raw-images true|false] [--state-dir DIR] [--ca FILE]
                 [--peer-listen ADDRESS:PORT [--peer-upload-mbps 500] [--peer-spool-gib 20]]
  precache-agent fetch <image id> --artifact-url URL --hash sha512:<hex> [--proxy URL[,URL]] [--cache-dir DIR] [--size BYTES] [--allow-direct]
                 [--compressed-size BYTES] [--virtual-size BYTES] [--disk-format qcow2] [--force-raw-images true|false]

--force-raw-images mirrors nova.conf's force_raw_images (default true, as in nova): images whose
Glance disk_format is not raw are converted with qemu-img before nova can see them.
Every image is inspected first, as nova inspects it: its bytes must be the --disk-format given
(raw when absent), and images that would make qemu open other files are refused (UNSAFE_IMAGE).
--size (Glance's size) and --compressed-size (the artifact's) bound what is written: a stream that
inflates beyond --size, or sends more than --compressed-size, stops there (SIZE_MISMATCH). An image
whose header declares a disk bigger than --virtual-size (Glance's) is refused (VIRTUAL_SIZE_EXCEEDED);
a raw copy must fit the free space less 64 MiB, and qemu-img may not write beyond it.

--token is the enrolment secret: at its first connection the agent enrols and the server issues
it a credential of its own, kept in <state dir>/credential-<name>.json (0600, state dir 0700).
The state dir defaults to .precache-<cache dir name> beside the cache dir
(e.g. /var/lib/nova/instances/.precache-_base); --state-dir / PRECACHE_STATE_DIR overrides it.
--ca FILE / PRECACHE_CA_FILE trusts a private CA for an https:// server.
--peer-listen ADDRESS:PORT (PRECACHE_PEER_LISTEN) joins the peer tier: verified artifacts are kept
(up to --peer-spool-gib) and served to nodes of the same rollout that present its token, at most
--peer-upload-mbps; rollouts started with source "peers" then fetch from the group, not its Squid.`;

const options = {
  server: { type: "string" },
  token: { type: "string" },
  name: { type: "string" },
  "cache-dir": { type: "string" },
  proxy: { type: "string" },
  group: { type: "string" },
  "peer-listen": { type: "string" },
  "peer-upload-mbps": { type: "string" },
  "peer-spool-gib": { type: "string" },
  "allow-direct": { type: "boolean" },
  "artifact-url": { type: "string" },
  hash: { type: "string" },
  size: { type: "string" },
  "compressed-size": { type: "string" },
  "virtual-size": { type: "string" },
  "disk-format": { type: "string" },
  "force-raw-images": { type: "string" },
  "state-dir": { type: "string" },
  ca: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals[0] === "fetch") return fetchOnce(positionals[1], values);
  if (positionals.length) throw new Error(`unknown command "${positionals[0]}"\n${USAGE}`);
  const agent = new PrecacheAgent(agentConfigFrom(values, process.env), { log: pino({ level: process.env.LOG_LEVEL ?? "info" }) });
  await agent.start();
  await new Promise<void>((resolve) => {
    const shutdown = () => void agent.stop(30_000).then(resolve);
    process.once("SIGTERM", shutdown);
    process.once("SIGINT", shutdown);
  });
  return 0;
}

async function fetchOnce(imageId: string | undefined, values: Record<string, string | boolean | undefined>): Promise<number> {
  if (!imageId) throw new Error(`fetch needs an image id\n${USAGE}`);
  const url = values["artifact-url"] as string | undefined;
  if (!url) throw new Error("fetch needs --artifact-url URL");
  const hash = parseHash(values.hash as string | undefined);
  const size = byteCount(values, "size");
  let lastPrint = 0;
  const placed = await placeImage({
    imageId,
    artifactUrl: checkUrl(url, "artifact"),
    hash,
    cacheDir: (values["cache-dir"] as string | undefined) ?? process.env.PRECACHE_CACHE_DIR ?? DEFAULT_CACHE_DIR,
    proxies: parseProxyList((values.proxy as string | undefined) ?? process.env.PRECACHE_PROXIES),
    allowDirect: values["allow-direct"] === true,
    imageSize: size,
    compressedSize: byteCount(values, "compressed-size"),
    virtualSize: byteCount(values, "virtual-size"),
    diskFormat: (values["disk-format"] as string | undefined) ?? null,
    forceRawImages: parseBoolean(
      (values["force-raw-images"] as string | undefined) ?? process.env.PRECACHE_FORCE_RAW_IMAGES,
      "--force-raw-images",
      true,
    ),
    onProgress(bytes) {
      const now = Date.now();
      if (now - lastPrint < 1000) return;
      lastPrint = now;
      process.stderr.write(`\r${(bytes / 2 ** 20).toFixed(1)} MiB`);
    },
  });
  process.stderr.write("\n");
  const converted = placed.convertedFrom ? `, converted from ${placed.convertedFrom} to raw` : "";
  console.log(`${placed.path} ${placed.bytes} bytes verified (${hash.algo})${converted} in ${placed.seconds.toFixed(1)} s`);
  return 0;
}

function byteCount(values: Record<string, string | boolean | undefined>, name: string): number | null {
  const value = values[name];
  if (value === undefined) return null;
  const count = Number(value);
  if (typeof value !== "string" || !/^\d+$/.test(value) || !Number.isSafeInteger(count))
    throw new Error(`invalid --${name} "${String(value)}": must be a byte count`);
  return count;
}

function parseHash(value: string | undefined): HashSpec {
  const match = /^(md5|sha1|sha256|sha384|sha512):([0-9a-fA-F]+)$/.exec(value ?? "");
  if (!match) throw new Error(`invalid --hash "${value ?? ""}": expected <algo>:<hex>, algo one of md5, sha1, sha256, sha384, sha512`);
  return { algo: match[1] as HashSpec["algo"], value: match[2].toLowerCase() };
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    const code = error instanceof AgentError ? `${error.code}: ` : "";
    console.error(`precache-agent: ${code}${error instanceof Error ? error.message : String(error)}`);
    process.exit(error instanceof AgentError ? 2 : 1);
  },
);
