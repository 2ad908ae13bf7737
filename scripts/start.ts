/**
 * `npm start`: the whole product locally — the Worker in workerd with D1, R2
 * and Queues emulated on disk (migrations applied), the admin UI, and the SFTP
 * relay — then prints where to go and what to do first.
 */
import { join } from "node:path";
import { ensureDevVars } from "./lib/dev-vars.ts";
import { applyMigrations, buildWeb, ROOT, startRelay, startWorker } from "./lib/stack.ts";

const port = Number(process.env.PORT ?? 8787);
const sftpPort = Number(process.env.SFTP_PORT ?? 2222);
const persistTo = join(ROOT, ".wrangler/state");

const vars = ensureDevVars(join(ROOT, ".dev.vars"));
console.log("Sluice: building the admin UI and applying database migrations…");
await buildWeb();
await applyMigrations(persistTo);
const worker = await startWorker({
  port,
  persistTo,
  vars: { SFTP_PUBLIC_PORT: String(sftpPort) },
  inheritOutput: process.env.SLUICE_VERBOSE === "1",
});

const relay = await startRelay({
  workerUrl: worker.url,
  relayToken: vars.RELAY_TOKEN as string,
  port: sftpPort,
  hostKeyDir: join(ROOT, ".relay"),
  inheritOutput: process.env.SLUICE_VERBOSE === "1",
});

const setup = (await (await fetch(`${worker.url}/api/v1/setup`)).json()) as { needed: boolean };
const line = "─".repeat(72);
console.log(`
${line}
 Sluice is running.

   Admin UI      ${worker.url}/
   HTTP API      ${worker.url}/api/v1   (OpenAPI: ${worker.url}/api/v1/openapi.json)
   Health        ${worker.url}/healthz
   SFTP relay    sftp://127.0.0.1:${sftpPort}   (host keys in .relay/)

 ${
   setup.needed
     ? `First run: open ${worker.url}/ and create your account and admin login
 (or POST ${worker.url}/api/v1/setup). Then sign in with that email and password.`
     : `Sign in at ${worker.url}/ with the admin email and password you chose at setup.`
 }
 Then add an inbound delivery (Integration › File Delivery) and upload with its credentials:
   sftp -P ${sftpPort} <username>@127.0.0.1      then   put users.csv
 Operator token (creates further accounts via POST /api/v1/accounts) is in .dev.vars.
 Local data lives in .wrangler/state; delete it to start over.
 Press Ctrl+C to stop.
${line}
`);

const shutdown = async () => {
  await relay.stop();
  await worker.stop();
  process.exit(0);
};
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
for (const [name, p] of [
  ["Worker", worker],
  ["SFTP relay", relay],
] as const) {
  p.process.on("exit", (code) => {
    console.error(`The ${name} stopped (exit ${code}).\n${p.output().slice(-4000)}`);
    process.exit(1);
  });
}
