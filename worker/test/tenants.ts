/**
 * Accounts with one of everything, for tenant-isolation tests: deliveries of both kinds, an applied
 * import with a row error, a held full-sync file, people and projects, a public key, a SCIM user,
 * a webhook with a delivery in its log, an outbox email, failed logins and bans, and an SFTP upload
 * in flight through a relay session.
 */
import { toBase64 } from "../domain/crypto/encoding.ts";
import { sendTestEvent } from "../domain/webhooks/endpoints.ts";
import type { QueueMessage } from "../jobs/messages.ts";
import { type Call, call, newTenant, RELAY_TOKEN } from "./client.ts";
import { receive, runToEnd, type Setup, testDeps } from "./imports.ts";

export const SCIM_USER = "urn:ietf:params:scim:schemas:core:2.0:User";
export const relayAuth = { authorization: `Bearer ${RELAY_TOKEN}` };

async function must(pending: Promise<Call>, status: number, what: string) {
  const res = await pending;
  if (res.status !== status) throw new Error(`${what}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** An OpenSSH ed25519 public key line (the key bytes are a fill pattern: only registration is tested). */
export function ed25519Line(seed: number, comment = "it@example") {
  const name = new TextEncoder().encode("ssh-ed25519");
  const blob = new Uint8Array(4 + name.length + 4 + 32);
  const view = new DataView(blob.buffer);
  view.setUint32(0, name.length);
  blob.set(name, 4);
  view.setUint32(4 + name.length, 32);
  blob.fill(seed, 8 + name.length);
  return `ssh-ed25519 ${toBase64(blob)} ${comment}`;
}

export function relayLogin(username: string, password: string, sourceIp: string) {
  return call("POST", "/relay/v1/logins", {
    headers: relayAuth,
    json: { username, method: "password", password, sourceIp, relayId: "isolation" },
  });
}

export type Populated = Awaited<ReturnType<typeof populatedTenant>>;

/**
 * Creates an account named after `tag` and gives it one of everything. Every name, email and code
 * it creates contains `tag`, and every address it logs in from starts with `net`, so another
 * account's responses can be searched for any trace of it.
 */
export async function populatedTenant(tag: string, net: string, seed: number) {
  const Tag = tag[0]?.toUpperCase() + tag.slice(1);
  const t = await newTenant(Tag);
  const api = (method: string, path: string, json?: unknown) =>
    call(method, `/api/v1${path}`, { headers: t.auth, ...(json !== undefined ? { json } : {}) });
  const scimKey = await must(api("POST", "/api-keys", { name: `${tag} idp`, scopes: ["scim"] }), 201, "scim key");
  const keys = (await must(api("GET", "/api-keys"), 200, "keys")).apiKeys as { id: string; name: string }[];
  const apiKeyId = keys.find((k) => k.name === "tests")?.id as string;
  const principal = { accountId: t.accountId, actorType: "api_key" as const, actorId: apiKeyId };

  const delivery = async (kind: string, name: string, patch: Record<string, unknown> = {}) => {
    const created = await must(api("POST", "/deliveries", { kind, name }), 201, name);
    if (Object.keys(patch).length) await must(api("PATCH", `/deliveries/${created.delivery.id}`, patch), 200, name);
    const sent: QueueMessage[] = [];
    const setup: Setup = { t, deliveryId: created.delivery.id, deps: testDeps(sent), sent };
    return {
      id: created.delivery.id as string,
      ...(created.credentials as { username: string; password: string }),
      setup,
    };
  };

  // User Sync: an applied import with one row error, summarised by email to the notification address.
  const users = await delivery("user_sync", `${Tag} users`, { notificationEmail: `it@${tag}.example` });
  const appliedFile = await receive(
    users.setup,
    `${tag}-users.csv`,
    `Email,First Name,Last Name\nann@${tag}.example,Ann,${Tag}\nbob@${tag}.example,Bob,${Tag}\nnot-an-email,Bad,Row\n`,
  );
  await runToEnd(users.setup, appliedFile);

  // Full sync: a file that would deactivate most people is held for an admin.
  const fullSync = await delivery("user_sync", `${Tag} full sync`, { syncMode: "full_sync" });
  const heldFile = await receive(fullSync.setup, `${tag}-few.csv`, `Email\nann@${tag}.example\n`);
  await runToEnd(fullSync.setup, heldFile);
  const held = await must(api("GET", `/files/${heldFile}/report`), 200, "held report");
  if (held.status !== "held") throw new Error(`the full-sync file is ${held.status}, not held: ${held.message}`);

  // Project Sync: one project.
  const projects = await delivery("project_sync", `${Tag} projects`);
  const projectFile = await receive(
    projects.setup,
    `${tag}-projects.csv`,
    `Project Code,Project Name\n${tag.toUpperCase()}-P1,${Tag} Project\n`,
  );
  await runToEnd(projects.setup, projectFile);

  const publicKey = await must(
    api("POST", `/deliveries/${users.id}/public-keys`, { publicKey: ed25519Line(seed, `it@${tag}.example`) }),
    201,
    "public key",
  );
  const scimUser = await must(
    call("POST", "/scim/v2/Users", {
      headers: { authorization: `Bearer ${scimKey.key}`, "content-type": "application/scim+json" },
      json: { schemas: [SCIM_USER], userName: `scim@${tag}.example`, name: { givenName: "Sam", familyName: Tag } },
    }),
    201,
    "scim user",
  );
  const people = (await must(api("GET", "/people?limit=200"), 200, "people")).people as { id: string }[];

  const webhook = await must(
    api("POST", "/webhooks", {
      url: `https://hooks.${tag}.example/sluice`,
      // An event these tests never cause: nothing tries to reach the made-up host.
      events: ["delivery.overdue"],
      description: `${Tag} hook`,
    }),
    201,
    "webhook",
  );
  const ping = await sendTestEvent(testDeps([]), principal, webhook.id);

  // An SFTP session with an upload in flight.
  const login = await must(relayLogin(users.username, users.password, `${net}.10`), 200, "relay login");
  const relaySession = { ...relayAuth, "x-relay-session": login.session as string };
  const upload = await must(
    call("POST", "/relay/v1/uploads", { headers: relaySession, json: { name: `${tag}-inflight.csv` } }),
    201,
    "upload",
  );
  const partBytes = new TextEncoder().encode(`Email\nx@${tag}.example\n`);
  const part = await must(
    call("PUT", `/relay/v1/uploads/${upload.uploadId}/parts/1`, {
      headers: { ...relaySession, "content-length": String(partBytes.byteLength) },
      body: partBytes,
    }),
    200,
    "part",
  );

  // Failed logins: one address banned for guessing the User Sync password, and the Project Sync
  // username banned after guesses from three more addresses (each of which is banned too).
  for (let i = 0; i < 10; i++) await relayLogin(users.username, `wrong-${i}`, `${net}.66`);
  for (const host of [1, 2, 3]) {
    for (let i = 0; i < 10; i++) await relayLogin(projects.username, `wrong-${host}-${i}`, `${net}.${host}`);
  }
  const bans = (await must(api("GET", "/login-bans"), 200, "bans")).bans as { subject: string }[];
  const banSubjects = bans.map((b) => b.subject);
  const expectedBans = [66, 1, 2, 3].map((h) => `ip:${net}.${h}`).concat(`user:${projects.username}`);
  if (expectedBans.some((s) => !banSubjects.includes(s))) throw new Error(`bans: ${JSON.stringify(banSubjects)}`);

  return {
    tag,
    net,
    t,
    scimKey: scimKey.key as string,
    scim: { authorization: `Bearer ${scimKey.key}`, "content-type": "application/scim+json" },
    relaySession,
    /** The upload in flight: its one part, to complete it later. */
    inflight: { id: upload.uploadId as string, part: part as { partNumber: number; etag: string }, bytes: partBytes },
    users,
    fullSync,
    projects,
    ids: {
      account: t.accountId,
      deliveries: [users.id, fullSync.id, projects.id],
      usernames: [users.username, fullSync.username, projects.username],
      files: [appliedFile, heldFile, projectFile],
      heldFile,
      fileNames: [`${tag}-users.csv`, `${tag}-few.csv`, `${tag}-projects.csv`, `${tag}-inflight.csv`],
      resultNames: [`${tag}-users.csv.report.json`, `${tag}-users.csv.errors.csv`, `${tag}-few.csv.report.json`],
      apiKeys: [apiKeyId, scimKey.id as string],
      publicKey: publicKey.id as string,
      fingerprint: publicKey.fingerprint as string,
      people: people.map((p) => p.id),
      scimUser: scimUser.id as string,
      webhook: webhook.id as string,
      webhookDelivery: ping.id,
      upload: upload.uploadId as string,
      bans: expectedBans,
      project: `${tag.toUpperCase()}-P1`,
    },
  };
}

/** Everything of `p` that must never show up in another account's responses. */
export function tracesOf(p: Populated): string[] {
  const { ids } = p;
  return [
    ids.account,
    ...ids.deliveries,
    ...ids.usernames,
    ...ids.files,
    ...ids.fileNames,
    ...ids.apiKeys,
    ids.publicKey,
    ids.fingerprint,
    ...ids.people,
    ids.webhook,
    ids.webhookDelivery,
    ids.upload,
    ids.project,
    p.users.password,
    p.fullSync.password,
    p.projects.password,
    p.scimKey,
    p.t.apiKey,
    `${p.net}.`,
    p.tag,
    p.tag.toUpperCase(),
    p.tag[0]?.toUpperCase() + p.tag.slice(1),
  ];
}
