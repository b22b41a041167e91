import { describe, expect, it } from "vitest";
import { AppError } from "../errors.ts";
import { parseAuditQuery } from "./audit-query.ts";

const parse = (query: string) => parseAuditQuery(new URLSearchParams(query));

function refusal(query: string): string {
  try {
    parse(query);
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).status).toBe(422);
    return (error as AppError).message;
  }
  throw new Error(`?${query} was accepted`);
}

describe("parseAuditQuery", () => {
  it("reads every filter, with a default page size", () => {
    expect(parse("")).toEqual({ limit: 100 });
    const query = parse(
      "actor=admin&action=rollout.&imageId=img-1&outcome=failed&from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00%2B01:00&before=42&limit=500",
    );
    expect(query).toEqual({
      actor: "admin",
      action: "rollout.",
      imageId: "img-1",
      outcome: "failed",
      from: new Date("2026-01-01T00:00:00Z"),
      to: new Date("2026-01-01T23:00:00Z"),
      before: 42n,
      limit: 500,
    });
  });

  it.each([
    ["limit=0", "limit"],
    ["limit=501", "limit"],
    ["limit=abc", "limit"],
    ["limit=1e2", "limit"],
    ["before=-1", "before"],
    ["before=0", "before"],
    ["before=9223372036854775808", "before"],
    ["before=1.5", "before"],
    ["from=yesterday", "from"],
    ["to=2026-01-01", "to"],
    ["from=2026-01-01T00:00:00", "from"],
    ["from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z", "from"],
    ["outcome=maybe", "outcome"],
    ["actor=", "actor"],
    ["actor=a%00b", "actor"],
    ["imageId=%0Aforged-log-line", "imageId"],
    [`actor=${"x".repeat(257)}`, "actor"],
    ["action=rollout.%25", "action"],
    ["action=..", "action"],
    ["action=rollout..create", "action"],
    ["bogus=1", "bogus"],
    ["constructor=1", "constructor"],
    ["__proto__=1", "__proto__"],
    ["limit=1&limit=2", "limit"],
  ])("refuses ?%s naming %s", (query, name) => {
    expect(refusal(query)).toContain(`"${name}"`);
  });
});
