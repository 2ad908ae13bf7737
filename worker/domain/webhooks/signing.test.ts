import { describe, expect, it } from "vitest";
import { verifySluiceSignature } from "../../test/webhooks.ts";
import { newWebhookSecret, signatureHeader } from "./signing.ts";

describe("webhook signatures", () => {
  it("makes 256-bit whsec_ secrets", () => {
    const secret = newWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(newWebhookSecret()).not.toBe(secret);
  });

  it("signs t.<raw body> so that an independent node:crypto receiver verifies it", async () => {
    const secret = newWebhookSecret();
    const body = JSON.stringify({ id: "evt_1", type: "file.received", data: { name: "Zoë.csv" } });
    const t = Math.floor(Date.now() / 1000);
    const header = await signatureHeader([secret], t, body);
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(verifySluiceSignature(body, header, secret)).toBe(true);
    expect(verifySluiceSignature(`${body} `, header, secret)).toBe(false);
    expect(verifySluiceSignature(body, header, newWebhookSecret())).toBe(false);
    expect(verifySluiceSignature(body, header.replace(/t=\d+/, `t=${t + 1}`), secret)).toBe(false);
  });

  it("is refused by the receiver once the timestamp is more than five minutes old", async () => {
    const secret = newWebhookSecret();
    const t = Math.floor(Date.now() / 1000) - 301;
    const header = await signatureHeader([secret], t, "{}");
    expect(verifySluiceSignature("{}", header, secret)).toBe(false);
    expect(verifySluiceSignature("{}", header, secret, (t + 10) * 1000)).toBe(true);
  });

  it("carries one v1 per valid secret, either of which verifies", async () => {
    const [current, previous] = [newWebhookSecret(), newWebhookSecret()];
    const t = Math.floor(Date.now() / 1000);
    const header = await signatureHeader([current, previous], t, "{}");
    expect(header.split(",").filter((p) => p.startsWith("v1="))).toHaveLength(2);
    expect(verifySluiceSignature("{}", header, current)).toBe(true);
    expect(verifySluiceSignature("{}", header, previous)).toBe(true);
    expect(verifySluiceSignature("{}", header, newWebhookSecret())).toBe(false);
  });
});
