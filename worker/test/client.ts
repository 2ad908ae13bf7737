import { env, SELF } from "cloudflare:test";

export const ORIGIN = "https://sluice.test";
export const OPERATOR_TOKEN = env.OPERATOR_TOKEN;
export const RELAY_TOKEN = env.RELAY_TOKEN;

export interface Call {
  status: number;
  headers: Headers;
  body: any;
}

/** One request to the real Worker (through its fetch handler), JSON in and out. */
export async function call(
  method: string,
  path: string,
  opts: { json?: unknown; body?: BodyInit; headers?: Record<string, string> } = {},
): Promise<Call> {
  const headers: Record<string, string> = { ...opts.headers };
  let body = opts.body;
  if (opts.json !== undefined) {
    headers["content-type"] ??= "application/json";
    body = JSON.stringify(opts.json);
  }
  const res = await SELF.fetch(`${ORIGIN}${path}`, { method, headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {}
  return { status: res.status, headers: res.headers, body: parsed };
}

export const ADMIN_PASSWORD = "a long admin password";

/** Creates an account through the operator API and returns its admin's API key and session. */
export async function newTenant(name = "Acme") {
  const email = `admin-${crypto.randomUUID().slice(0, 8)}@${name.toLowerCase()}.example`;
  const created = await call("POST", "/api/v1/accounts", {
    headers: { authorization: `Bearer ${OPERATOR_TOKEN}` },
    json: {
      accountName: name,
      timeZone: "Europe/London",
      admin: { email, firstName: "Ada", lastName: "Admin", password: ADMIN_PASSWORD },
    },
  });
  if (created.status !== 201) throw new Error(`account: ${created.status} ${JSON.stringify(created.body)}`);
  const login = await call("POST", "/api/v1/sessions", { json: { email, password: ADMIN_PASSWORD } });
  if (login.status !== 201) throw new Error(`login: ${login.status} ${JSON.stringify(login.body)}`);
  const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
  const csrf = login.body.csrfToken as string;
  const key = await call("POST", "/api/v1/api-keys", {
    headers: { cookie, "x-csrf-token": csrf },
    json: { name: "tests" },
  });
  if (key.status !== 201) throw new Error(`key: ${key.status} ${JSON.stringify(key.body)}`);
  const apiKey = key.body.key as string;
  return {
    accountId: created.body.account.id as string,
    email,
    cookie,
    csrf,
    apiKey,
    /** Headers for calls as this tenant's API key. */
    auth: { authorization: `Bearer ${apiKey}` },
    /** Headers for cookie-authenticated writes. */
    session: { cookie, "x-csrf-token": csrf },
  };
}
