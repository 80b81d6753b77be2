CREATE TABLE "import_errors" (
	"organization_id" uuid NOT NULL,
	"import_id" uuid NOT NULL,
	"ord" integer NOT NULL,
	"row" integer NOT NULL,
	"column" text,
	"field" text,
	"message" text NOT NULL,
	CONSTRAINT "import_errors_organization_id_import_id_ord_pk" PRIMARY KEY("organization_id","import_id","ord")
);
--> statement-breakpoint
CREATE TABLE "import_file_chunks" (
	"organization_id" uuid NOT NULL,
	"import_id" uuid NOT NULL,
	"seq" integer NOT NULL,
	"data" "bytea" NOT NULL,
	CONSTRAINT "import_file_chunks_organization_id_import_id_seq_pk" PRIMARY KEY("organization_id","import_id","seq")
);
--> statement-breakpoint
CREATE TABLE "import_records" (
	"organization_id" uuid NOT NULL,
	"import_id" uuid NOT NULL,
	"record_id" uuid NOT NULL,
	"action" text NOT NULL,
	"before" jsonb,
	CONSTRAINT "import_records_organization_id_import_id_record_id_pk" PRIMARY KEY("organization_id","import_id","record_id")
);
--> statement-breakpoint
CREATE TABLE "imports" (
	"organization_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"module" text NOT NULL,
	"status" text NOT NULL,
	"created_by_id" uuid NOT NULL,
	"file_name" text,
	"file_bytes" integer DEFAULT 0 NOT NULL,
	"encoding" text,
	"delimiter" text,
	"header_line" integer DEFAULT 1 NOT NULL,
	"headers" text[] DEFAULT '{}' NOT NULL,
	"mapping" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"duplicate_policy" text DEFAULT 'SKIP' NOT NULL,
	"match_field" text,
	"keep_good_rows" boolean DEFAULT false NOT NULL,
	"counts" jsonb,
	"errors" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"error_count" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"queued_at" timestamp (3) with time zone,
	"completed_at" timestamp (3) with time zone,
	"undone_at" timestamp (3) with time zone,
	CONSTRAINT "imports_organization_id_id_pk" PRIMARY KEY("organization_id","id")
);
--> statement-breakpoint
CREATE TABLE "saved_import_mappings" (
	"organization_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"module" text NOT NULL,
	"name" text NOT NULL,
	"mapping" jsonb NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "saved_import_mappings_organization_id_id_pk" PRIMARY KEY("organization_id","id")
);
--> statement-breakpoint
CREATE TABLE "organization_export_chunks" (
	"organization_id" uuid NOT NULL,
	"export_id" uuid NOT NULL,
	"seq" integer NOT NULL,
	"data" "bytea" NOT NULL,
	CONSTRAINT "organization_export_chunks_organization_id_export_id_seq_pk" PRIMARY KEY("organization_id","export_id","seq")
);
--> statement-breakpoint
CREATE TABLE "organization_exports" (
	"organization_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"status" text NOT NULL,
	"requested_by_id" uuid,
	"tables_done" integer DEFAULT 0 NOT NULL,
	"table_count" integer DEFAULT 0 NOT NULL,
	"files" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"archive_bytes" integer DEFAULT 0 NOT NULL,
	"archive_sha256" text,
	"expires_at" timestamp (3) with time zone,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"completed_at" timestamp (3) with time zone,
	"verified_at" timestamp (3) with time zone,
	"verify_problems" jsonb,
	CONSTRAINT "organization_exports_organization_id_id_pk" PRIMARY KEY("organization_id","id")
);
--> statement-breakpoint
ALTER TABLE "organizations" ADD COLUMN "seats" integer;--> statement-breakpoint
ALTER TABLE "organizations" ADD COLUMN "paused_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "organizations" ADD COLUMN "period_ends_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "organizations" ADD COLUMN "pending_subscription" jsonb;--> statement-breakpoint
ALTER TABLE "import_errors" ADD CONSTRAINT "import_errors_import_fk" FOREIGN KEY ("organization_id","import_id") REFERENCES "public"."imports"("organization_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "import_file_chunks" ADD CONSTRAINT "import_file_chunks_import_fk" FOREIGN KEY ("organization_id","import_id") REFERENCES "public"."imports"("organization_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "import_records" ADD CONSTRAINT "import_records_import_fk" FOREIGN KEY ("organization_id","import_id") REFERENCES "public"."imports"("organization_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "imports" ADD CONSTRAINT "imports_organization_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "imports" ADD CONSTRAINT "imports_created_by_fk" FOREIGN KEY ("organization_id","created_by_id") REFERENCES "public"."users"("organization_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "saved_import_mappings" ADD CONSTRAINT "saved_import_mappings_organization_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "organization_export_chunks" ADD CONSTRAINT "organization_export_chunks_export_fk" FOREIGN KEY ("organization_id","export_id") REFERENCES "public"."organization_exports"("organization_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "organization_exports" ADD CONSTRAINT "organization_exports_organization_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "saved_import_mappings_module_idx" ON "saved_import_mappings" USING btree ("organization_id","module");