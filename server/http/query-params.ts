// A URL's query string checked against a fixed set of parameters: unknown names, repeats and
// values that fail their schema are a 422 naming the parameter.
import { z } from "zod";
import { AppError } from "../errors.ts";

export function parseQueryParams<Fields extends Record<string, z.ZodType>>(
  query: URLSearchParams,
  fields: Fields,
): { [Name in keyof Fields]?: z.output<Fields[Name]> } {
  const raw: Record<string, string> = {};
  for (const [name, value] of query) {
    if (!Object.hasOwn(fields, name)) throw invalidParam(name.slice(0, 64), `unknown parameter (known: ${Object.keys(fields).join(", ")})`);
    if (raw[name] !== undefined) throw invalidParam(name, "given more than once");
    raw[name] = value;
  }
  const parsed: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(raw)) {
    const result = fields[name].safeParse(value);
    if (!result.success) throw invalidParam(name, result.error.issues[0]?.message ?? "invalid");
    parsed[name] = result.data;
  }
  return parsed as { [Name in keyof Fields]?: z.output<Fields[Name]> };
}

export function invalidParam(name: string, message: string): AppError {
  return new AppError("VALIDATION_FAILED", `query parameter ${JSON.stringify(name)}: ${message}`);
}

/** "1".."max" as a number. */
export function pageLimit(max: number) {
  const message = `must be an integer from 1 to ${max}`;
  return z
    .string()
    .regex(/^[0-9]{1,6}$/, message)
    .transform(Number)
    .refine((value) => value >= 1 && value <= max, message);
}
