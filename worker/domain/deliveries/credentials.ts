import { randomBase32 } from "../crypto/encoding.ts";
import { decryptSecret, encryptSecret, keyedHash, safeEqual } from "../crypto/secrets.ts";

/** 28 characters of a 32-letter alphabet: 140 random bits. */
const PASSWORD_LENGTH = 28;

export function generateUsername(): string {
  // 60 random bits; uniqueness is enforced by the database as well.
  return `sluice-${randomBase32(12)}`;
}

export interface StoredCredential {
  credentialHash: string;
  credentialCipher: string;
}

export async function generateCredential(credentialsKey: string) {
  const password = randomBase32(PASSWORD_LENGTH);
  return { password, ...(await storeCredential(credentialsKey, password)) };
}

export async function storeCredential(credentialsKey: string, password: string): Promise<StoredCredential> {
  return {
    credentialHash: await keyedHash(credentialsKey, "credential-hash", password),
    credentialCipher: await encryptSecret(credentialsKey, password),
  };
}

export async function checkCredential(credentialsKey: string, stored: string, password: string): Promise<boolean> {
  const actual = await keyedHash(credentialsKey, "credential-hash", password);
  return safeEqual(actual, stored);
}

export function revealCredential(credentialsKey: string, cipher: string): Promise<string> {
  return decryptSecret(credentialsKey, cipher);
}
