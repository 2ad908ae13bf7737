import { and, desc, eq, isNull, max } from "drizzle-orm";
import type { Config } from "../../config.ts";
import { schema } from "../../db/client.ts";
import { AppError, notFound, validationFailed } from "../../errors.ts";
import { scheduleOf } from "../alerts/monitor.ts";
import { type Frequency, nextWindowAfter } from "../alerts/schedule.ts";
import { type AuditAction, auditInsert } from "../audit.ts";
import type { Deps, Principal } from "../deps.ts";
import { newId } from "../ids.ts";
import { generateCredential, generateUsername, revealCredential } from "./credentials.ts";
import { parseAllowList } from "./ip-allowlist.ts";

export type DeliveryKind = "user_sync" | "project_sync";
type Row = typeof schema.deliveries.$inferSelect;

const kindNames: Record<DeliveryKind, string> = { user_sync: "User Sync", project_sync: "Project Sync" };

export function sftpEndpoint(config: Config) {
  const host = config.SFTP_PUBLIC_HOST;
  const port = config.SFTP_PUBLIC_PORT;
  const hostPart = host.includes(":") ? `[${host}]` : host;
  return { host, port, url: port === 22 ? `sftp://${hostPart}` : `sftp://${hostPart}:${port}` };
}

export interface ViewExtras {
  timeZone: string;
  lastReceivedAt: number | null;
}

