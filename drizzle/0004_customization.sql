CREATE TABLE "custom_field_values" (
	"organization_id" uuid NOT NULL,
	"field_id" uuid NOT NULL,
	"record_id" uuid NOT NULL,
	"text_value" text,
	"number_value" numeric,
	"time_value" timestamp (3) with time zone,
	"bool_value" boolean,
	"text_values" text[],
	"unique_key" text,
	CONSTRAINT "custom_field_values_organization_id_field_id_record_id_pk" PRIMARY KEY("organization_id","field_id","record_id")
);
--> statement-breakpoint
CREATE TABLE "custom_fields" (
	"organization_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"module" text NOT NULL,
	"api_name" text NOT NULL,
	"label" text NOT NULL,
	"type" text NOT NULL,
	"required" boolean DEFAULT false NOT NULL,
	"is_unique" boolean DEFAULT false NOT NULL,
	"default_value" jsonb,
	"options" text[] DEFAULT '{}' NOT NULL,
	"lookup_module" text,
	"help_text" text,
	"position" integer NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "custom_fields_organization_id_id_pk" PRIMARY KEY("organization_id","id")
);
--> statement-breakpoint
CREATE TABLE "module_settings" (
	"organization_id" uuid NOT NULL,
	"module" text NOT NULL,
	"singular_label" text,
	"plural_label" text,
	"hidden_fields" text[] DEFAULT '{}' NOT NULL,
	"required_fields" text[] DEFAULT '{}' NOT NULL,
	CONSTRAINT "module_settings_organization_id_module_pk" PRIMARY KEY("organization_id","module")
);
--> statement-breakpoint
CREATE TABLE "picklist_values" (
	"organization_id" uuid NOT NULL,
	"picklist" text NOT NULL,
	"value" text NOT NULL,
	"position" integer NOT NULL,
	"retired" boolean DEFAULT false NOT NULL,
	CONSTRAINT "picklist_values_organization_id_picklist_value_pk" PRIMARY KEY("organization_id","picklist","value")
);
--> statement-breakpoint
ALTER TABLE "accounts" ADD COLUMN "custom_fields" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "contacts" ADD COLUMN "custom_fields" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "leads" ADD COLUMN "custom_fields" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "deals" ADD COLUMN "custom_fields" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "activities" ADD COLUMN "custom_fields" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "custom_field_values" ADD CONSTRAINT "custom_field_values_field_fk" FOREIGN KEY ("organization_id","field_id") REFERENCES "public"."custom_fields"("organization_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "custom_fields" ADD CONSTRAINT "custom_fields_organization_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "module_settings" ADD CONSTRAINT "module_settings_organization_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "picklist_values" ADD CONSTRAINT "picklist_values_organization_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "custom_field_values_text_idx" ON "custom_field_values" USING btree ("organization_id","field_id","text_value","record_id");--> statement-breakpoint
CREATE INDEX "custom_field_values_number_idx" ON "custom_field_values" USING btree ("organization_id","field_id","number_value","record_id");--> statement-breakpoint
CREATE INDEX "custom_field_values_time_idx" ON "custom_field_values" USING btree ("organization_id","field_id","time_value","record_id");--> statement-breakpoint
CREATE INDEX "custom_field_values_record_idx" ON "custom_field_values" USING btree ("organization_id","record_id");--> statement-breakpoint
CREATE UNIQUE INDEX "custom_field_values_unique_idx" ON "custom_field_values" USING btree ("organization_id","field_id","unique_key") WHERE "custom_field_values"."unique_key" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "custom_fields_api_name_idx" ON "custom_fields" USING btree ("organization_id","module","api_name");