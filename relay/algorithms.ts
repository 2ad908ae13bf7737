/**
 * The transport algorithms the relay offers. Modern only, but not so hardened that real clients
 * fail: curl 7.88 (libssh2 1.10) needs aes*-ctr with non-ETM hmac-sha2-256, so those stay.
 * diffie-hellman-group-exchange-* is left out because ssh2 advertises it but does not implement it
 * server-side: a client that picks it is disconnected. No sha1, cbc, 3des, arcfour or dss anywhere.
 */
import type { Algorithms } from "ssh2";

export const SERVER_ALGORITHMS = {
  kex: [
    "curve25519-sha256",
    "curve25519-sha256@libssh.org",
    // No NIST curves (ssh-audit fails them). For clients without curve25519 (old PuTTY, some Java
    // libraries): 2048+ bit MODP groups with SHA-2.
    "diffie-hellman-group14-sha256",
    "diffie-hellman-group16-sha512",
    "diffie-hellman-group18-sha512",
  ],
  cipher: [
    "aes128-gcm@openssh.com",
    "aes256-gcm@openssh.com",
    "chacha20-poly1305@openssh.com",
    "aes128-ctr",
    "aes192-ctr",
    "aes256-ctr",
  ],
  hmac: ["hmac-sha2-256-etm@openssh.com", "hmac-sha2-512-etm@openssh.com", "hmac-sha2-256", "hmac-sha2-512"],
  // Host key signature algorithms follow the keys we load (ed25519, then RSA with SHA-2 only).
  serverHostKey: ["ssh-ed25519", "rsa-sha2-512", "rsa-sha2-256"],
  compress: ["none", "zlib@openssh.com"],
} satisfies Algorithms;
