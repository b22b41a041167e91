// react-query hooks for accounts, API tokens and sessions (the Access page).
"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { createTokenReply, revokedReply, sessionListReply, tokenListReply, tokenRevokedReply } from "../protocol/api/access";
import { type CreateUserRequest, type UpdateUserRequest, userDeletedReply, userListReply, userReply } from "../protocol/api/users";
import type { Role } from "../protocol/roles";
import { api } from "./api";

export type { SessionRow, TokenRow } from "../protocol/api/access";
export type { UserView as UserRow } from "../protocol/api/users";

export function useUsersQuery(isEnabled: boolean) {
  return useQuery({
    queryKey: ["users"],
    enabled: isEnabled,
    queryFn: async () => (await api("GET", "/api/users", userListReply)).users,
  });
}

export function useTokensQuery() {
  return useQuery({ queryKey: ["tokens"], queryFn: async () => (await api("GET", "/api/tokens", tokenListReply)).tokens });
}

export function useSessionsQuery() {
  return useQuery({
    queryKey: ["sessions"],
    queryFn: async () => (await api("GET", "/api/sessions", sessionListReply)).sessions,
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
  createUser: (user: CreateUserRequest) => api("POST", "/api/users", userReply, user),
  updateUser: ({ name, ...change }: UpdateUserRequest & { name: string }) =>
    api("POST", `/api/users/${encodeURIComponent(name)}`, userReply, change),
  deleteUser: (name: string) => api("DELETE", `/api/users/${encodeURIComponent(name)}`, userDeletedReply),
  createToken: (token: { name: string; role: Role }) => api("POST", "/api/tokens", createTokenReply, token),
  revokeToken: (id: string) => api("DELETE", `/api/tokens/${id}`, tokenRevokedReply),
  revokeSession: (id: string) => api("DELETE", `/api/sessions/${id}`, revokedReply),
};
