import { describe, expect, it } from "vitest";
import { loadConfig, parseDevVars } from "./config.ts";

const token = "t".repeat(40);

describe("loadConfig", () => {
  it("applies defaults when only the required variables are set", () => {
    const config = loadConfig({ WORKER_URL: "http://127.0.0.1:8787/", RELAY_TOKEN: token });
    expect(config).toMatchObject({
      WORKER_URL: "http://127.0.0.1:8787",
      SFTP_HOST: "127.0.0.1",
      SFTP_PORT: 2222,
      HOST_KEY_DIR: "./.relay",
      MAX_FILE_BYTES: 512 * 1024 * 1024,
      IDLE_TIMEOUT_MS: 600_000,
      LOGIN_GRACE_MS: 60_000,
      SHUTDOWN_GRACE_MS: 30_000,
      PROXY_PROTOCOL: "off",
      WRITE_WINDOW_BYTES: 8 * 1024 * 1024,
      MAX_BUFFER_BYTES: 256 * 1024 * 1024,
      WORKER_TIMEOUT_MS: 30_000,
    });
    expect(config.RELAY_ID).toMatch(/-\d+$/);
  });

  it("names the variable when the token is too short", () => {
    expect(() => loadConfig({ WORKER_URL: "http://x", RELAY_TOKEN: "short" })).toThrow(/RELAY_TOKEN/);
  });

  it("names a missing WORKER_URL and an invalid PROXY_PROTOCOL together", () => {
    expect(() => loadConfig({ RELAY_TOKEN: token, PROXY_PROTOCOL: "v3" })).toThrow(
      /WORKER_URL is required.*PROXY_PROTOCOL/,
    );
  });

  it("parses numbers and rejects a port out of range", () => {
    expect(loadConfig({ WORKER_URL: "http://x", RELAY_TOKEN: token, SFTP_PORT: "0" }).SFTP_PORT).toBe(0);
    expect(() => loadConfig({ WORKER_URL: "http://x", RELAY_TOKEN: token, SFTP_PORT: "70000" })).toThrow(/SFTP_PORT/);
  });

  it("rejects a MAX_BUFFER_BYTES below 1 MiB or not an integer, naming it", () => {
    const env = { WORKER_URL: "http://x", RELAY_TOKEN: token };
    expect(loadConfig({ ...env, MAX_BUFFER_BYTES: String(64 * 1024 * 1024) }).MAX_BUFFER_BYTES).toBe(64 * 1024 * 1024);
    expect(() => loadConfig({ ...env, MAX_BUFFER_BYTES: "1048575" })).toThrow(/MAX_BUFFER_BYTES/);
    expect(() => loadConfig({ ...env, MAX_BUFFER_BYTES: "256MiB" })).toThrow(/MAX_BUFFER_BYTES/);
    expect(() => loadConfig({ ...env, MAX_BUFFER_BYTES: "1572864.5" })).toThrow(/MAX_BUFFER_BYTES/);
  });

  it("reads RELAY_TOKEN and WORKER_URL from a DEV_VARS file, the environment winning", () => {
    const file = `# shared with wrangler\nRELAY_TOKEN="${token}"\nWORKER_URL=http://localhost:8787\n`;
    const config = loadConfig({ DEV_VARS: "/x/.dev.vars", WORKER_URL: "http://other:1" }, () => file);
    expect(config.RELAY_TOKEN).toBe(token);
    expect(config.WORKER_URL).toBe("http://other:1");
  });

  it("reports an unreadable DEV_VARS file by name", () => {
    expect(() =>
      loadConfig({ DEV_VARS: "/nope" }, () => {
        throw new Error("ENOENT");
      }),
    ).toThrow(/DEV_VARS/);
  });
});

describe("parseDevVars", () => {
  it("understands quotes, comments, blank lines and export prefixes", () => {
    expect(parseDevVars("A=1\n\n# c\nB=\"two words\"\nexport C='x'\r\nbad line\n")).toEqual({
      A: "1",
      B: "two words",
      C: "x",
    });
  });
});
