// Listing and pruning the audit trail, on PGlite and on Postgres.
import { expect, it } from "vitest";
import { describeEachDatabase } from "../../test/support/databases.ts";
import type { Db } from "../db/open-database.ts";
import { parseAuditQuery } from "./audit-query.ts";
import { listAuditEvents } from "./list-audit-events.ts";
import { pruneAuditEvents } from "./prune-audit-events.ts";

const DAY = 24 * 60 * 60 * 1000;

async function seed(db: Db, rows: { actor: string; action: string; imageId?: string; outcome?: string; at?: Date }[]) {
  for (const row of rows) {
    await db.auditEvent.create({
      data: {
        actor: row.actor,
        action: row.action,
        imageId: row.imageId ?? null,
        outcome: row.outcome ?? "ok",
        at: row.at,
        detail: { n: 1 },
      },
    });
  }
}

describeEachDatabase("audit trail", (under) => {
  const list = (query: string) => listAuditEvents(under.database.prisma, parseAuditQuery(new URLSearchParams(query)));

  it("filters by actor, exact action, action prefix, image, outcome and time; newest first", async () => {
    const t0 = new Date("2030-05-01T10:00:00Z");
    await seed(under.database.prisma, [
      { actor: "alice-f", action: "rollout.create", imageId: "img-f", at: t0 },
      { actor: "alice-f", action: "rollout.cancel", at: new Date(t0.getTime() + 60_000) },
      { actor: "bob-f", action: "image.publish", imageId: "img-f", outcome: "failed", at: new Date(t0.getTime() + 120_000) },
      { actor: "bob-f", action: "rolloutx.create", at: new Date(t0.getTime() + 180_000) },
      { actor: "bob-f", action: "rollout_x.create", at: new Date(t0.getTime() + 240_000) },
    ]);
    const actions = async (query: string) => (await list(query)).events.map((event) => event.action);
    expect(await actions("actor=alice-f")).toEqual(["rollout.cancel", "rollout.create"]);
    expect(await actions("actor=bob-f&action=image.publish")).toEqual(["image.publish"]);
    // A prefix matches literally: "_" is no LIKE wildcard ("rollout_." must not match "rolloutx.").
    expect(await actions("action=rollout.&from=2030-05-01T00:00:00Z&to=2030-05-02T00:00:00Z")).toEqual([
      "rollout.cancel",
      "rollout.create",
    ]);
    expect(await actions("action=rollout_.&from=2030-05-01T00:00:00Z")).toEqual([]);
    expect(await actions("action=rollout_x.&from=2030-05-01T00:00:00Z")).toEqual(["rollout_x.create"]);
    expect(await actions("imageId=img-f")).toEqual(["image.publish", "rollout.create"]);
    expect(await actions("outcome=failed&actor=bob-f")).toEqual(["image.publish"]);
    expect(await actions("from=2030-05-01T10:01:00Z&to=2030-05-01T10:02:00Z")).toEqual(["image.publish", "rollout.cancel"]);

    const [event] = (await list("actor=bob-f&action=image.publish")).events;
    expect(event).toMatchObject({
      actor: "bob-f",
      action: "image.publish",
      imageId: "img-f",
      outcome: "failed",
      address: null,
      target: null,
      detail: { n: 1 },
    });
    expect(event.id).toMatch(/^[0-9]+$/);
    expect(event.at).toBe(new Date(t0.getTime() + 120_000).toISOString());
  });

  it("pages with before=<id> until nextBefore is null", async () => {
    await seed(
      under.database.prisma,
      Array.from({ length: 7 }, (_, index) => ({ actor: "pager", action: `page.n${index}` })),
    );
    const seen: string[] = [];
    let before: string | null = null;
    for (let pages = 0; pages < 10; pages++) {
      const page = await list(`actor=pager&limit=3${before ? `&before=${before}` : ""}`);
      seen.push(...page.events.map((event) => event.action));
      before = page.nextBefore;
      if (!before) break;
    }
    expect(seen).toEqual(["page.n6", "page.n5", "page.n4", "page.n3", "page.n2", "page.n1", "page.n0"]);
    expect((await list("actor=pager&limit=7")).nextBefore).toBeNull();
  });

  it("prunes events older than the retention and keeps the rest", async () => {
    const now = new Date("2031-01-01T00:00:00Z");
    await seed(under.database.prisma, [
      { actor: "pruner", action: "old.one", at: new Date(now.getTime() - 366 * DAY) },
      { actor: "pruner", action: "old.two", at: new Date(now.getTime() - 365 * DAY - 1000) },
      { actor: "pruner", action: "kept.edge", at: new Date(now.getTime() - 365 * DAY + 1000) },
      { actor: "pruner", action: "kept.new", at: new Date(now.getTime() - DAY) },
    ]);
    const removed = await pruneAuditEvents(under.database.prisma, { retentionDays: 365, now });
    expect(removed).toBeGreaterThanOrEqual(2); // the other tests' rows (in 2030) go too
    expect((await list("actor=pager")).events).toEqual([]);
    expect((await list("actor=pruner")).events.map((event) => event.action)).toEqual(["kept.new", "kept.edge"]);
    expect(await pruneAuditEvents(under.database.prisma, { retentionDays: 365, now })).toBe(0);
  });
});
