/**
 * Hostile file names through the real stack: OpenSSH `sftp` and ssh2's Client → relay (Node) →
 * `wrangler dev`. Every name is either refused with an SFTP status that says why, or stored under
 * exactly the name the client sent; a refused name leaves nothing recorded, the connection and the
 * relay carry on, and nothing a client typed reaches the relay's log as a raw control character.
 *
 * Names that a batch file can carry go through OpenSSH too; the rest (newline, CR, NUL, ESC, ...)
 * only through ssh2, which sends the raw name. Each client uploads into its own delivery, so each
 * delivery's listing must be exactly the stored names plus the normal `users.csv` sent last.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import ssh2 from "ssh2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Delivery, type RelayHarness, settle, startRelayHarness } from "./relay-harness.ts";
import { type SftpResult, sftp } from "./sftp-client.ts";

const STATUS = ssh2.utils.sftp.STATUS_CODE;

interface Refusal {
  code: number;
  message: string;
}

interface Case {
  label: string;
  name: string;
  /** Whether OpenSSH can send it: no control characters, and within its 2,048-byte batch lines. */
  typed: boolean;
  /** `stored`: accepted and recorded under exactly `name`. */
  outcome: Refusal | "stored";
}

const LEAVES_ROOT: Refusal = { code: STATUS.NO_SUCH_FILE, message: "path leaves the root folder" };
const TOP_FOLDER: Refusal = { code: STATUS.PERMISSION_DENIED, message: "files can only be uploaded to the top folder" };
const CONTROL: Refusal = { code: STATUS.NO_SUCH_FILE, message: "path contains control characters" };
const TOO_LONG: Refusal = { code: STATUS.NO_SUCH_FILE, message: "file name is too long" };
const NOT_CSV: Refusal = { code: STATUS.PERMISSION_DENIED, message: "only .csv files are accepted" };

const CASES: Case[] = [
  // Path traversal
  { label: "../escape.csv", name: "../escape.csv", typed: true, outcome: LEAVES_ROOT },
  { label: "../../etc/passwd.csv", name: "../../etc/passwd.csv", typed: true, outcome: LEAVES_ROOT },
  { label: "/etc/x.csv", name: "/etc/x.csv", typed: true, outcome: TOP_FOLDER },
  { label: "sub/dir/file.csv", name: "sub/dir/file.csv", typed: true, outcome: TOP_FOLDER },
  { label: "..\\win.csv", name: "..\\win.csv", typed: true, outcome: TOP_FOLDER },
  { label: ". (the folder itself)", name: ".", typed: false, outcome: TOP_FOLDER },
  { label: ".. (above the root)", name: "..", typed: false, outcome: LEAVES_ROOT },
  // Control characters
  { label: "a newline", name: "line\nbreak.csv", typed: false, outcome: CONTROL },
  { label: "a carriage return", name: "carriage\rreturn.csv", typed: false, outcome: CONTROL },
  { label: "a TAB", name: "tab\tname.csv", typed: false, outcome: CONTROL },
  { label: "an ANSI escape", name: "\x1b[31mred.csv", typed: false, outcome: CONTROL },
  { label: "a NUL byte", name: "nul\0byte.csv", typed: false, outcome: CONTROL },
  { label: "DEL", name: "del\x7fete.csv", typed: false, outcome: CONTROL },
  { label: "a C1 control (CSI)", name: "csi\x9b31mname.csv", typed: false, outcome: CONTROL },
  // Long names: the limit is 255 bytes of UTF-8
  { label: "255 bytes", name: `${"a".repeat(251)}.csv`, typed: true, outcome: "stored" },
  { label: "256 bytes", name: `${"a".repeat(252)}.csv`, typed: true, outcome: TOO_LONG },
  { label: "1,000 characters", name: `${"b".repeat(996)}.csv`, typed: true, outcome: TOO_LONG },
  { label: "10,000 characters", name: `${"c".repeat(9996)}.csv`, typed: false, outcome: TOO_LONG },
  { label: "254 bytes of two-byte characters", name: `${"é".repeat(125)}.csv`, typed: true, outcome: "stored" },
  { label: "304 bytes in 104 characters", name: `${"名".repeat(100)}.csv`, typed: true, outcome: TOO_LONG },
  // Unicode oddities: not controls, so stored as sent, never normalised
  { label: "a right-to-left override", name: "invoice\u202egpj.csv", typed: true, outcome: "stored" },
  { label: "a zero-width space", name: "us\u200bers.csv", typed: true, outcome: "stored" },
  { label: "a Cyrillic е homoglyph", name: "us\u0435rs.csv", typed: true, outcome: "stored" },
  { label: "a decomposed é (NFD)", name: "cafe\u0301.csv", typed: true, outcome: "stored" },
  { label: "quotes", name: `say "hi" it's.csv`, typed: true, outcome: "stored" },
  { label: "URL-encoded traversal", name: "%2e%2e%2fescape.csv", typed: true, outcome: "stored" },
  // Not .csv
  { label: "users.txt", name: "users.txt", typed: true, outcome: NOT_CSV },
  { label: "users.csv.exe", name: "users.csv.exe", typed: true, outcome: NOT_CSV },
  { label: "no extension", name: "users", typed: true, outcome: NOT_CSV },
  { label: "a trailing space", name: "users.csv ", typed: true, outcome: NOT_CSV },
  { label: ".csv alone", name: ".csv", typed: true, outcome: NOT_CSV },
];

