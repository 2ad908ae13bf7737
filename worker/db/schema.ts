/**
 * The D1 data model. Every table that belongs to a tenant carries `account_id`,
 * and every query in domain code filters by it. Times are epoch milliseconds.
 * Changes here become migrations with `npm run db:generate` (never edit old ones).
 */
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/** One row, written once by first-run setup, so two racing setups cannot both win. */
export const installation = sqliteTable("installation", {
  id: text("id").primaryKey(),
  createdAt: integer("created_at").notNull(),
});

export const accounts = sqliteTable("accounts", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  timeZone: text("time_zone").notNull(),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

export const people = sqliteTable(
  "people",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id),
    /** Stored lower-cased: the User Sync key. */
    email: text("email").notNull(),
    firstName: text("first_name"),
    lastName: text("last_name"),
    employeeNumber: text("employee_number"),
    department: text("department"),
    costCentre: text("cost_centre"),
    approverId: text("approver_id"),
    role: text("role", { enum: ["claimant", "approver", "finance", "admin"] })
      .notNull()
      .default("claimant"),
    active: integer("active", { mode: "boolean" }).notNull().default(true),
    leaveDate: text("leave_date"),
    source: text("source", { enum: ["setup", "admin", "sync", "scim"] }).notNull(),
    /** The identity provider's id for this user (SCIM `externalId`). */
    externalId: text("external_id"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("people_account_email").on(t.accountId, t.email),
    uniqueIndex("people_account_employee_number")
      .on(t.accountId, t.employeeNumber)
      .where(sql`employee_number is not null`),
    index("people_account_role").on(t.accountId, t.role, t.active),
    uniqueIndex("people_account_external_id").on(t.accountId, t.externalId).where(sql`external_id is not null`),
  ],
);

export const projects = sqliteTable(
  "projects",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id),
    code: text("code").notNull(),
    name: text("name").notNull(),
    client: text("client"),
    active: integer("active", { mode: "boolean" }).notNull().default(true),
    startDate: text("start_date"),
    endDate: text("end_date"),
    billable: integer("billable", { mode: "boolean" }),
    approverId: text("approver_id"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [uniqueIndex("projects_account_code").on(t.accountId, t.code)],
);

/** An admin is a person with the Admin role who also has a password. */
export const adminLogins = sqliteTable("admin_logins", {
  personId: text("person_id")
    .primaryKey()
    .references(() => people.id),
  accountId: text("account_id")
    .notNull()
    .references(() => accounts.id),
  /** `pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>` */
  passwordHash: text("password_hash").notNull(),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

export const sessions = sqliteTable(
  "sessions",
  {
    /** SHA-256 of the cookie value: a leaked table cannot be replayed. */
    tokenHash: text("token_hash").primaryKey(),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id),
    personId: text("person_id")
      .notNull()
      .references(() => people.id),
    csrfToken: text("csrf_token").notNull(),
    createdAt: integer("created_at").notNull(),
    lastSeenAt: integer("last_seen_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
  },
  (t) => [index("sessions_person").on(t.personId)],
);

export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id),
    name: text("name").notNull(),
    /** The first characters of the key, shown in lists so admins can tell keys apart. */
    prefix: text("prefix").notNull(),
    keyHash: text("key_hash").notNull(),
    scopes: text("scopes", { mode: "json" }).$type<string[]>().notNull(),
    createdBy: text("created_by"),
    createdAt: integer("created_at").notNull(),
    lastUsedAt: integer("last_used_at"),
    revokedAt: integer("revoked_at"),
  },
  (t) => [uniqueIndex("api_keys_hash").on(t.keyHash), index("api_keys_account").on(t.accountId)],
);

