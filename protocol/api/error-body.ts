// Every failed REST call answers { error: { code, message } } with the code's HTTP status.
import { z } from "zod";
import { type ErrorCode, errorCodeSchema } from "../errors.ts";

/** One invalid field of a request body: its path ("tier1.0.url") and what is wrong with it. */
export const fieldError = z.object({ path: z.string(), message: z.string() });
export type FieldError = z.infer<typeof fieldError>;

export const errorBody = z.object({
  error: z.object({
    code: errorCodeSchema,
    message: z.string(),
    /** VALIDATION_FAILED on a body: each field at fault, so a form can mark the field itself. */
    fields: z.array(fieldError).optional(),
  }),
});
export type ErrorBody = z.infer<typeof errorBody>;

/** The body of a refusal with `code`: every edge that answers an error writes it through here. */
export function errorBodyOf(code: ErrorCode, message: string, fields?: FieldError[]): ErrorBody {
  return { error: fields?.length ? { code, message, fields } : { code, message } };
}
