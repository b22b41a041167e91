// What the REST API shows of an account (never its password hash): protocol/api/users.ts.
import type { UserView } from "../../protocol/api/users.ts";
import type { Role } from "../../protocol/roles.ts";

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
    // As JSON writes a Date: the body stays the same, the type says what the wire carries.
    createdAt: row.createdAt.toISOString(),
    lastSignInAt: row.lastSignInAt?.toISOString() ?? null,
  };
}
