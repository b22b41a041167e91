// A 422's field paths ("tier1.0.url") turned into the form fields they name, so the form can
// mark the field (aria-invalid) and say what is wrong next to it instead of one line at the bottom.
import { ApiError } from "./api";

/** Messages by field id; `idOf` maps a path to the id of its input (undefined: no such input). */
export function fieldErrorsOf(error: unknown, idOf: (path: string[]) => string | undefined): Map<string, string> {
  const byId = new Map<string, string>();
  if (!(error instanceof ApiError)) return byId;
  for (const field of error.fields) {
    const id = idOf(field.path.split("."));
    if (id && !byId.has(id)) byId.set(id, field.message);
  }
  return byId;
}

/** Props that tie an input to its message: aria-invalid and aria-describedby when it has one. */
export function invalidProps(errors: Map<string, string>, id: string) {
  return errors.has(id) ? { "aria-invalid": true as const, "aria-describedby": `${id}-error` } : {};
}
