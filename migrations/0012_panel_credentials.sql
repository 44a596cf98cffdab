CREATE TABLE `id_cards` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`user_id` text NOT NULL,
	`lookup_key` text NOT NULL,
	`label` text,
	`expires_at` integer,
	`failed_sign_ins` integer DEFAULT 0 NOT NULL,
	`locked_until` integer,
	`created_at` integer NOT NULL,
	`last_used_at` integer,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `id_cards_tenant_lookup` ON `id_cards` (`tenant_id`,`lookup_key`);--> statement-breakpoint
CREATE INDEX `id_cards_user` ON `id_cards` (`user_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `used_client_assertions` (
	`jti_hash` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`expires_at` integer NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `used_client_assertions_expires` ON `used_client_assertions` (`expires_at`);--> statement-breakpoint
CREATE TABLE `user_pins` (
	`user_id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`lookup_key` text NOT NULL,
	`pin_hash` text NOT NULL,
	`length` integer NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `user_pins_tenant_lookup` ON `user_pins` (`tenant_id`,`lookup_key`);--> statement-breakpoint
CREATE INDEX `user_pins_tenant_length` ON `user_pins` (`tenant_id`,`length`);--> statement-breakpoint
ALTER TABLE `device_clients` ADD `jwks` text;--> statement-breakpoint
ALTER TABLE `device_clients` ADD `failed_sign_ins` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `device_clients` ADD `locked_until` integer;--> statement-breakpoint
ALTER TABLE `tenants` ADD `panel` text DEFAULT '{"pin":{"enabled":true,"minLength":6},"methods":["pin","card"],"cardNeedsPin":false,"unknownCard":"refuse","cardRules":["trim","uppercase"],"sessionSeconds":300}' NOT NULL;