export function deliveryView(config: Config, row: Row, extras: ViewExtras) {
  return {
    id: row.id,
    kind: row.kind,
    name: row.name,
    status: row.status,
    sftp: { ...sftpEndpoint(config), username: row.sftpUsername },
    allowedIps: row.allowedIps,
    syncMode: row.syncMode,
    fullSyncThresholdPercent: row.fullSyncThresholdPercent,
    notificationEmail: row.notificationEmail,
    schedule: {
      frequency: row.frequency,
      day: row.frequencyDay,
      expectedBy: row.expectedBy,
      graceMinutes: row.graceMinutes,
      timeZone: extras.timeZone,
    },
    /** The deadline of the window being watched (expected-by plus grace), epoch ms. */
    nextExpectedBy: row.status === "enabled" ? row.nextDeadlineAt : null,
    lastReceivedAt: extras.lastReceivedAt,
    overdue: row.overdueSince !== null,
    overdueSince: row.overdueSince,
    credentialsRotatedAt: row.credentialsRotatedAt,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

export type DeliveryView = ReturnType<typeof deliveryView>;

export async function accountTimeZone(deps: Pick<Deps, "db">, accountId: string) {
  const [row] = await deps.db
    .select({ timeZone: schema.accounts.timeZone })
    .from(schema.accounts)
    .where(eq(schema.accounts.id, accountId));
  return row?.timeZone ?? "UTC";
}

/** The account's time zone and, per delivery, when its last file arrived (one grouped query). */
async function viewExtras(deps: Pick<Deps, "db">, accountId: string, deliveryId: string | null) {
  const rows = await deps.db
    .select({ deliveryId: schema.receivedFiles.deliveryId, at: max(schema.receivedFiles.receivedAt) })
    .from(schema.receivedFiles)
    .where(
      and(
        eq(schema.receivedFiles.accountId, accountId),
        deliveryId ? eq(schema.receivedFiles.deliveryId, deliveryId) : undefined,
      ),
    )
    .groupBy(schema.receivedFiles.deliveryId);
  return {
    timeZone: await accountTimeZone(deps, accountId),
    last: new Map(rows.map((r) => [r.deliveryId, r.at ?? null])),
  };
}

export async function viewOf(deps: Pick<Deps, "db" | "config">, row: Row) {
  const extras = await viewExtras(deps, row.accountId, row.id);
  return deliveryView(deps.config, row, { timeZone: extras.timeZone, lastReceivedAt: extras.last.get(row.id) ?? null });
}

/** A live delivery of this account, or a 404 that does not say whether it exists elsewhere. */
export async function findDelivery(deps: Pick<Deps, "db">, actor: Principal, id: string): Promise<Row> {
  const [row] = await deps.db
    .select()
    .from(schema.deliveries)
    .where(
      and(
        eq(schema.deliveries.id, id),
        eq(schema.deliveries.accountId, actor.accountId),
        isNull(schema.deliveries.deletedAt),
      ),
    )
    .limit(1);
  if (!row) throw notFound("Delivery");
  return row;
}

export async function listDeliveries(deps: Deps, actor: Principal) {
  const rows = await deps.db
    .select()
    .from(schema.deliveries)
    .where(and(eq(schema.deliveries.accountId, actor.accountId), isNull(schema.deliveries.deletedAt)))
    .orderBy(desc(schema.deliveries.createdAt));
  const extras = await viewExtras(deps, actor.accountId, null);
  return rows.map((r) =>
    deliveryView(deps.config, r, { timeZone: extras.timeZone, lastReceivedAt: extras.last.get(r.id) ?? null }),
  );
}

/** A new delivery has its generated SFTP username and password at once; the password is returned once here. */
export async function createDelivery(
  deps: Deps,
  actor: Principal,
  input: { kind: DeliveryKind; name?: string | undefined },
) {
  const now = deps.now();
  const credential = await generateCredential(deps.config.CREDENTIALS_KEY);
  const row: Row = {
    id: newId("dlv"),
    accountId: actor.accountId,
    kind: input.kind,
    name: input.name?.trim() || kindNames[input.kind],
    status: "enabled",
    sftpUsername: generateUsername(),
    credentialHash: credential.credentialHash,
    credentialCipher: credential.credentialCipher,
    credentialsRotatedAt: now,
    allowedIps: [],
    syncMode: "upsert",
    fullSyncThresholdPercent: 10,
    frequency: "none",
    frequencyDay: null,
    expectedBy: null,
    graceMinutes: 0,
    notificationEmail: null,
    monitoringSince: null,
    nextDeadlineAt: null,
    overdueSince: null,
    createdAt: now,
    updatedAt: now,
    deletedAt: null,
  };
  await deps.db.batch([
    deps.db.insert(schema.deliveries).values(row),
    auditInsert(deps, actor, "delivery.created", { type: "delivery", id: row.id }, { kind: row.kind }),
  ]);
  return {
    delivery: deliveryView(deps.config, row, {
      timeZone: await accountTimeZone(deps, actor.accountId),
      lastReceivedAt: null,
    }),
    credentials: credentialsView(deps.config, row, credential.password),
  };
}

export interface DeliveryPatch {
  name?: string | undefined;
  status?: "enabled" | "disabled" | undefined;
  allowedIps?: string[] | undefined;
  syncMode?: "upsert" | "full_sync" | undefined;
  fullSyncThresholdPercent?: number | undefined;
  notificationEmail?: string | null | undefined;
  schedule?: ScheduleSettings | undefined;
}

export interface ScheduleSettings {
  frequency: Frequency;
  day: number | null;
  expectedBy: string | null;
  graceMinutes: number;
}

/**
 * Monitoring (re)starts now: the first window that can be missed is the first
 * whose deadline falls after this moment.
 */
async function monitoringFrom(deps: Deps, accountId: string, row: Row, changes: Partial<Row>) {
  const merged = { ...row, ...changes };
  const schedule = scheduleOf(merged, await accountTimeZone(deps, accountId));
  const now = deps.now();
  return {
    monitoringSince: schedule ? now : null,
    nextDeadlineAt: schedule ? (nextWindowAfter(schedule, now)?.deadline ?? null) : null,
    overdueSince: null,
  };
}

export async function updateDelivery(deps: Deps, actor: Principal, id: string, patch: DeliveryPatch) {
  const existing = await findDelivery(deps, actor, id);
  const changes: Partial<Row> = {};
  if (patch.name !== undefined) changes.name = patch.name.trim();
  if (patch.status !== undefined) changes.status = patch.status;
  if (patch.syncMode !== undefined) changes.syncMode = patch.syncMode;
  if (patch.fullSyncThresholdPercent !== undefined) changes.fullSyncThresholdPercent = patch.fullSyncThresholdPercent;
  if (patch.notificationEmail !== undefined)
    changes.notificationEmail = patch.notificationEmail?.trim().toLowerCase() || null;
  if (patch.allowedIps !== undefined) {
    const { ranges, errors } = parseAllowList(patch.allowedIps);
    if (errors.length > 0) {
      throw validationFailed(
        errors.map((e) => ({ field: `allowedIps.${e.index}`, message: e.error })),
        `Allowed IP Addresses has ${errors.length} invalid ${errors.length === 1 ? "entry" : "entries"}`,
      );
    }
    changes.allowedIps = [...new Set(ranges.map((r) => r.canonical))];
  }
  if (patch.schedule !== undefined) {
    const sch = patch.schedule;
    changes.frequency = sch.frequency;
    changes.frequencyDay = sch.frequency === "weekly" || sch.frequency === "monthly" ? sch.day : null;
    changes.expectedBy = sch.frequency === "none" ? null : sch.expectedBy;
    changes.graceMinutes = sch.graceMinutes;
  }
  const restarts = patch.schedule !== undefined || (patch.status === "enabled" && existing.status !== "enabled");
  if (restarts) Object.assign(changes, await monitoringFrom(deps, actor.accountId, existing, changes));
  if (Object.keys(changes).length === 0) return viewOf(deps, existing);
  changes.updatedAt = deps.now();
  const [updated] = await deps.db.batch([
    deps.db
      .update(schema.deliveries)
      .set(changes)
      .where(and(eq(schema.deliveries.id, id), eq(schema.deliveries.accountId, actor.accountId)))
      .returning(),
    auditInsert(
      deps,
      actor,
      "delivery.updated",
      { type: "delivery", id },
      { fields: Object.keys(changes).filter((k) => k !== "updatedAt") },
    ),
  ]);
  const row = updated[0];
  if (!row) throw notFound("Delivery");
  return viewOf(deps, row);
}

/** Deleting keeps the row (received files and reports refer to it) but frees nothing else: logins stop at once. */
export async function deleteDelivery(deps: Deps, actor: Principal, id: string) {
  await findDelivery(deps, actor, id);
  const now = deps.now();
  await deps.db.batch([
    deps.db
      .update(schema.deliveries)
      .set({ deletedAt: now, status: "disabled", updatedAt: now })
      .where(and(eq(schema.deliveries.id, id), eq(schema.deliveries.accountId, actor.accountId))),
    auditInsert(deps, actor, "delivery.deleted", { type: "delivery", id }),
  ]);
}

function credentialsView(config: Config, row: Row, password: string) {
  const endpoint = sftpEndpoint(config);
  return {
    sftpUrl: endpoint.url,
    host: endpoint.host,
    port: endpoint.port,
    username: row.sftpUsername,
    password,
    rotatedAt: row.credentialsRotatedAt,
  };
}

export type CredentialsView = ReturnType<typeof credentialsView>;

async function audited(deps: Deps, actor: Principal, action: AuditAction, id: string) {
  await auditInsert(deps, actor, action, { type: "delivery", id });
}

export async function revealCredentials(deps: Deps, actor: Principal, id: string) {
  const row = await findDelivery(deps, actor, id);
  const password = await revealCredential(deps.config.CREDENTIALS_KEY, row.credentialCipher).catch(() => {
    throw new AppError("config_error", "Stored credentials cannot be decrypted: was CREDENTIALS_KEY changed?");
  });
  await audited(deps, actor, "delivery.credentials_revealed", id);
  return credentialsView(deps.config, row, password);
}

/** Rotates the password at once: the old one stops working for every relay on its next login check. */
export async function regenerateCredentials(deps: Deps, actor: Principal, id: string) {
  await findDelivery(deps, actor, id);
  const credential = await generateCredential(deps.config.CREDENTIALS_KEY);
  const now = deps.now();
  const [updated] = await deps.db.batch([
    deps.db
      .update(schema.deliveries)
      .set({
        credentialHash: credential.credentialHash,
        credentialCipher: credential.credentialCipher,
        credentialsRotatedAt: now,
        updatedAt: now,
      })
      .where(and(eq(schema.deliveries.id, id), eq(schema.deliveries.accountId, actor.accountId)))
      .returning(),
    auditInsert(deps, actor, "delivery.credentials_regenerated", { type: "delivery", id }),
  ]);
  const row = updated[0];
  if (!row) throw notFound("Delivery");
  return credentialsView(deps.config, row, credential.password);
}
