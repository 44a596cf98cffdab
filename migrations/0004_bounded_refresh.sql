-- Refresh tokens now name their session and generation, signed by a key derived from the signing keys
-- (src/tokens/refresh-token.ts); a session stores only its generation. Tokens of the old kind (rows of
-- refresh_tokens) stop working: an app signs in again once; its access token works until it expires.
DROP TABLE `refresh_tokens`;--> statement-breakpoint
ALTER TABLE `sessions` ADD `refresh_generation` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `sessions` ADD `refreshed_at` integer;