// Every failed REST call answers { error: { code, message } } with the code's HTTP status.
import { z } from "zod";
import { errorCodeSchema } from "../errors.ts";

export const errorBody = z.object({ error: z.object({ code: errorCodeSchema, message: z.string() }) });
export type ErrorBody = z.infer<typeof errorBody>;
