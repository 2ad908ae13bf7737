/**
 * Messages on the IMPORTS queue. Delivery is at-least-once: every consumer of
 * these must be idempotent.
 */
export type QueueMessage =
  | { type: "import"; accountId: string; fileId: string }
  | { type: "email"; accountId: string; outboxId: string };
