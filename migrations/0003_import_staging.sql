CREATE TABLE `import_rows` (
	`run_id` text NOT NULL,
	`row_number` integer NOT NULL,
	`account_id` text NOT NULL,
	`key` text NOT NULL,
	`unique_value` text,
	`new_id` text NOT NULL,
	`data` text NOT NULL,
	`action` text NOT NULL,
	PRIMARY KEY(`run_id`, `row_number`),
	FOREIGN KEY (`run_id`) REFERENCES `import_runs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `import_rows_key` ON `import_rows` (`run_id`,`key`);--> statement-breakpoint
CREATE INDEX `import_rows_unique_value` ON `import_rows` (`run_id`,`unique_value`);--> statement-breakpoint
CREATE TABLE `import_steps` (
	`run_id` text NOT NULL,
	`seq` integer NOT NULL,
	`account_id` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`run_id`, `seq`),
	FOREIGN KEY (`run_id`) REFERENCES `import_runs`(`id`) ON UPDATE no action ON DELETE no action
);
