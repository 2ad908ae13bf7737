/**
 * Messages on the IMPORTS queue. Delivery is at-least-once: every consumer of
 * these must be idempotent.
 */
export type QueueMessage =
  | { type: "import"; accountId: string; fileId: string }
  | { type: "email"; accountId: string; outboxId: string }
  /** Check one delivery's expected-file windows as of the cron run that found it due. */
  | { type: "check-delivery"; accountId: string; deliveryId: string; asOf: number }
  | { type: "webhook"; accountId: string; deliveryId: string };