export const deliveries = sqliteTable(
  "deliveries",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id),
    kind: text("kind", { enum: ["user_sync", "project_sync"] }).notNull(),
    name: text("name").notNull(),
    status: text("status", { enum: ["enabled", "disabled"] })
      .notNull()
      .default("enabled"),
    sftpUsername: text("sftp_username").notNull(),
    /** HMAC-SHA256 of the password under a key derived from CREDENTIALS_KEY. */
    credentialHash: text("credential_hash").notNull(),
    /** AES-GCM ciphertext of the password (iv + ciphertext, base64) to show it again. */
    credentialCipher: text("credential_cipher").notNull(),
    credentialsRotatedAt: integer("credentials_rotated_at").notNull(),
    allowedIps: text("allowed_ips", { mode: "json" }).$type<string[]>().notNull(),
    syncMode: text("sync_mode", { enum: ["upsert", "full_sync"] })
      .notNull()
      .default("upsert"),
    fullSyncThresholdPercent: integer("full_sync_threshold_percent").notNull().default(10),
    frequency: text("frequency", {
      enum: ["none", "hourly", "daily", "weekdays", "weekly", "monthly"],
    })
      .notNull()
      .default("none"),
    /** Day of week (0 = Sunday) for weekly, day of month for monthly. */
    frequencyDay: integer("frequency_day"),
    /** `HH:MM` in the account's time zone. */
    expectedBy: text("expected_by"),
    graceMinutes: integer("grace_minutes").notNull().default(0),
    notificationEmail: text("notification_email"),
    monitoringSince: integer("monitoring_since"),
    /** Deadline of the window the cron checks next (epoch ms); null when not monitored. */
    nextDeadlineAt: integer("next_deadline_at"),
    /** Set when a window was missed; cleared by the next file. */
    overdueSince: integer("overdue_since"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    deletedAt: integer("deleted_at"),
  },
  (t) => [
    uniqueIndex("deliveries_sftp_username").on(t.sftpUsername),
    index("deliveries_account").on(t.accountId, t.deletedAt),
    index("deliveries_next_deadline").on(t.nextDeadlineAt),
  ],
);

export const deliveryPublicKeys = sqliteTable(
  "delivery_public_keys",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id),
    deliveryId: text("delivery_id")
      .notNull()
      .references(() => deliveries.id),
    algorithm: text("algorithm").notNull(),
    /** base64 of the OpenSSH key blob */
    keyData: text("key_data").notNull(),
    fingerprint: text("fingerprint").notNull(),
    comment: text("comment"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [uniqueIndex("delivery_public_keys_key").on(t.deliveryId, t.fingerprint)],
);

export const receivedFiles = sqliteTable(
  "received_files",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id),
    deliveryId: text("delivery_id")
      .notNull()
      .references(() => deliveries.id),
    name: text("name").notNull(),
    size: integer("size").notNull(),
    sha256: text("sha256").notNull(),
    r2Key: text("r2_key").notNull(),
    sourceIp: text("source_ip"),
    via: text("via", { enum: ["sftp", "http"] }).notNull(),
    isTest: integer("is_test", { mode: "boolean" }).notNull().default(false),
    status: text("status", {
      enum: ["queued", "importing", "applied", "tested", "rejected", "held", "failed"],
    })
      .notNull()
      .default("queued"),
    receivedAt: integer("received_at").notNull(),
  },
  (t) => [index("received_files_delivery").on(t.accountId, t.deliveryId, t.receivedAt)],
);

/** A multipart upload in progress (relay or HTTP); becomes a received file on completion. */
export const uploads = sqliteTable(
  "uploads",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id),
    deliveryId: text("delivery_id")
      .notNull()
      .references(() => deliveries.id),
    name: text("name").notNull(),
    r2Key: text("r2_key").notNull(),
    r2UploadId: text("r2_upload_id").notNull(),
    sourceIp: text("source_ip"),
    /** `completing` while one request holds the claim to complete it (see completeUpload). */
    status: text("status", { enum: ["open", "completing", "completed", "aborted"] }).notNull(),
    fileId: text("file_id"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("uploads_status").on(t.status, t.createdAt)],
);

export const importRuns = sqliteTable(
  "import_runs",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id),
    fileId: text("file_id")
      .notNull()
      .references(() => receivedFiles.id),
    deliveryId: text("delivery_id")
      .notNull()
      .references(() => deliveries.id),
    status: text("status", {
      enum: ["queued", "running", "applied", "tested", "rejected", "held", "failed"],
    }).notNull(),
    isTest: integer("is_test", { mode: "boolean" }).notNull().default(false),
    dialect: text("dialect", { mode: "json" }).$type<Record<string, unknown>>(),
    counts: text("counts", { mode: "json" }).$type<Record<string, number>>(),
    checkpoint: text("checkpoint", { mode: "json" }).$type<Record<string, unknown>>(),
    message: text("message"),
    /** 1 for the first import of the file; each reprocess starts the next attempt. */
    attempt: integer("attempt").notNull().default(1),
    startedAt: integer("started_at"),
    finishedAt: integer("finished_at"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [uniqueIndex("import_runs_file").on(t.fileId)],
);

