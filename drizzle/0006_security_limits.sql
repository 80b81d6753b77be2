CREATE TABLE "sign_in_throttles" (
	"key" text PRIMARY KEY NOT NULL,
	"failures" integer NOT NULL,
	"window_started_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "query_budgets" (
	"subject" text PRIMARY KEY NOT NULL,
	"available" double precision NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL,
	"last_allowed" boolean NOT NULL
);
--> statement-breakpoint
CREATE TABLE "trusted_documents" (
	"organization_id" uuid NOT NULL,
	"hash" text NOT NULL,
	"name" text NOT NULL,
	"document" text NOT NULL,
	"created_by" uuid,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "trusted_documents_organization_id_hash_pk" PRIMARY KEY("organization_id","hash")
);
--> statement-breakpoint
ALTER TABLE "organizations" ADD COLUMN "require_trusted_documents" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "trusted_documents" ADD CONSTRAINT "trusted_documents_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;