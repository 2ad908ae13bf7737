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
