// Path parameters arrive percent-encoded: decode them without letting a bad escape become a 500.
import { AppError } from "../errors.ts";

export function decodePathParam(value: string, what: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(value);
  } catch {
    throw new AppError("BAD_REQUEST", `${what}: malformed percent-escape`);
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(decoded)) throw new AppError("BAD_REQUEST", `${what}: control characters or lone surrogates`);
  return decoded;
}
