import type { Config } from "../config.ts";
import type { Db } from "../db/client.ts";
import type { QueueMessage } from "../jobs/messages.ts";
import type { EmailSender } from "./email/sender.ts";

/** What domain functions need, passed explicitly so routes, jobs and tests call the same code. */
export interface Deps {
  db: Db;
  config: Config;
  /** R2: every received file, byte for byte. */
  bucket: R2Bucket;
  /** The IMPORTS queue. */
  queue: Queue<QueueMessage>;
  /** The configured transport for outgoing email. */
  email: EmailSender;
  now: () => number;
}

/** Who is acting: an admin with a session, an API key, the operator or the relay. */
export interface Principal {
  accountId: string;
  /** `relay`: an SFTP session reading its own delivery's results (read-only). */
  actorType: "admin" | "api_key" | "relay";
  actorId: string;
}
