ALTER TABLE "imports" ALTER COLUMN "file_bytes" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "organization_exports" ALTER COLUMN "archive_bytes" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "organization_restores" ALTER COLUMN "archive_bytes" SET DATA TYPE bigint;