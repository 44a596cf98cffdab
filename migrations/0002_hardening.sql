CREATE TABLE `unknown_login_failures` (
	`tenant_id` text NOT NULL,
	`bucket` integer NOT NULL,
	`failures` integer NOT NULL,
	`locked_until` integer,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`tenant_id`, `bucket`),
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `unknown_login_failures_updated` ON `unknown_login_failures` (`updated_at`);--> statement-breakpoint
CREATE TABLE `used_id_tokens` (
	`token_hash` text PRIMARY KEY NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `used_id_tokens_expires` ON `used_id_tokens` (`expires_at`);--> statement-breakpoint
ALTER TABLE `refresh_tokens` ADD `parent_hash` text;--> statement-breakpoint
CREATE INDEX `refresh_tokens_parent` ON `refresh_tokens` (`parent_hash`);--> statement-breakpoint
ALTER TABLE `tenants` ADD `refresh_reuse_seconds` integer DEFAULT 30 NOT NULL;--> statement-breakpoint
ALTER TABLE `users` ADD `email_verified` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `users` ADD `password_checks_in_flight` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `users` ADD `password_checks_since` integer;--> statement-breakpoint
-- Rule E for the rows already stored: a claim that is not an address (a provider once put a username
-- there) is no e-mail; Google's were stored only when verified, and Apple vouches for its addresses.
UPDATE `users` SET `email` = NULL WHERE `email` IS NOT NULL AND `email` NOT LIKE '%_@_%';--> statement-breakpoint
UPDATE `users` SET `email_verified` = 1 WHERE `email` IS NOT NULL AND `created_via` IN ('google', 'apple');
