// Named personal API tokens: `pct_` + 32 random bytes, shown once; the table keeps their sha256.
// A token carries its own role (at most its owner's) and dies when revoked or when its owner
// is disabled or deleted.
import crypto from "node:crypto";
import { ROLES, type Role } from "../../protocol/roles.ts";
import type { Db } from "../db/open-database.ts";
import { CredentialCache, sha256Hex } from "./credential-cache.ts";

export const TOKEN_PREFIX = "pct_";
const CACHE_MS = 5000;
const TOUCH_EVERY_MS = 60_000;

export type ApiTokenView = { id: string; name: string; role: Role; owner: string; createdAt: Date; lastUsedAt: Date | null };

export class ApiTokenStore {
  private readonly cache = new CredentialCache<ApiTokenView | null>(CACHE_MS);
  private readonly revokedListeners = new Set<(ids: string[]) => void>();

  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {}

  async create(token: { name: string; role: Role; owner: string }): Promise<{ secret: string; token: ApiTokenView }> {
    const secret = TOKEN_PREFIX + crypto.randomBytes(32).toString("base64url");
    const row = await this.db.apiToken.create({
      data: { name: token.name, role: token.role, owner: token.owner, tokenHash: sha256Hex(secret) },
    });
    return { secret, token: toView(row) };
  }

  /** The live token for a presented secret, or null. */
  async find(secret: string): Promise<ApiTokenView | null> {
    if (!secret.startsWith(TOKEN_PREFIX) || secret.length > 100) return null;
    const hash = sha256Hex(secret);
    let token = this.cache.get(hash);
    if (token === undefined) {
      const row = await this.db.apiToken.findUnique({ where: { tokenHash: hash } });
      token = row && !row.revokedAt ? toView(row) : null;
      this.cache.set(hash, token);
    }
    if (token && (!token.lastUsedAt || this.now() - token.lastUsedAt.getTime() > TOUCH_EVERY_MS)) {
      token.lastUsedAt = new Date(this.now());
      void this.db.apiToken.updateMany({ where: { id: token.id }, data: { lastUsedAt: token.lastUsedAt } }).catch(() => undefined);
    }
    return token;
  }

  async list(owner?: string): Promise<ApiTokenView[]> {
    const rows = await this.db.apiToken.findMany({
      where: { revokedAt: null, ...(owner === undefined ? {} : { owner }) },
      orderBy: { createdAt: "desc" },
      take: 1000,
    });
    return rows.map(toView);
  }

  async get(id: string): Promise<ApiTokenView | null> {
    const row = await this.db.apiToken.findUnique({ where: { id } });
    return row && !row.revokedAt ? toView(row) : null;
  }

  async revoke(id: string): Promise<boolean> {
    const { count } = await this.db.apiToken.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: new Date(this.now()) } });
    this.revoked([id]);
    return count > 0;
  }

  /** Revokes an owner's tokens: all of them, or those whose role is above `keepUpTo`. */
  async revokeOwner(owner: string, keepUpTo?: Role): Promise<number> {
    const above = keepUpTo === undefined ? ROLES : ROLES.slice(ROLES.indexOf(keepUpTo) + 1);
    const live = await this.db.apiToken.findMany({ where: { owner, revokedAt: null, role: { in: [...above] } }, select: { id: true } });
    const ids = live.map((row) => row.id);
    if (ids.length) await this.db.apiToken.updateMany({ where: { id: { in: ids } }, data: { revokedAt: new Date(this.now()) } });
    this.revoked(ids);
    return ids.length;
  }

  /** Another server sharing the database revoked these: forget them here too (no new audit, no write). */
  revokedElsewhere(ids: string[]): void {
    this.revoked(ids);
  }

  onRevoked(listener: (ids: string[]) => void): () => void {
    this.revokedListeners.add(listener);
    return () => this.revokedListeners.delete(listener);
  }

  private revoked(ids: string[]): void {
    const set = new Set(ids);
    this.cache.deleteWhere((token) => token !== null && set.has(token.id));
    if (ids.length) for (const listener of this.revokedListeners) listener(ids);
  }
}

function toView(row: { id: string; name: string; role: string; owner: string; createdAt: Date; lastUsedAt: Date | null }): ApiTokenView {
  return { id: row.id, name: row.name, role: row.role as Role, owner: row.owner, createdAt: row.createdAt, lastUsedAt: row.lastUsedAt };
}