export const rowErrors = sqliteTable(
  "row_errors",
  {
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id),
    runId: text("run_id")
      .notNull()
      .references(() => importRuns.id),
    rowNumber: integer("row_number").notNull(),
    column: text("column").notNull(),
    reason: text("reason").notNull(),
    value: text("value"),
  },
  (t) => [primaryKey({ columns: [t.runId, t.rowNumber, t.column] })],
);

export const emailOutbox = sqliteTable(
  "email_outbox",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id),
    /** Makes a repeated cron run or queue delivery send nothing twice. */
    idempotencyKey: text("idempotency_key").notNull(),
    to: text("to").notNull(),
    subject: text("subject").notNull(),
    text: text("text").notNull(),
    html: text("html"),
    /** pending → sending (claimed by one consumer) → sent, or failed after the last retry. */
    status: text("status", { enum: ["pending", "sending", "sent", "failed"] }).notNull(),
    /** What the email is about: `delivery_missed`, `delivery_rejected`, `delivery_received_again`, … */
    kind: text("kind").notNull().default("notice"),
    attempts: integer("attempts").notNull().default(0),
    claimedAt: integer("claimed_at"),
    error: text("error"),
    createdAt: integer("created_at").notNull(),
    sentAt: integer("sent_at"),
  },
  (t) => [
    uniqueIndex("email_outbox_key").on(t.accountId, t.idempotencyKey),
    index("email_outbox_status").on(t.status, t.createdAt),
  ],
);

/** Every SFTP login decision with its real reason, for admins; clients only see "refused". */
export const loginAttempts = sqliteTable(
  "login_attempts",
  {
    id: text("id").primaryKey(),
    /** Null when the username matched no delivery. */
    accountId: text("account_id"),
    deliveryId: text("delivery_id"),
    username: text("username").notNull(),
    sourceIp: text("source_ip").notNull(),
    method: text("method").notNull(),
    outcome: text("outcome", { enum: ["granted", "refused"] }).notNull(),
    reason: text("reason"),
    relayId: text("relay_id"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    index("login_attempts_delivery").on(t.accountId, t.deliveryId, t.createdAt),
    index("login_attempts_ip").on(t.sourceIp, t.createdAt),
    index("login_attempts_username").on(t.username, t.createdAt),
  ],
);

export const auditEvents = sqliteTable(
  "audit_events",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id),
    actorType: text("actor_type", {
      enum: ["admin", "api_key", "operator", "relay", "scim", "system"],
    }).notNull(),
    actorId: text("actor_id"),
    action: text("action").notNull(),
    targetType: text("target_type"),
    targetId: text("target_id"),
    detail: text("detail", { mode: "json" }).$type<Record<string, unknown>>(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("audit_events_account").on(t.accountId, t.createdAt)],
);

/**
 * Brute-force state per source IP and per SFTP username, shared by every relay.
 * `level` escalates the ban length each time a subject is banned again.
 */
export const loginBans = sqliteTable(
  "login_bans",
  {
    /** `ip:<address>` or `user:<username>` */
    subject: text("subject").primaryKey(),
    kind: text("kind", { enum: ["ip", "username"] }).notNull(),
    value: text("value").notNull(),
    /** The account whose delivery the username belongs to; null for IPs and unknown usernames. */
    accountId: text("account_id"),
    failures: integer("failures").notNull(),
    windowStartedAt: integer("window_started_at").notNull(),
    level: integer("level").notNull().default(0),
    bannedUntil: integer("banned_until"),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("login_bans_until").on(t.bannedUntil)],
);

/**
 * Logged-in SFTP sessions, across every relay, so a delivery's concurrent
 * sessions can be capped. A relay ends its sessions on disconnect; a session
 * of a relay that died stops counting once it has been silent for a while.
 */
export const relaySessions = sqliteTable(
  "relay_sessions",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id),
    deliveryId: text("delivery_id")
      .notNull()
      .references(() => deliveries.id),
    relayId: text("relay_id").notNull(),
    sourceIp: text("source_ip").notNull(),
    startedAt: integer("started_at").notNull(),
    lastSeenAt: integer("last_seen_at").notNull(),
    endedAt: integer("ended_at"),
  },
  (t) => [index("relay_sessions_delivery").on(t.deliveryId, t.endedAt, t.lastSeenAt)],
);

