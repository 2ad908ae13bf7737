/**
 * 1,000 failed SFTP logins from one address, over real SSH (ssh2's Client, in this process)
 * through the relay to `wrangler dev`, while the delivery's IT team keeps logging in from another
 * address. The loopback network gives the two addresses: 127.0.0.1 guesses, 127.0.0.2 is IT.
 */
import ssh2 from "ssh2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, type Started, startRelay } from "../scripts/lib/stack.ts";
import { secretsInLogs } from "./log-secrets.ts";
import { http, type Stack, startStack } from "./stack.ts";

/**
 * The Worker's ban rules, from its own module. Imported by a variable specifier so this Node
 * program does not type-check the Worker's sources against Node's types.
 */
const BAN_RULES = "../worker/domain/relay/bans.ts";
const { banPolicy } = (await import(BAN_RULES)) as { banPolicy: { ipThreshold: number; durationsMs: number[] } };

const ATTACKER = "127.0.0.1";
const IT = "127.0.0.2";
const ATTEMPTS = 1000;
/** Connections opened, and past the relay's ban check, before the ban: their later guesses reach the Worker. */
const EARLY_CONNECTIONS = 20;
const GUESSES_PER_CONNECTION = 5;
const PARALLEL = 16;

interface Outcome {
  /** Passwords this connection sent. */
  sent: number;
  /** `refused`: every password was answered with a failure; `cut`: the relay closed the connection first. */
  result: "granted" | "refused" | "cut";
}

/**
 * One SSH connection from `from` offering `passwords` in turn. With `gate`, the first password
 * waits for it (the connection is established and authenticating meanwhile). `whenReady` runs on
 * a granted connection before it is closed.
 */
function sshLogin(
  port: number,
  from: string,
  username: string,
  passwords: string[],
  opts: { gate?: Promise<void>; waiting?: () => void; whenReady?: (c: ssh2.Client) => Promise<void> } = {},
): Promise<Outcome> {
  return new Promise((resolve) => {
    const client = new ssh2.Client();
    let sent = 0;
    let settled = false;
    const settle = (result: Outcome["result"]) => {
      if (settled) return;
      settled = true;
      client.end();
      resolve({ sent, result });
    };
    client.on("ready", () => {
      (opts.whenReady ?? (async () => {}))(client).then(
        () => settle("granted"),
        () => settle("cut"),
      );
    });
    client.on("error", (err: Error & { level?: string }) =>
      settle(err.level === "client-authentication" ? "refused" : "cut"),
    );
    client.on("close", () => settle("cut"));
    client.connect({
      host: "127.0.0.1",
      port,
      localAddress: from,
      username,
      readyTimeout: 60_000,
      hostVerifier: () => true,
      authHandler: (_left, _partial, next) => {
        const offer = () => {
          const password = passwords[sent];
          if (password === undefined) return next(false as never);
          sent++;
          next({ type: "password", username, password });
        };
        if (sent === 0 && opts.gate) {
          opts.waiting?.();
          void opts.gate.then(offer);
        } else offer();
      },
    });
  });
}

function listRoot(client: ssh2.Client): Promise<void> {
  return new Promise((resolve, reject) => {
    client.sftp((err, sftp) => {
      if (err) return reject(err);
      sftp.readdir("/", (readErr) => (readErr ? reject(readErr) : resolve()));
    });
  });
}

