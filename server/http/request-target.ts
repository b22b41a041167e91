// The path of a request, read from its request line without ever throwing: `GET //`, `//[` or
// `http://[` made `new URL()` throw before any handler ran, and the request was never answered.

/** The pathname (as URL normalises it) of an origin-form (`/a/b?q`) or absolute-form target, or null for junk. */
export function requestPathname(target: string | undefined): string | null {
  if (!target || target.length > 8192) return null;
  // "//host/x" (or "/\\host") would be read as a scheme-relative URL naming another host: never a path of ours.
  const isOriginForm = /^\/(?![/\\])/.test(target);
  if (!isOriginForm && !/^https?:\/\//i.test(target)) return null;
  try {
    return new URL(target, "http://localhost").pathname;
  } catch {
    return null;
  }
}