const REFUSED = CASES.filter((c): c is Case & { outcome: Refusal } => c.outcome !== "stored");
const STORED = CASES.filter((c) => c.outcome === "stored").map((c) => c.name);

/** What OpenSSH prints for a status code (it shows its own text, not the server's message). */
const OPENSSH_TEXT: Record<number, string> = {
  [STATUS.NO_SUCH_FILE]: "No such file or directory",
  [STATUS.PERMISSION_DENIED]: "Permission denied",
};

/** A name as one argument of an OpenSSH batch command: double-quoted, `\` and `"` escaped. */
const quoted = (name: string) => `"${name.replace(/[\\"]/g, "\\$&")}"`;

/**
 * How OpenSSH prints the remote path of a failed `put`: relative names taken from its working
 * folder `/`, a backslash doubled, and every byte outside printable ASCII in octal.
 */
function shownByOpenSsh(name: string): string {
  let shown = "";
  for (const byte of Buffer.from(name.startsWith("/") ? name : `/${name}`)) {
    if (byte === 0x5c) shown += "\\\\";
    else if (byte >= 0x20 && byte < 0x7f) shown += String.fromCharCode(byte);
    else shown += `\\${byte.toString(8).padStart(3, "0")}`;
  }
  return shown;
}

/** Characters a terminal acts on, or that reorder a line; none may reach the relay's log raw. */
const TERMINAL_CONTROLS = ["\x1b", "\r", "\0", "\x07", "\x7f", "\x9b", "\u202e", "\u200b"];

/** A user name that would set the terminal's title and colour if printed raw. */
const HOSTILE_USER = "\x1b]0;pwned\x07\x1b[31mroot";

const LOCAL = "hostile.csv";
const NORMAL = "users.csv";

let h: RelayHarness;
let content: Buffer;
let contentSha: string;
let normal: Buffer;
let normalSha: string;

beforeAll(async () => {
  h = await startRelayHarness();
  contentSha = h.writeFile(LOCAL, 512);
  content = readFileSync(join(h.dir, LOCAL));
  normalSha = h.writeFile(NORMAL, 4096);
  normal = readFileSync(join(h.dir, NORMAL));
}, 180_000);
afterAll(async () => {
  await h?.stop();
});

/** Rejects when `promise` has not settled within `ms`: a hang fails the test with a name. */
function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

function connect(opts: {
  username: string;
  password: string;
  localAddress?: string;
}): Promise<{ client: ssh2.Client; sftp: ssh2.SFTPWrapper }> {
  return within(
    30_000,
    "ssh2 connection",
    new Promise((resolve, reject) => {
      const client = new ssh2.Client();
      client.on("error", reject);
      client.on("ready", () => client.sftp((err, channel) => (err ? reject(err) : resolve({ client, sftp: channel }))));
      client.connect({
        host: "127.0.0.1",
        port: h.port,
        localAddress: opts.localAddress,
        username: opts.username,
        password: opts.password,
        readyTimeout: 30_000,
        hostVerifier: () => true,
      });
    }),
  );
}

/** Uploads `data` as `name` (sent raw) and resolves to the SFTP status: `{ code: 0 }` when stored. */
function upload(channel: ssh2.SFTPWrapper, name: string, data: Buffer): Promise<Refusal> {
  return within(
    20_000,
    `upload of ${JSON.stringify(name.slice(0, 40))}`,
    new Promise((resolve) => {
      channel.writeFile(name, data, (err) => {
        const status = err as (Error & { code?: number }) | null | undefined;
        resolve(status ? { code: status.code ?? -1, message: status.message } : { code: STATUS.OK, message: "" });
      });
    }),
  );
}

async function expectOnlyStoredNames(delivery: Delivery) {
  const files = await h.files(delivery.id);
  expect(files.map((f) => f.name).sort()).toEqual([...STORED, NORMAL].sort());
  for (const file of files) {
    expect(file.sha256).toBe(file.name === NORMAL ? normalSha : contentSha);
  }
  const received = files.find((f) => f.name === NORMAL);
  expect(await h.storedSha256(received?.id as string)).toBe(normalSha);
}

