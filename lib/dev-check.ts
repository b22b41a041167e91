// Development builds check what the browser receives (socket deltas, REST replies) against the
// contract's schemas, so a server that drifts from protocol/ shows up at once in the console.
// Production builds skip the check: every delta would be parsed twice for nothing.
import type { z } from "zod";

/** Returns `value` as received (never the parsed copy), so checking cannot change what the UI does. */
export function checkInDevelopment<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  if (process.env.NODE_ENV !== "production") {
    const result = schema.safeParse(value);
    if (!result.success) {
      const issues = result.error.issues.map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`).join("; ");
      console.error(`precache: ${where} does not match the protocol: ${issues}`, value);
    }
  }
  return value as T;
}
