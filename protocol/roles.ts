// Operator roles: viewer reads; operator publishes, rolls out, pauses, cancels, cleans up, pins;
// admin also edits topology, users, tokens and agents. Ordered: each role can do what those
// before it can.
import { z } from "zod";

export const Role = { viewer: "viewer", operator: "operator", admin: "admin" } as const;
export type Role = (typeof Role)[keyof typeof Role];
export const ROLES: readonly Role[] = [Role.viewer, Role.operator, Role.admin];
export const roleSchema = z.enum(["viewer", "operator", "admin"]);

export function hasRole(actual: Role, needed: Role): boolean {
  return ROLES.indexOf(actual) >= ROLES.indexOf(needed);
}
