CREATE TABLE "organization_restore_chunks" (
	"organization_id" uuid NOT NULL,
	"restore_id" uuid NOT NULL,
	"seq" integer NOT NULL,
	"data" "bytea" NOT NULL,
	CONSTRAINT "organization_restore_chunks_organization_id_restore_id_seq_pk" PRIMARY KEY("organization_id","restore_id","seq")
);
--> statement-breakpoint
CREATE TABLE "organization_restores" (
	"organization_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"status" text NOT NULL,
	"requested_by_id" uuid NOT NULL,
	"archive_bytes" integer DEFAULT 0 NOT NULL,
	"source_organization_id" uuid,
	"source_export_id" uuid,
	"source_exported_at" timestamp (3) with time zone,
	"tables" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"placeholder_users" integer DEFAULT 0 NOT NULL,
	"matched_user_id" uuid,
	"problems" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"completed_at" timestamp (3) with time zone,
	CONSTRAINT "organization_restores_organization_id_id_pk" PRIMARY KEY("organization_id","id")
);
--> statement-breakpoint
ALTER TABLE "organizations" ADD COLUMN "deletion_scheduled_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "organization_restore_chunks" ADD CONSTRAINT "organization_restore_chunks_restore_fk" FOREIGN KEY ("organization_id","restore_id") REFERENCES "public"."organization_restores"("organization_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "organization_restores" ADD CONSTRAINT "organization_restores_organization_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;