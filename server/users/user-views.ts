// What the REST API shows of an account (never its password hash).
import type { Role } from "../../protocol/roles.ts";

export type UserView = {
  name: string;
  source: "local" | "keystone";
  role: Role;
  disabled: boolean;
  isBootstrap: boolean;
  createdAt: Date;
  lastSignInAt: Date | null;
};

export const USER_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

export function toUserView(
  row: { name: string; source: string; role: string; disabledAt: Date | null; createdAt: Date; lastSignInAt: Date | null },
  bootstrapName: string,
): UserView {
  return {
    name: row.name,
    source: row.source === "keystone" ? "keystone" : "local",
    role: row.role as Role,
    disabled: row.disabledAt !== null,
    isBootstrap: row.name === bootstrapName,
    createdAt: row.createdAt,
    lastSignInAt: row.lastSignInAt,
  };
}
