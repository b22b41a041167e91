// REST calls as a signed-in operator (session cookie, sent as the dashboard would: same Origin,
// JSON) or with an API token; for tests of roles, sessions and tokens.
export type CallResult<T = any> = { status: number; body: T; headers: Headers };

export type OperatorClient = {
  cookie: string;
  user: { name: string; role: string; source: string };
  call<T = any>(method: string, route: string, body?: unknown, headers?: Record<string, string>): Promise<CallResult<T>>;
};

export async function call(
  url: string,
  method: string,
  route: string,
  options: { body?: unknown; headers?: Record<string, string> } = {},
): Promise<CallResult> {
  const response = await fetch(url + route, {
    method,
    headers: { ...(options.body === undefined ? {} : { "content-type": "application/json" }), ...options.headers },
    body: options.body === undefined ? undefined : typeof options.body === "string" ? options.body : JSON.stringify(options.body),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON (metrics): keep the text
  }
  return { status: response.status, body, headers: response.headers };
}

export async function trySignIn(
  url: string,
  credentials: { username?: string; password: string; domain?: string },
  headers: Record<string, string> = {},
): Promise<CallResult> {
  return call(url, "POST", "/api/session", { body: credentials, headers: { origin: url, ...headers } });
}

export async function signInAs(
  url: string,
  credentials: { username?: string; password: string; domain?: string },
): Promise<OperatorClient> {
  const answer = await trySignIn(url, credentials);
  if (answer.status !== 200)
    throw new Error(`sign-in as ${credentials.username ?? "admin"}: ${answer.status} ${JSON.stringify(answer.body)}`);
  const cookie = answer.headers.get("set-cookie")!.split(";")[0];
  return {
    cookie,
    user: answer.body.user,
    call: (method, route, body, headers = {}) =>
      call(url, method, route, { body: body === undefined && method !== "GET" ? {} : body, headers: { cookie, origin: url, ...headers } }),
  };
}

export function tokenClient(url: string, token: string) {
  return {
    call: <T = any>(method: string, route: string, body?: unknown): Promise<CallResult<T>> =>
      call(url, method, route, { body, headers: { authorization: `Bearer ${token}` } }),
  };
}