describe("raw names sent by ssh2's SFTP client, one connection", () => {
  let delivery: Delivery;
  const outcomes = new Map<string, Refusal>();
  let after: Refusal;

  beforeAll(async () => {
    delivery = await h.newDelivery();
    const { client, sftp: channel } = await connect(delivery);
    try {
      for (const c of CASES) outcomes.set(c.name, await upload(channel, c.name, content));
      after = await upload(channel, NORMAL, normal);
    } finally {
      client.end();
    }
  }, 120_000);

  it.each(REFUSED)("refuses $label with status $outcome.code: $outcome.message", ({ name, outcome }) => {
    expect(outcomes.get(name)).toEqual(outcome);
  });

  it.each(CASES.filter((c) => c.outcome === "stored"))("accepts $label", ({ name }) => {
    expect(outcomes.get(name)).toEqual({ code: STATUS.OK, message: "" });
  });

  it("records only the accepted names, each under exactly the name sent, and then a normal users.csv", async () => {
    expect(after).toEqual({ code: STATUS.OK, message: "" });
    await expectOnlyStoredNames(delivery);
  });
});

describe("names typed into OpenSSH sftp, one batch", () => {
  let delivery: Delivery;
  let run: SftpResult;
  const errorLines = () => run.stderr.split(/\r?\n/).filter((line) => line !== "");

  beforeAll(async () => {
    delivery = await h.newDelivery();
    run = await sftp({
      port: h.port,
      username: delivery.username,
      password: delivery.password,
      // `-put`: a failed command does not end the batch; the final plain `put` must succeed.
      batch: [...CASES.filter((c) => c.typed).map((c) => `-put ${LOCAL} ${quoted(c.name)}`), `put ${NORMAL}`],
      cwd: h.dir,
      timeoutMs: 60_000,
    });
  }, 90_000);

  it.each(REFUSED.filter((c) => c.typed))("refuses $label", ({ name, outcome }) => {
    const text = OPENSSH_TEXT[outcome.code] as string;
    const full = `dest open "${shownByOpenSsh(name)}": ${text}`;
    // OpenSSH cuts a long path short when it prints it: such a line is found by its start.
    const line = errorLines().find((l) => l.startsWith(full.slice(0, 200)));
    expect(line).toMatch(new RegExp(`: ${text}$`));
    if (full.length <= 200) expect(line).toBe(full);
  });

  it("prints no error for the accepted names and finishes the batch with a normal users.csv", () => {
    expect(run.code).toBe(0);
    expect(errorLines()).toHaveLength(REFUSED.filter((c) => c.typed).length);
  });

  it("records only the accepted names, each under exactly the name typed, and the normal users.csv", async () => {
    await expectOnlyStoredNames(delivery);
  });
});

describe("the relay after hostile names", () => {
  it("refuses a login whose user name carries terminal escapes, and logs the name escaped", async () => {
    const login = connect({ username: HOSTILE_USER, password: "x", localAddress: "127.0.0.9" });
    await expect(login).rejects.toMatchObject({ level: "client-authentication" });
    await settle(
      async () => h.relay().output(),
      (log) => log.includes("login refused"),
    );
    expect(h.relay().output()).toContain('login refused user="\\u001b]0;pwned\\u0007\\u001b[31mroot" ip=127.0.0.9');
  });

  it("is still up and takes a normal users.csv from a new connection", async () => {
    expect(h.relay().process.exitCode).toBeNull();
    expect(h.relay().process.signalCode).toBeNull();
    const delivery = await h.newDelivery();
    const res = await h.put(delivery, NORMAL, NORMAL, { timeoutMs: 60_000 });
    expect(res).toMatchObject({ code: 0, stderr: "" });
    const files = await h.files(delivery.id);
    expect(files.map((f) => [f.name, f.sha256])).toEqual([[NORMAL, normalSha]]);
  });

  it("logged no error and never wrote a raw control character to its log", () => {
    const log = h.relay().output();
    expect(log).toContain("file received");
    expect(log).toContain(`name="invoice\\u202egpj.csv"`);
    expect(log).not.toMatch(/^\S+ error /m);
    for (const char of TERMINAL_CONTROLS)
      expect(log.includes(char), `raw ${JSON.stringify(char)} in the log`).toBe(false);
  });

  it("never passed a hostile name on to the Worker, which answered no request with a 5xx", () => {
    const requests = h.stack.worker
      .output()
      .split("\n")
      .filter((line) => line.startsWith("[wrangler:info] "));
    expect(requests.filter((line) => line.includes(" /relay/v1/uploads "))).not.toHaveLength(0);
    expect(requests.filter((line) => line.includes(" /relay/v1/uploads ") && !/ 201 Created /.test(line))).toEqual([]);
    expect(requests.filter((line) => / 5\d\d /.test(line))).toEqual([]);
  });
});
