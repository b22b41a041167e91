"use client";
import { useState } from "react";
import { ROLES, type Role } from "../protocol/roles";
import { accessCalls, useAccessMutation, useUsersQuery } from "../lib/access-queries";
import { LocalTime } from "./LocalTime";
import { TableScroll } from "./TableScroll";

/** Admins manage accounts here; Keystone users appear after their first sign-in. */
export function UsersPanel() {
  const users = useUsersQuery(true);
  const create = useAccessMutation(accessCalls.createUser);
  const update = useAccessMutation(accessCalls.updateUser);
  const remove = useAccessMutation(accessCalls.deleteUser);
  const [draft, setDraft] = useState({ name: "", role: "viewer" as Role, password: "" });
  const error = create.error ?? update.error ?? remove.error;
  return (
    <section data-testid="users">
      <h2>Users</h2>
      {users.isError && <p className="error">{users.error.message}</p>}
      <TableScroll label="Users" asCards>
        <table>
          <thead>
            <tr>
              <th>User</th>
              <th>Source</th>
              <th>Role</th>
              <th>Last sign-in</th>
              <th>Actions</th>
            </tr>
          </thead>
          <tbody>
            {users.data?.map((user) => {
              const isFixed = user.isBootstrap;
              const fixedWhy = isFixed
                ? "the bootstrap admin: set by PRECACHE_ADMIN_PASSWORD"
                : user.source === "keystone"
                  ? "the role comes from Keystone"
                  : undefined;
              return (
                <tr key={user.name} data-testid={`user-${user.name}`}>
                  <td data-label="User">
                    {user.name}
                    {user.disabled && <span className="muted"> (disabled)</span>}
                  </td>
                  <td data-label="Source">{user.source}</td>
                  <td data-label="Role">
                    <select
                      aria-label={`Role of ${user.name}`}
                      value={user.role}
                      disabled={Boolean(fixedWhy)}
                      title={fixedWhy}
                      onChange={(e) => update.mutate({ name: user.name, role: e.target.value as Role })}
                    >
                      {ROLES.map((role) => (
                        <option key={role}>{role}</option>
                      ))}
                    </select>
                  </td>
                  <td data-label="Last sign-in" className="muted">
                    {user.lastSignInAt ? <LocalTime iso={user.lastSignInAt} /> : "never"}
                  </td>
                  <td data-label="" className="row">
                    <button
                      type="button"
                      className="secondary"
                      disabled={isFixed}
                      title={isFixed ? fixedWhy : undefined}
                      onClick={() => update.mutate({ name: user.name, disabled: !user.disabled })}
                    >
                      {user.disabled ? "Enable" : "Disable"}
                    </button>
                    <button
                      type="button"
                      className="secondary"
                      disabled={isFixed || user.source === "keystone"}
                      title={isFixed || user.source === "keystone" ? "this password is not kept by Precache" : undefined}
                      onClick={() => {
                        const password = window.prompt(`New password for ${user.name} (at least 8 characters)`);
                        if (password) update.mutate({ name: user.name, password });
                      }}
                    >
                      Set password
                    </button>
                    <button
                      type="button"
                      className="secondary"
                      disabled={isFixed}
                      title={isFixed ? fixedWhy : undefined}
                      onClick={() => window.confirm(`Delete ${user.name}?`) && remove.mutate(user.name)}
                    >
                      Delete
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </TableScroll>
      <form
        className="row"
        style={{ marginTop: 12 }}
        onSubmit={(event) => {
          event.preventDefault();
          create.mutate(draft, { onSuccess: () => setDraft({ name: "", role: "viewer", password: "" }) });
        }}
      >
        <input placeholder="user name" value={draft.name} onChange={(e) => setDraft({ ...draft, name: e.target.value })} />
        <select aria-label="Role of the new user" value={draft.role} onChange={(e) => setDraft({ ...draft, role: e.target.value as Role })}>
          {ROLES.map((role) => (
            <option key={role}>{role}</option>
          ))}
        </select>
        <input
          type="password"
          placeholder="password (8+ characters)"
          value={draft.password}
          onChange={(e) => setDraft({ ...draft, password: e.target.value })}
        />
        <button type="submit" disabled={!draft.name || draft.password.length < 8 || create.isPending}>
          Add user
        </button>
      </form>
      {error && (
        <p className="error" role="alert">
          {error.message}
        </p>
      )}
    </section>
  );
}
