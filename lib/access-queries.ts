// react-query hooks for accounts, API tokens and sessions (the Access page).
"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { Role } from "../protocol/roles";
import { api } from "./api";

export type UserRow = {
  name: string;
  source: "local" | "keystone";
  role: Role;
  disabled: boolean;
  isBootstrap: boolean;
  lastSignInAt: string | null;
};
export type TokenRow = { id: string; name: string; role: Role; owner: string; createdAt: string; lastUsedAt: string | null };
export type SessionRow = {
  id: string;
  userName: string;
  role: Role;
  source: string;
  address: string | null;
  userAgent: string | null;
  lastSeenAt: string;
  expiresAt: string;
  isCurrent: boolean;
};

export function useUsersQuery(isEnabled: boolean) {
  return useQuery({
    queryKey: ["users"],
    enabled: isEnabled,
    queryFn: async () => (await api<{ users: UserRow[] }>("GET", "/api/users")).users,
  });
}

export function useTokensQuery() {
  return useQuery({ queryKey: ["tokens"], queryFn: async () => (await api<{ tokens: TokenRow[] }>("GET", "/api/tokens")).tokens });
}

export function useSessionsQuery() {
  return useQuery({
    queryKey: ["sessions"],
    queryFn: async () => (await api<{ sessions: SessionRow[] }>("GET", "/api/sessions")).sessions,
  });
}

/** One mutation that refreshes the lists it may have changed. */
export function useAccessMutation<T>(call: (input: T) => Promise<unknown>) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: call,
    onSettled: () => Promise.all(["users", "tokens", "sessions"].map((key) => client.invalidateQueries({ queryKey: [key] }))),
  });
}

export const accessCalls = {
  createUser: (user: { name: string; role: Role; password: string }) => api("POST", "/api/users", user),
  updateUser: ({ name, ...change }: { name: string; role?: Role; disabled?: boolean; password?: string }) =>
    api("POST", `/api/users/${encodeURIComponent(name)}`, change),
  deleteUser: (name: string) => api("DELETE", `/api/users/${encodeURIComponent(name)}`),
  createToken: (token: { name: string; role: Role }) => api<{ secret: string; token: TokenRow }>("POST", "/api/tokens", token),
  revokeToken: (id: string) => api("DELETE", `/api/tokens/${id}`),
  revokeSession: (id: string) => api("DELETE", `/api/sessions/${id}`),
};
