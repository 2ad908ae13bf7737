import { describe, expect, it } from "vitest";
import { cloudflareSender, EmailSendError, type EmailSender, httpSender, outboxSender } from "./sender.ts";

const email = {
  from: "Sluice <alerts@sluice.test>",
  to: "admin@acme.example",
  subject: "Missed file",
  text: "Body",
  html: "<p>Body</p>",
};

interface Harness {
  sender: EmailSender;
  delivered: () => unknown[];
  fail: (kind: "transient" | "permanent") => void;
}

/** Each implementation, with a way to see what it delivered and to make its transport fail. */
const implementations: Record<string, () => Harness> = {
  cloudflare: () => {
    const sent: unknown[] = [];
    let failing = false;
    const binding = {
      send: async (m: unknown) => {
        if (failing) throw new Error("destination not verified");
        sent.push(m);
        return { messageId: "m1" };
      },
    } as unknown as SendEmail;
    return { sender: cloudflareSender(binding), delivered: () => sent, fail: () => (failing = true) };
  },
  http: () => {
    const sent: unknown[] = [];
    let status = 200;
    const fakeFetch = (async (url: string, init: RequestInit) => {
      expect(url).toBe("https://mail.example/v1/emails");
      expect((init.headers as Record<string, string>).authorization).toBe("Bearer key-123");
      if (status !== 200) return new Response("nope", { status });
      sent.push(JSON.parse(init.body as string));
      return Response.json({ id: "e1" });
    }) as typeof fetch;
    return {
      sender: httpSender({ baseUrl: "https://mail.example/v1/", apiKey: "key-123", fetch: fakeFetch }),
      delivered: () => sent,
      fail: (kind) => (status = kind === "transient" ? 503 : 422),
    };
  },
};

describe.each(Object.keys(implementations))("email sender contract: %s", (name) => {
  it("delivers subject, text and HTML to the recipient", async () => {
    const h = implementations[name]!();
    await h.sender.send(email);
    expect(h.sender.name).toBe(name);
    const [first] = h.delivered() as Record<string, unknown>[];
    expect(JSON.stringify(first)).toContain("admin@acme.example");
    expect(first).toMatchObject({ subject: "Missed file", text: "Body", html: "<p>Body</p>" });
  });
});

describe.each(["cloudflare", "http"])("email transport failures: %s", (name) => {
  it("reports a failing transport as an EmailSendError that says whether to retry", async () => {
    const h = implementations[name]!();
    h.fail("transient");
    const err = await h.sender.send(email).catch((e) => e);
    expect(err).toBeInstanceOf(EmailSendError);
    expect(err.retryable).toBe(true);
    expect(h.delivered()).toEqual([]);
  });
});

describe("http provider", () => {
  it("does not retry a message the provider rejects as invalid", async () => {
    const h = implementations.http!();
    h.fail("permanent");
    const err = await h.sender.send(email).catch((e) => e);
    expect(err).toBeInstanceOf(EmailSendError);
    expect(err.retryable).toBe(false);
  });
});

describe("outbox sender (the local default)", () => {
  it("accepts every message without reaching the network: the D1 outbox row is the delivery", async () => {
    const calls: unknown[] = [];
    const realFetch = globalThis.fetch;
    globalThis.fetch = (async (...args: unknown[]) => {
      calls.push(args);
      return new Response(null, { status: 500 });
    }) as typeof fetch;
    try {
      await expect(outboxSender.send(email)).resolves.toBeUndefined();
    } finally {
      globalThis.fetch = realFetch;
    }
    expect(outboxSender.name).toBe("outbox");
    expect(calls).toEqual([]);
  });
});