async function inParallel(count: number, limit: number, task: (i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

describe("1,000 failed logins from one address", () => {
  let stack: Stack;
  let relay: Started;
  let port: number;
  let auth: Record<string, string>;
  let deliveryId: string;
  let username: string;
  let password: string;

  beforeAll(async () => {
    stack = await startStack();
    port = await freePort();
    relay = await startRelay({
      workerUrl: stack.url,
      relayToken: stack.secrets.RELAY_TOKEN as string,
      port,
      hostKeyDir: `${stack.dir}/relay-keys`,
    });
    const account = await http(stack.url, "POST", "/api/v1/accounts", {
      headers: { authorization: `Bearer ${stack.secrets.OPERATOR_TOKEN}` },
      json: {
        accountName: "Guarded Ltd",
        timeZone: "UTC",
        admin: { email: "admin@guarded.example", firstName: "G", lastName: "D", password: "a long admin password" },
      },
    });
    expect(account.status).toBe(201);
    const login = await http(stack.url, "POST", "/api/v1/sessions", {
      json: { email: "admin@guarded.example", password: "a long admin password" },
    });
    const session = {
      cookie: (login.headers.get("set-cookie") ?? "").split(";")[0] ?? "",
      "x-csrf-token": login.body.csrfToken,
    };
    const key = await http(stack.url, "POST", "/api/v1/api-keys", { headers: session, json: { name: "e2e" } });
    auth = { authorization: `Bearer ${key.body.key}` };
    const created = await http(stack.url, "POST", "/api/v1/deliveries", { headers: auth, json: { kind: "user_sync" } });
    deliveryId = created.body.delivery.id;
    username = created.body.credentials.username;
    password = created.body.credentials.password;
  }, 180_000);

  afterAll(async () => {
    await relay?.stop();
    await stack?.stop();
  });

  it("bans the address at the threshold, refuses it before any password check, and lets IT in throughout", async () => {
    const started = Date.now();
    const wrong = (n: number) => `wrong-guess-${n}`;
    const goodLogins: Outcome[] = [];
    const itLogsIn = async () => {
      goodLogins.push(await sshLogin(port, IT, username, [password], { whenReady: listRoot }));
    };
    const connectionChecks = () => (stack.worker.output().match(/POST \/relay\/v1\/connections 200/g) ?? []).length;
    let attempts = 0;

    await itLogsIn();

    // Connections that get past the relay's ban check now, and wait to guess until after the ban.
    let open!: () => void;
    const gate = new Promise<void>((r) => {
      open = r;
    });
    let waiting = 0;
    const checksBefore = connectionChecks();
    const early = Array.from({ length: EARLY_CONNECTIONS }, (_, c) =>
      sshLogin(
        port,
        ATTACKER,
        username,
        // The first of them guesses right: it must be refused all the same.
        Array.from({ length: GUESSES_PER_CONNECTION }, (_, g) => (c === 0 ? password : wrong(1000 + c * 10 + g))),
        {
          gate,
          waiting: () => {
            waiting++;
          },
        },
      ),
    );
    const deadline = Date.now() + 60_000;
    while (
      (waiting < EARLY_CONNECTIONS || connectionChecks() < checksBefore + EARLY_CONNECTIONS) &&
      Date.now() < deadline
    ) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(waiting).toBe(EARLY_CONNECTIONS);
    await new Promise((r) => setTimeout(r, 500));

    // One guess at a time up to the threshold, on two connections (the relay drops a connection
    // after 6 failures, as sshd does): the guess after the threshold is the right password.
    const threshold = banPolicy.ipThreshold;
    const first = await sshLogin(port, ATTACKER, username, [1, 2, 3, 4, 5].map(wrong));
    const secondGuesses = Array.from({ length: threshold - 5 }, (_, i) => wrong(6 + i)).concat(password);
    const second = await sshLogin(port, ATTACKER, username, secondGuesses);
    attempts += first.sent + second.sent;
    expect([first, second]).toEqual([
      { sent: 5, result: "refused" },
      { sent: threshold - 5 + 1, result: "refused" },
    ]);
    const sequentialMs = Date.now() - started;
    await itLogsIn();

    // The early connections now guess: each guess reaches the Worker, which refuses it as banned.
    open();
    const earlyOutcomes = await Promise.all(early);
    attempts += earlyOutcomes.reduce((n, o) => n + o.sent, 0);
    expect(earlyOutcomes.filter((o) => !(o.sent === GUESSES_PER_CONNECTION && o.result === "refused"))).toEqual([]);
    await itLogsIn();

    // The rest, as new connections in parallel: the relay cuts each before authentication.
    const rest = ATTEMPTS - attempts;
    const late: Outcome[] = [];
    const floodStarted = Date.now();
    await inParallel(rest, PARALLEL, async (i) => {
      late.push(await sshLogin(port, ATTACKER, username, [i % 50 === 0 ? password : wrong(5000 + i)]));
      if (i % 100 === 99) await itLogsIn();
    });
    attempts += late.length;
    const floodMs = Date.now() - floodStarted;
    await itLogsIn();
    expect(attempts).toBe(ATTEMPTS);
    expect(late.filter((o) => o.result !== "cut")).toEqual([]);
    expect(goodLogins.length).toBeGreaterThanOrEqual(12);
    expect(goodLogins.filter((o) => o.result !== "granted")).toEqual([]);

    // What the Worker recorded: the first `threshold` guesses were checked and wrong; every later
    // one it saw was refused for the ban, the right password included.
    const recorded = (
      await http(stack.url, "GET", `/api/v1/deliveries/${deliveryId}/login-attempts?limit=500`, { headers: auth })
    ).body.loginAttempts as { sourceIp: string; outcome: string; reason: string | null; createdAt: number }[];
    const fromAttacker = recorded.filter((r) => r.sourceIp === ATTACKER).reverse();
    const banned = `${ATTACKER} is banned after repeated failed logins`;
    expect(fromAttacker.slice(0, threshold).map((r) => r.reason)).toEqual(Array(threshold).fill("wrong password"));
    expect(fromAttacker[threshold]?.reason).toBe(banned);
    expect(fromAttacker.slice(threshold).every((r) => r.outcome === "refused" && r.reason === banned)).toBe(true);
    expect(fromAttacker).toHaveLength(threshold + 1 + EARLY_CONNECTIONS * GUESSES_PER_CONNECTION);
    const fromIt = recorded.filter((r) => r.sourceIp === IT);
    expect(fromIt.map((r) => r.outcome)).toEqual(Array(goodLogins.length).fill("granted"));
    // The late connections never reached a login: the relay logged each one's refusal at the door.
    expect(
      (relay.output().match(new RegExp(`connection refused ip=${ATTACKER.replaceAll(".", "\\.")}`, "g")) ?? []).length,
    ).toBe(rest);

    // One ban, on the address, at the first level; nothing on IT's address or the username.
    const bans = (await http(stack.url, "GET", "/api/v1/login-bans", { headers: auth })).body.bans as {
      subject: string;
      level: number;
      bannedUntil: number;
    }[];
    expect(bans.map((b) => [b.subject, b.level])).toEqual([[`ip:${ATTACKER}`, 1]]);
    const tenth = fromAttacker[threshold - 1]?.createdAt as number;
    expect(bans[0]?.bannedUntil).toBeGreaterThanOrEqual(tenth + (banPolicy.durationsMs[0] as number));
    expect(bans[0]?.bannedUntil).toBeLessThan(tenth + (banPolicy.durationsMs[0] as number) + 5_000);

    const totalMs = Date.now() - started;
    console.log(
      `${ATTEMPTS} failed logins from ${ATTACKER}: ${totalMs} ms in all (first ${threshold + 1} one by one: ${sequentialMs} ms; ` +
        `${EARLY_CONNECTIONS * GUESSES_PER_CONNECTION} on early connections; ${rest} new connections, ${PARALLEL} at a time: ${floodMs} ms); ` +
        `${goodLogins.length} logins from ${IT}, all granted`,
    );

    expect(secretsInLogs(stack.worker.output() + relay.output(), { "SFTP password": password })).toEqual([]);
    expect(stack.worker.output() + relay.output()).not.toContain("wrong-guess-");
  }, 600_000);
});