/**
 * One row per delivery, missed window and kind of notice: the idempotency key
 * that keeps a repeated or concurrent cron run from alerting twice.
 */
export const deliveryAlerts = sqliteTable(
  "delivery_alerts",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id),
    deliveryId: text("delivery_id")
      .notNull()
      .references(() => deliveries.id),
    kind: text("kind", { enum: ["missed", "received_rejected", "received_again"] }).notNull(),
    /** The missed window's deadline (epoch ms). */
    windowDeadline: integer("window_deadline").notNull(),
    windowStart: integer("window_start").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [uniqueIndex("delivery_alerts_window").on(t.deliveryId, t.windowDeadline, t.kind)],
);

/**
 * Staging for an import run: each row with a usable key, validated while the
 * file is read, then planned (create/update/unchanged) and applied from here.
 * Whole-file rejects are known before anything is applied, a replay finds the
 * same plan, and the rows double as the per-row report of Test files.
 */
export const importRows = sqliteTable(
  "import_rows",
  {
    runId: text("run_id")
      .notNull()
      .references(() => importRuns.id),
    rowNumber: integer("row_number").notNull(),
    accountId: text("account_id").notNull(),
    /** The normalised key: lower-cased Email, or Project Code. */
    key: text("key").notNull(),
    /** Another value unique within the account (Employee Number), for in-file duplicate checks. */
    uniqueValue: text("unique_value"),
    /** The id a created record gets, chosen once so a replay cannot create another. */
    newId: text("new_id").notNull(),
    /** The row's values as a JSON array of slots (see `stagedData` in domain/imports/staging.ts). */
    data: text("data").notNull(),
    action: text("action", { enum: ["pending", "error", "create", "update", "unchanged"] }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.runId, t.rowNumber] }),
    index("import_rows_key").on(t.runId, t.key),
    index("import_rows_unique_value").on(t.runId, t.uniqueValue),
  ],
);

/**
 * One row per committed step of a run. Each step's writes are batched with the
 * insert of its number, so when a message is delivered twice only one delivery
 * can commit a step: the other's batch fails on the primary key and stops.
 */
export const importSteps = sqliteTable(
  "import_steps",
  {
    runId: text("run_id")
      .notNull()
      .references(() => importRuns.id),
    seq: integer("seq").notNull(),
    accountId: text("account_id").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.seq] })],
);

/**
 * Where an account wants events sent. Payloads are signed with HMAC-SHA256;
 * during a rotation both the current and the previous secret sign, so
 * receivers can switch without downtime. Secrets are stored AES-GCM encrypted.
 */
export const webhookEndpoints = sqliteTable(
  "webhook_endpoints",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id),
    url: text("url").notNull(),
    description: text("description"),
    /** Event types this endpoint receives, e.g. `["file.received", "import.applied"]`. */
    events: text("events", { mode: "json" }).$type<string[]>().notNull(),
    secretCipher: text("secret_cipher").notNull(),
    previousSecretCipher: text("previous_secret_cipher"),
    /** Until when the previous secret still signs (epoch ms). */
    previousSecretUntil: integer("previous_secret_until"),
    status: text("status", { enum: ["enabled", "disabled"] })
      .notNull()
      .default("enabled"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("webhook_endpoints_account").on(t.accountId)],
);

/** One event for one endpoint: the delivery log, and the idempotency key (endpoint, event). */
export const webhookDeliveries = sqliteTable(
  "webhook_deliveries",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id),
    endpointId: text("endpoint_id")
      .notNull()
      .references(() => webhookEndpoints.id),
    eventId: text("event_id").notNull(),
    eventType: text("event_type").notNull(),
    payload: text("payload").notNull(),
    status: text("status", { enum: ["pending", "sending", "delivered", "failed"] }).notNull(),
    attempts: integer("attempts").notNull().default(0),
    claimedAt: integer("claimed_at"),
    lastStatusCode: integer("last_status_code"),
    lastError: text("last_error"),
    createdAt: integer("created_at").notNull(),
    deliveredAt: integer("delivered_at"),
  },
  (t) => [
    uniqueIndex("webhook_deliveries_event").on(t.endpointId, t.eventId),
    index("webhook_deliveries_endpoint").on(t.accountId, t.endpointId, t.createdAt),
    index("webhook_deliveries_status").on(t.status, t.createdAt),
  ],
);
