// Every failed REST call answers { error: { code, message } } with the code's HTTP status.
import { z } from "zod";
import { type ErrorCode, errorCodeSchema } from "../errors.ts";

export const errorBody = z.object({ error: z.object({ code: errorCodeSchema, message: z.string() }) });
export type ErrorBody = z.infer<typeof errorBody>;

/** The body of a refusal with `code`: every edge that answers an error writes it through here. */
export function errorBodyOf(code: ErrorCode, message: string): ErrorBody {
  return { error: { code, message } };
}
