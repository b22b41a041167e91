// The REST routes to fuzz, read from the router's own route table: a route added later is fuzzed
// without anyone remembering to list it here.
import type { Route } from "../../server/http/route.ts";
import { routes as allRoutes } from "../../server/http/handle-api.ts";

/** A path as literal text and parameters; a parameter may be a fixed choice (`(pause|resume)`). */
export type PathPart = { literal: string } | { param: string; choices: string[] | null };
export type RouteTemplate = { method: string; parts: PathPart[]; sample: string };

export function routeTemplates(routes: readonly Route[] = allRoutes): RouteTemplate[] {
  return routes.map((route) => {
    const parts = parsePattern(route.path.source);
    return { method: route.method, parts, sample: parts.map((part) => ("literal" in part ? part.literal : `{${part.param}}`)).join("") };
  });
}

/** `^\/api\/images\/([A-Za-z0-9]…)\/publish$` → literal "/api/images/", param, literal "/publish". */
function parsePattern(source: string): PathPart[] {
  const parts: PathPart[] = [];
  let literal = "";
  let i = source.startsWith("^") ? 1 : 0;
  const end = source.endsWith("$") ? source.length - 1 : source.length;
  while (i < end) {
    const char = source[i];
    if (char === "\\") {
      literal += source[i + 1];
      i += 2;
    } else if (char === "(") {
      let depth = 1;
      let j = i + 1;
      while (j < end && depth > 0) {
        if (source[j] === "\\") j += 1;
        else if (source[j] === "(") depth += 1;
        else if (source[j] === ")") depth -= 1;
        j += 1;
      }
      const group = source.slice(i + 1, j - 1);
      if (literal) parts.push({ literal });
      literal = "";
      parts.push({ param: group, choices: /^[A-Za-z0-9_-]+(\|[A-Za-z0-9_-]+)+$/.test(group) ? group.split("|") : null });
      i = j;
    } else {
      literal += char;
      i += 1;
    }
  }
  if (literal) parts.push({ literal });
  return parts;
}
