ALTER TABLE `tenants` ADD `move_state` text;--> statement-breakpoint
ALTER TABLE `tenants` ADD `move_peer` integer;--> statement-breakpoint
ALTER TABLE `tenants` ADD `move_started_at` integer;--> statement-breakpoint
ALTER TABLE `tenants` ADD `move_progress` text;