// What a command handler may touch: config, running downloads, the socket, the log.
import type { Logger } from "pino";
import type { AgentToServerEvents, DownloadFinished } from "../../protocol/events.ts";
import type { AgentConfig } from "../agent-config.ts";
import type { PeerTier } from "../peer/peer-tier.ts";

/** `claims`: each rollout's claim (the server's dispatch number) this download answers, when it sent one. */
export type RunningDownload = { rolloutIds: Set<string>; claims: Map<string, number>; bytes: number; controller: AbortController };
/** How a rollout's command ended here, under which claim: a repeat of that claim is answered from it. */
export type FinishedClaim = { claim: number; result: Omit<DownloadFinished, "resultId" | "rolloutId"> };

export type AgentContext = {
  config: AgentConfig;
  log: Logger;
  downloads: Map<string, RunningDownload>;
  /** Recent outcomes by `${rolloutId}|${imageId}` (bounded: see rememberFinished). */
  finishedClaims: Map<string, FinishedClaim>;
  /** The peer tier, when this agent serves its group (--peer-listen). */
  peer: PeerTier | null;
  /** Proxies in order of preference: the agent's own --proxy list. */
  proxies(): string[];
  /** The only base artifact URLs may start with, as the server last announced it ("" before the hello). */
  artifactBaseUrl(): string;
  emit<E extends keyof AgentToServerEvents>(event: E, ...args: Parameters<AgentToServerEvents[E]>): void;
  reportInventory(): Promise<void>;
  /** Sends a download's outcome until the server acknowledges it. */
  reportResult(result: Omit<DownloadFinished, "resultId">): Promise<void>;
};
