// Admin account management. Changing a user's role, disabling or deleting them ends their
// sessions at once; their tokens go too (on a role change, those above the new role).
// The bootstrap admin's password and role come from the environment and cannot be changed here.
import type { Access } from "../auth/access.ts";
import { BOOTSTRAP_ADMIN } from "../auth/authenticate.ts";
import { hashPassword } from "../auth/password-hash.ts";
import type { Db } from "../db/open-database.ts";
import { AppError } from "../errors.ts";
import type { CreateUserRequest, UpdateUserRequest, UserView } from "../../protocol/api/users.ts";
import { toUserView } from "./user-views.ts";

export type UserDeps = { db: Db; access: Access };

/** The bootstrap admin always has a row, so it shows in the list with its last sign-in. */
export async function ensureBootstrapAdmin(db: Db): Promise<void> {
  await db.user.upsert({ where: { name: BOOTSTRAP_ADMIN }, create: { name: BOOTSTRAP_ADMIN, source: "local", role: "admin" }, update: {} });
}

export async function listUsers(deps: UserDeps): Promise<UserView[]> {
  await ensureBootstrapAdmin(deps.db);
  const rows = await deps.db.user.findMany({ orderBy: { name: "asc" }, take: 10_000 });
  return rows.map((row) => toUserView(row, BOOTSTRAP_ADMIN));
}

export async function createUser(deps: UserDeps, user: CreateUserRequest): Promise<UserView> {
  if (user.name.toLowerCase() === BOOTSTRAP_ADMIN) throw new AppError("CONFLICT", `${BOOTSTRAP_ADMIN} is the bootstrap account`);
  const existing = await deps.db.user.findFirst({ where: { name: { equals: user.name, mode: "insensitive" } } });
  if (existing) throw new AppError("CONFLICT", `user ${existing.name} already exists`);
  const row = await deps.db.user.create({
    data: { name: user.name, source: "local", role: user.role, passwordHash: await hashPassword(user.password) },
  });
  return toUserView(row, BOOTSTRAP_ADMIN);
}

export async function updateUser(deps: UserDeps, name: string, change: UpdateUserRequest): Promise<UserView> {
  const row = await findUser(deps.db, name);
  if (row.name === BOOTSTRAP_ADMIN)
    throw new AppError(
      "CONFLICT",
      `${BOOTSTRAP_ADMIN} is the bootstrap account: its password is PRECACHE_ADMIN_PASSWORD and it stays admin`,
    );
  if (row.source === "keystone" && (change.password !== undefined || change.role !== undefined)) {
    throw new AppError("CONFLICT", `${row.name} signs in through Keystone: its password and role live there`);
  }
  const isRoleChanged = change.role !== undefined && change.role !== row.role;
  const isDisabling = change.disabled === true && row.disabledAt === null;
  const updated = await deps.db.user.update({
    where: { name: row.name },
    data: {
      ...(change.role !== undefined ? { role: change.role } : {}),
      ...(change.disabled !== undefined ? { disabledAt: change.disabled ? (row.disabledAt ?? new Date()) : null } : {}),
      ...(change.password !== undefined ? { passwordHash: await hashPassword(change.password) } : {}),
    },
  });
  if (isRoleChanged || isDisabling) await deps.access.sessions.revokeUser(row.name);
  if (isDisabling) await deps.access.tokens.revokeOwner(row.name);
  else if (isRoleChanged) await deps.access.tokens.revokeOwner(row.name, change.role);
  return toUserView(updated, BOOTSTRAP_ADMIN);
}

export async function deleteUser(deps: UserDeps, name: string): Promise<void> {
  const row = await findUser(deps.db, name);
  if (row.name === BOOTSTRAP_ADMIN) throw new AppError("CONFLICT", `${BOOTSTRAP_ADMIN} is the bootstrap account and cannot be deleted`);
  await deps.db.user.delete({ where: { name: row.name } });
  await deps.access.sessions.revokeUser(row.name);
  await deps.access.tokens.revokeOwner(row.name);
}

async function findUser(db: Db, name: string) {
  const row = await db.user.findUnique({ where: { name } });
  if (!row) throw new AppError("NOT_FOUND", `no user ${name}`);
  return row;
}
