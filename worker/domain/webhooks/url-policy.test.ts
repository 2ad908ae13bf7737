import { describe, expect, it } from "vitest";
import { webhookUrlProblem } from "./url-policy.ts";

describe("webhook URL policy", () => {
  it.each(["https://hooks.acme.example/sluice", "https://203.0.114.7:8443/in", "https://[2606:4700::1111]/hook"])(
    "accepts the public https URL %s everywhere",
    (url) => {
      expect(webhookUrlProblem(url, "production")).toBeNull();
      expect(webhookUrlProblem(url, "development")).toBeNull();
    },
  );

  it.each([
    ["http://hooks.acme.example/sluice", /https/],
    ["ftp://hooks.acme.example/", /https/],
    ["https://user:pw@hooks.acme.example/", /user name or password/],
    ["not a url", /absolute URL/],
    ["https://10.1.2.3/", /private or reserved/],
    ["https://172.20.0.1/", /private or reserved/],
    ["https://192.168.1.10/", /private or reserved/],
    ["https://169.254.169.254/latest/meta-data", /private or reserved/],
    ["https://100.64.0.1/", /private or reserved/],
    ["https://0.0.0.0/", /private or reserved/],
    ["https://[fd00::1]/", /private or reserved/],
    ["https://[fe80::1]/", /private or reserved/],
    ["https://[::ffff:10.0.0.1]/", /private or reserved/],
    ["https://[::]/", /private or reserved/],
    ["https://metadata.google.internal/", /private or reserved/],
    ["https://printer.local/", /private or reserved/],
    ["https://intranet/", /private or reserved/],
  ])("refuses %s", (url, message) => {
    expect(webhookUrlProblem(url, "production")).toMatch(message);
    expect(webhookUrlProblem(url, "development")).toMatch(message);
  });

  it.each([
    "http://127.0.0.1:8080/hook",
    "http://localhost:3000/hook",
    "https://localhost/hook",
    "http://[::1]:9000/",
    "http://127.1/",
    "http://2130706433/",
    "http://0x7f.0.0.1/",
    "http://hooks.localhost/",
    "http://[::ffff:127.0.0.1]/",
  ])("allows the loopback URL %s only in development", (url) => {
    expect(webhookUrlProblem(url, "development")).toBeNull();
    expect(webhookUrlProblem(url, "production")).toMatch(/loopback/);
  });
});
