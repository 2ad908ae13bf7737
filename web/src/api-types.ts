/** Response shapes of the API, inferred from the Worker's routes. */
import type { InferResponseType } from "hono/client";
import type { api } from "./api-client.ts";

export type Session = InferResponseType<typeof api.sessions.current.$get, 200>;
export type Delivery = InferResponseType<(typeof api.deliveries)[":id"]["$get"], 200>;
export type Credentials = InferResponseType<(typeof api.deliveries)[":id"]["credentials"]["$get"], 200>;
export type ApiKey = InferResponseType<(typeof api)["api-keys"]["$get"], 200>["apiKeys"][number];
export type CreatedApiKey = InferResponseType<(typeof api)["api-keys"]["$post"], 201>;
export type DeliveryKind = Delivery["kind"];

export const kindLabels: Record<DeliveryKind, string> = { user_sync: "User Sync", project_sync: "Project Sync" };
export type ReceivedFile = InferResponseType<(typeof api.deliveries)[":id"]["files"]["$get"], 200>["files"][number];
export type FileStatus = ReceivedFile["status"];
export type PublicKey = InferResponseType<
  (typeof api.deliveries)[":id"]["public-keys"]["$get"],
  200
>["publicKeys"][number];
export type LoginAttempt = InferResponseType<
  (typeof api.deliveries)[":id"]["login-attempts"]["$get"],
  200
>["loginAttempts"][number];
export type LoginBan = InferResponseType<(typeof api)["login-bans"]["$get"], 200>["bans"][number];
export type OutboxEmail = InferResponseType<typeof api.outbox.$get, 200>["emails"][number];
export type ImportReport = InferResponseType<(typeof api.files)[":id"]["report"]["$get"], 200>;
/** A page of row errors (the route also answers CSV to `Accept: text/csv`, which the UI does not ask for). */
export type RowErrorsPage = Extract<
  InferResponseType<(typeof api.files)[":id"]["errors"]["$get"], 200>,
  { errors: unknown }
>;
export type RowError = RowErrorsPage["errors"][number];
export type Person = InferResponseType<typeof api.people.$get, 200>["people"][number];
export type Project = InferResponseType<typeof api.projects.$get, 200>["projects"][number];
