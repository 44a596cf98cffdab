DROP INDEX `sign_in_attempts_at`;--> statement-breakpoint
CREATE INDEX `sign_in_attempts_tenant_at` ON `sign_in_attempts` (`tenant_id`,`at`);--> statement-breakpoint
ALTER TABLE `tenants` ADD `attempt_retention_days` integer DEFAULT 90 NOT NULL;