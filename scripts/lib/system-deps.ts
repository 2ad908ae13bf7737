import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

/** Debian packages the end-to-end tests and benchmarks drive, by the file that proves each is present. */
const PACKAGES: { pkg: string; path: string }[] = [
  { pkg: "openssh-client", path: "/usr/bin/sftp" },
  { pkg: "sshpass", path: "/usr/bin/sshpass" },
  { pkg: "lftp", path: "/usr/bin/lftp" },
  { pkg: "chromium", path: "/usr/bin/chromium" },
  { pkg: "openssh-server", path: "/usr/sbin/sshd" },
  { pkg: "ssh-audit", path: "/usr/bin/ssh-audit" },
];

/**
 * Installs what is missing with apt-get (the test command must work on a fresh
 * Debian machine with only Node and npm). Without root or apt it says what to
 * install and fails rather than skipping tests silently.
 */
export function ensureSystemPackages(wanted: string[] = PACKAGES.map((p) => p.pkg)) {
  const missing = PACKAGES.filter((p) => wanted.includes(p.pkg) && !existsSync(p.path)).map((p) => p.pkg);
  if (missing.length === 0) return;
  const isRoot = process.getuid?.() === 0;
  const apt = existsSync("/usr/bin/apt-get");
  if (!apt || !isRoot) {
    throw new Error(
      `Missing system packages: ${missing.join(", ")}. Install them with: sudo apt-get install -y ${missing.join(" ")}`,
    );
  }
  console.log(`Installing system packages: ${missing.join(", ")}`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const update = spawnSync("apt-get", ["update", "-qq"], { stdio: "inherit", env });
  if (update.status !== 0) throw new Error("apt-get update failed");
  const install = spawnSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...missing], {
    stdio: "inherit",
    env,
  });
  if (install.status !== 0) throw new Error(`apt-get install ${missing.join(" ")} failed`);
}
