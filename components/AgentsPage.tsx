"use client";
// Enrolled agents: when and from where each enrolled, last seen, online; revoke (dropped at once,
// refused until reset) or reset (the name may enrol again with the enrolment token).
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { agentListReply, agentReply, agentResetReply } from "../protocol/agents";
import { api } from "../lib/api";
import { usePermission } from "../lib/queries";
import { AppShell } from "./AppShell";
import { formatLocalTime } from "../lib/format-local-time";
import { LocalTime } from "./LocalTime";
import { TableScroll } from "./TableScroll";

export function AgentsPage() {
  return (
    <AppShell title="Agents">
      <AgentList />
    </AppShell>
  );
}

const when = (iso: string | null) => (iso ? formatLocalTime(iso) : "never");

function AgentList() {
  const client = useQueryClient();
  const admin = usePermission("admin");
  const agents = useQuery({
    queryKey: ["agents"],
    queryFn: () => api("GET", "/api/agents", agentListReply),
    refetchInterval: 5000,
  });
  const act = useMutation({
    mutationFn: async ({ name, action }: { name: string; action: "revoke" | "reset" }): Promise<unknown> => {
      const route = `/api/agents/${encodeURIComponent(name)}/${action}`;
      return action === "revoke" ? api("POST", route, agentReply) : api("POST", route, agentResetReply);
    },
    onSettled: () => client.invalidateQueries({ queryKey: ["agents"] }),
  });
  const confirmThen = (name: string, action: "revoke" | "reset", question: string) => {
    if (window.confirm(question)) act.mutate({ name, action });
  };
  if (agents.isPending) return <p className="muted">Loading…</p>;
  if (agents.isError) return <p className="error">{agents.error.message}</p>;
  return (
    <>
      <p>
        Each hypervisor enrols once with the enrolment token (<code>PRECACHE_AGENT_TOKEN</code>) and then connects with its own credential.
        Revoke drops a node at once and refuses it until it is reset; reset lets the name enrol again.
      </p>
      {act.isError && <p className="error">{act.error.message}</p>}
      <TableScroll label="Agents" asCards>
        <table>
          <thead>
            <tr>
              <th>Hypervisor</th>
              <th>State</th>
              <th>Enrolled</th>
              <th>Last seen</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {agents.data.agents.map((agent) => (
              <tr key={agent.name} data-testid={`agent-${agent.name}`}>
                <td data-label="Hypervisor">{agent.name}</td>
                <td data-label="State">
                  {agent.revoked ? (
                    <span className="badge failed" title={`by ${agent.revokedBy ?? "?"} at ${when(agent.revokedAt)}`}>
                      revoked
                    </span>
                  ) : (
                    <span className={`badge ${agent.online ? "done" : ""}`}>{agent.online ? "online" : "offline"}</span>
                  )}
                </td>
                <td data-label="Enrolled">
                  {agent.enrolledAt ? <LocalTime iso={agent.enrolledAt} /> : "never"}
                  <div className="muted" style={{ fontSize: 12 }}>
                    {agent.enrolledFrom ?? ""}
                  </div>
                </td>
                <td data-label="Last seen">
                  {agent.lastSeenAt ? <LocalTime iso={agent.lastSeenAt} /> : "never"}
                  <div className="muted" style={{ fontSize: 12 }}>
                    {agent.lastSeenFrom ?? ""}
                  </div>
                </td>
                <td data-label="">
                  {!agent.revoked && (
                    <button
                      type="button"
                      className="secondary"
                      disabled={act.isPending || !admin.isAllowed}
                      title={admin.reason}
                      onClick={() =>
                        confirmThen(
                          agent.name,
                          "revoke",
                          `Revoke ${agent.name}? It is disconnected at once and refused until an admin resets it.`,
                        )
                      }
                    >
                      Revoke
                    </button>
                  )}{" "}
                  <button
                    type="button"
                    className="secondary"
                    disabled={act.isPending || !admin.isAllowed}
                    title={admin.reason}
                    onClick={() =>
                      confirmThen(
                        agent.name,
                        "reset",
                        `Reset ${agent.name}? Its credential is deleted; whoever next presents the enrolment token under this name becomes ${agent.name}.`,
                      )
                    }
                  >
                    Reset
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableScroll>
      {agents.data.agents.length === 0 && <p className="muted">No agent has enrolled yet.</p>}
    </>
  );
}
