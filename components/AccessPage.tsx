"use client";
import { useState } from "react";
import { hasRole, ROLES, type Role } from "../protocol/roles";
import { accessCalls, useAccessMutation, useSessionsQuery, useTokensQuery } from "../lib/access-queries";
import { usePermission, useSessionQuery } from "../lib/queries";
import { AppShell } from "./AppShell";
import { UsersPanel } from "./UsersPanel";
import { LocalTime } from "./LocalTime";
import { TableScroll } from "./TableScroll";

export function AccessPage() {
  const isAdmin = usePermission("admin").isAllowed;
  return (
    <AppShell title="Access">
      {isAdmin ? <UsersPanel /> : <p className="muted">Users are managed by admins.</p>}
      <TokensPanel />
      <SessionsPanel />
    </AppShell>
  );
}

function TokensPanel() {
  const me = useSessionQuery().data?.user;
  const tokens = useTokensQuery();
  const create = useAccessMutation(accessCalls.createToken);
  const revoke = useAccessMutation(accessCalls.revokeToken);
  const [draft, setDraft] = useState<{ name: string; role: Role }>({ name: "", role: "viewer" });
  const [secret, setSecret] = useState<string | null>(null);
  const grantable = ROLES.filter((role) => me && hasRole(me.role, role));
  return (
    <section data-testid="tokens">
      <h2>API tokens</h2>
      <TableScroll label="API tokens" asCards>
        <table>
          <thead>
            <tr>
              <th>Name</th>
              <th>Role</th>
              <th>Owner</th>
              <th>Last used</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {tokens.data?.map((token) => (
              <tr key={token.id}>
                <td data-label="Name">{token.name}</td>
                <td data-label="Role">{token.role}</td>
                <td data-label="Owner">{token.owner}</td>
                <td data-label="Last used" className="muted">
                  {token.lastUsedAt ? <LocalTime iso={token.lastUsedAt} /> : "never"}
                </td>
                <td data-label="">
                  <button type="button" className="secondary" onClick={() => revoke.mutate(token.id)}>
                    Revoke
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableScroll>
      <form
        className="row"
        style={{ marginTop: 12 }}
        onSubmit={(event) => {
          event.preventDefault();
          create.mutate(draft, {
            onSuccess: (result) => {
              setSecret((result as { secret: string }).secret);
              setDraft({ name: "", role: "viewer" });
            },
          });
        }}
      >
        <input placeholder="token name" value={draft.name} onChange={(e) => setDraft({ ...draft, name: e.target.value })} />
        <select
          aria-label="Role of the new token (at most your own)"
          value={draft.role}
          onChange={(e) => setDraft({ ...draft, role: e.target.value as Role })}
          title="at most your own role"
        >
          {grantable.map((role) => (
            <option key={role}>{role}</option>
          ))}
        </select>
        <button type="submit" disabled={!draft.name || create.isPending}>
          Create token
        </button>
      </form>
      {secret && (
        <p data-testid="new-token">
          Copy it now, it is shown only once: <code>{secret}</code>
        </p>
      )}
      {(create.error ?? revoke.error) && (
        <p className="error" role="alert">
          {(create.error ?? revoke.error)!.message}
        </p>
      )}
    </section>
  );
}

function SessionsPanel() {
  const sessions = useSessionsQuery();
  const revoke = useAccessMutation(accessCalls.revokeSession);
  return (
    <section data-testid="sessions">
      <h2>Sessions</h2>
      <TableScroll label="Sessions" asCards>
        <table>
          <thead>
            <tr>
              <th>User</th>
              <th>Role</th>
              <th>From</th>
              <th>Browser</th>
              <th>Last seen</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {sessions.data?.map((session) => (
              <tr key={session.id}>
                <td data-label="User">
                  {session.userName}
                  {session.isCurrent && <span className="muted"> (this one)</span>}
                </td>
                <td data-label="Role">{session.role}</td>
                <td data-label="From">{session.address}</td>
                <td data-label="Browser" className="muted">
                  {session.userAgent?.slice(0, 60)}
                </td>
                <td data-label="Last seen" className="muted">
                  <LocalTime iso={session.lastSeenAt} />
                </td>
                <td data-label="">
                  <button
                    type="button"
                    className="secondary"
                    disabled={session.isCurrent}
                    title={session.isCurrent ? "use Sign out for this one" : undefined}
                    onClick={() => revoke.mutate(session.id)}
                  >
                    Revoke
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableScroll>
      {revoke.error && (
        <p className="error" role="alert">
          {revoke.error.message}
        </p>
      )}
    </section>
  );
}
