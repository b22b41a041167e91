// Dashboard sessions, stored server-side: the cookie holds 32 random bytes, the row holds their
// sha256 with the user, role, address, user agent and expiry. Revoking a row ends the session at
// once in this process (and tells the live hub to drop that session's sockets).
import crypto from "node:crypto";
import type { Role } from "../../protocol/roles.ts";
import type { Db } from "../db/open-database.ts";
import { CredentialCache, sha256Hex } from "./credential-cache.ts";

export const SESSION_TTL_MS = 12 * 3600 * 1000;
const CACHE_MS = 5000;
const TOUCH_EVERY_MS = 60_000;

export type SessionView = {
  id: string;
  userName: string;
  role: Role;
  source: string;
  address: string | null;
  userAgent: string | null;
  createdAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
};

export type NewSession = { userName: string; role: Role; source: string; address: string; userAgent?: string };

export class SessionStore {
  private readonly cache = new CredentialCache<SessionView | null>(CACHE_MS);
  private readonly revokedListeners = new Set<(ids: string[]) => void>();

  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {}

  async create(session: NewSession): Promise<{ cookieValue: string; session: SessionView }> {
    const cookieValue = crypto.randomBytes(32).toString("base64url");
    const now = new Date(this.now());
    const row = await this.db.session.create({
      data: {
        id: sha256Hex(cookieValue),
        userName: session.userName,
        role: session.role,
        source: session.source,
        address: session.address.slice(0, 100),
        userAgent: session.userAgent?.slice(0, 300) ?? null,
        createdAt: now,
        lastSeenAt: now,
        expiresAt: new Date(now.getTime() + SESSION_TTL_MS),
      },
    });
    return { cookieValue, session: toView(row) };
  }

  /** The live session behind a cookie value, or null (unknown, expired or revoked). */
  async find(cookieValue: string): Promise<SessionView | null> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(cookieValue)) return null;
    const id = sha256Hex(cookieValue);
    let session = this.cache.get(id);
    if (session === undefined) {
      const row = await this.db.session.findUnique({ where: { id } });
      session = row && !row.revokedAt ? toView(row) : null;
      this.cache.set(id, session);
    }
    if (!session || session.expiresAt.getTime() <= this.now()) return null;
    if (this.now() - session.lastSeenAt.getTime() > TOUCH_EVERY_MS) {
      session.lastSeenAt = new Date(this.now());
      void this.db.session.updateMany({ where: { id }, data: { lastSeenAt: session.lastSeenAt } }).catch(() => undefined);
    }
    return session;
  }

  /** Live sessions, newest first; of one user when `userName` is given. */
  async list(userName?: string): Promise<SessionView[]> {
    const rows = await this.db.session.findMany({
      where: { revokedAt: null, expiresAt: { gt: new Date(this.now()) }, ...(userName === undefined ? {} : { userName }) },
      orderBy: { createdAt: "desc" },
      take: 1000,
    });
    return rows.map(toView);
  }

  async get(id: string): Promise<SessionView | null> {
    const row = await this.db.session.findUnique({ where: { id } });
    return row && !row.revokedAt && row.expiresAt.getTime() > this.now() ? toView(row) : null;
  }

  async revoke(id: string): Promise<boolean> {
    const { count } = await this.db.session.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: new Date(this.now()) } });
    this.revoked([id]);
    return count > 0;
  }

  /** Ends every session of a user (role changed, disabled, deleted). */
  async revokeUser(userName: string): Promise<number> {
    const live = await this.db.session.findMany({ where: { userName, revokedAt: null }, select: { id: true } });
    await this.db.session.updateMany({ where: { userName, revokedAt: null }, data: { revokedAt: new Date(this.now()) } });
    this.cache.deleteWhere((session) => session?.userName === userName);
    this.revoked(live.map((row) => row.id));
    return live.length;
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
    for (const id of ids) this.cache.delete(id);
    if (ids.length) for (const listener of this.revokedListeners) listener(ids);
  }
}

function toView(row: {
  id: string;
  userName: string;
  role: string;
  source: string;
  address: string | null;
  userAgent: string | null;
  createdAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
}): SessionView {
  const { id, userName, role, source, address, userAgent, createdAt, lastSeenAt, expiresAt } = row;
  return { id, userName, role: role as Role, source, address, userAgent, createdAt, lastSeenAt, expiresAt };
}
