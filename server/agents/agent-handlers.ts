// What the /agent hub calls into: identity (verify, enrol, refusals, presence) and the domain
// (register, inventory, download results). Built once at boot from the app context.
import type { AppContext } from "../context.ts";
import { applyInventory } from "../hypervisors/apply-inventory.ts";
import { markHypervisorOffline, registerHypervisor, updateFreeSpace } from "../hypervisors/register-hypervisor.ts";
import type { AgentEventHandlers } from "../realtime/agent-hub.ts";
import { catchUpHypervisor } from "../rollouts/rollout-commands.ts";
import { recordFinished, recordProgress } from "../rollouts/record-download.ts";
import { refreshAgentPresence } from "./agent-presence.ts";
import { enrolAgent } from "./enrol-agent.ts";
import { RefusalAudit } from "./refusal-audit.ts";
import { verifyAgent } from "./verify-agent.ts";

export function agentHandlers(context: AppContext): AgentEventHandlers {
  const refusals = new RefusalAudit(context);
  return {
    authenticate: (auth, address) => verifyAgent(context, auth, address),
    enrol: (name, address) => enrolAgent(context, name, address),
    unenrol: async (name, secretHash) =>
      void (await context.db.agentCredential.deleteMany({ where: { hypervisorName: name, secretHash } })),
    refused: (name, address, code, message) => void refusals.record(name, address, code, message),
    hello: (hello) => registerHypervisor(context, hello),
    afterHello: async (hello, isQueued) => {
      await applyInventory(context, hello.name, hello.inventory);
      return catchUpHypervisor(context, hello, isQueued);
    },
    progress: (name, progress) => recordProgress(context, name, progress),
    finished: (name, result) => recordFinished(context, name, result),
    inventory: async (name, report) => {
      await updateFreeSpace(context, name, report.freeBytes);
      await applyInventory(context, name, report.inventory);
    },
    disconnected: (name) => markHypervisorOffline(context, name),
    sweep: (online) => refreshAgentPresence(context, online),
  };
}
