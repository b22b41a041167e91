// Where sign-in sends the operator back to: the page that sent them to /login, if it is one of ours.

/** `?next=` for /login from the current location (nothing for /login itself or the default page). */
export function loginHref(pathname: string, search: string): string {
  if (pathname === "/login" || pathname === "/" || pathname + search === "/images") return "/login";
  return `/login?next=${encodeURIComponent(pathname + search)}`;
}

/**
 * A same-origin path to go back to, or /images. Refuses what would leave the site: absolute URLs,
 * protocol-relative "//host" and "/\host" (browsers read a backslash as a slash), and control characters.
 */
export function safeReturnPath(next: string | null | undefined): string {
  if (!next?.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) return "/images";
  if (/[\u0000-\u001f\u007f]/.test(next)) return "/images";
  if (next === "/login" || next.startsWith("/login?") || next.startsWith("/api/")) return "/images";
  return next;
}
