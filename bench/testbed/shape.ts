// The testbed's shape (CERN's, scaled) and its address plan. Pure: no namespaces here.
//
//   core ns: Precache server (origin) + tier-1 Squid, on 10.199.0.1
//     │ veth per group: 10.200.<g>.1 ↔ 10.200.<g>.2, core → group limited to the tier-2 rate
//   group ns <g>: tier-2 Squid on bridge 10.201.<g>.1, routes between its nodes and the core
//     │ bridge egress (the Squid's link to its nodes) limited to the tier-2 rate
//     │ veth per node, limited to the node rate both ways
//   node ns <g>.<n>: one agent at 10.201.<g>.<10+n>

export type TestbedShape = {
  groups: number;
  agentsPerGroup: number;
  /** Each tier-2 Squid's uplink and its link to its nodes. */
  tier2Mbps: number;
  /** Each node's link. */
  nodeMbps: number;
  /** Size of each (incompressible) image, so artifact ≈ image. */
  imageMiB: number;
};

export const DEFAULT_SHAPE: TestbedShape = { groups: 4, agentsPerGroup: 25, tier2Mbps: 40, nodeMbps: 100, imageMiB: 0 };

/**
 * The image size that keeps a Squid-bound rollout busy for about `seconds`: each tier-2 Squid
 * sends one copy per node of its group (goodput ≈ 95 % of the link rate).
 */
export function imageMiBFor(shape: Omit<TestbedShape, "imageMiB">, seconds: number): number {
  const bytesPerGroup = (seconds * shape.tier2Mbps * 1e6 * 0.95) / 8;
  return Math.max(1, Math.round(bytesPerGroup / shape.agentsPerGroup / 2 ** 20));
}

export const CORE_ADDRESS = "10.199.0.1";
export const SERVER_PORT = 8080;
export const SQUID_PORT = 3128;
export const PEER_PORT = 9494;

export function uplink(group: number): { core: string; group: string } {
  return { core: `10.200.${group}.1`, group: `10.200.${group}.2` };
}

export function groupBridge(group: number): string {
  return `10.201.${group}.1`;
}

export function groupSubnet(group: number): string {
  return `10.201.${group}.0/24`;
}

export function nodeAddress(group: number, node: number): string {
  if (node > 240) throw new Error(`at most 240 agents per group (asked for node ${node})`);
  return `10.201.${group}.${10 + node}`;
}

export function nodeName(group: number, node: number): string {
  return `tb-g${group}-n${node}`;
}

export function groupName(group: number): string {
  return `tb-g${group}`;
}

export function parseShape(args: string[], defaults: TestbedShape = DEFAULT_SHAPE): TestbedShape & { seconds: number } {
  const value = (flag: string) => {
    const index = args.indexOf(flag);
    if (index < 0) return null;
    const number = Number(args[index + 1]);
    if (!Number.isFinite(number) || number <= 0) throw new Error(`invalid ${flag} "${args[index + 1]}": must be a positive number`);
    return number;
  };
  const shape = {
    groups: value("--groups") ?? defaults.groups,
    agentsPerGroup: value("--agents") ?? defaults.agentsPerGroup,
    tier2Mbps: value("--tier2-mbps") ?? defaults.tier2Mbps,
    nodeMbps: value("--node-mbps") ?? defaults.nodeMbps,
  };
  const seconds = value("--seconds") ?? 120;
  return { ...shape, imageMiB: value("--image-mib") ?? (defaults.imageMiB || imageMiBFor(shape, seconds)), seconds };
}
