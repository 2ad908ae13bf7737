CREATE TABLE `delivery_alerts` (
	`id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`delivery_id` text NOT NULL,
	`kind` text NOT NULL,
	`window_deadline` integer NOT NULL,
	`window_start` integer NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`delivery_id`) REFERENCES `deliveries`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `delivery_alerts_window` ON `delivery_alerts` (`delivery_id`,`window_deadline`,`kind`);--> statement-breakpoint
ALTER TABLE `deliveries` ADD `next_deadline_at` integer;--> statement-breakpoint
ALTER TABLE `deliveries` ADD `overdue_since` integer;--> statement-breakpoint
CREATE INDEX `deliveries_next_deadline` ON `deliveries` (`next_deadline_at`);--> statement-breakpoint
ALTER TABLE `email_outbox` ADD `kind` text DEFAULT 'notice' NOT NULL;--> statement-breakpoint
ALTER TABLE `email_outbox` ADD `attempts` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `email_outbox` ADD `claimed_at` integer;--> statement-breakpoint
CREATE INDEX `email_outbox_status` ON `email_outbox` (`status`,`created_at`);