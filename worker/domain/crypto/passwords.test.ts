import { describe, expect, it } from "vitest";
import { hashPassword, PBKDF2_ITERATIONS, PBKDF2_MAX_ITERATIONS, verifyPassword } from "./passwords.ts";

describe("admin password hashing", () => {
  it("uses PBKDF2-SHA256 at no more than the 100,000 iterations production Workers allow", async () => {
    expect(PBKDF2_MAX_ITERATIONS).toBe(100_000);
    expect(PBKDF2_ITERATIONS).toBeLessThanOrEqual(100_000);
    const stored = await hashPassword("correct horse battery");
    const [scheme, iterations] = stored.split("$");
    expect(scheme).toBe("pbkdf2-sha256");
    expect(Number(iterations)).toBe(PBKDF2_ITERATIONS);
  });

  it("refuses to hash above the production cap", async () => {
    await expect(hashPassword("correct horse battery", 100_001)).rejects.toThrow(/between 1 and 100000/);
  });

  it("verifies the right password and rejects a wrong one", async () => {
    const stored = await hashPassword("correct horse battery", 1000);
    expect(await verifyPassword("correct horse battery", stored)).toBe(true);
    expect(await verifyPassword("correct horse batterx", stored)).toBe(false);
    expect(await verifyPassword("anything", "garbage")).toBe(false);
  });

  it("salts every hash", async () => {
    expect(await hashPassword("same password!", 1000)).not.toBe(await hashPassword("same password!", 1000));
  });
});
