DROP INDEX `device_clients_tenant`;--> statement-breakpoint
CREATE INDEX `device_clients_tenant` ON `device_clients` (`tenant_id`,`created_at`,`id`);