CREATE TABLE "email_links" (
	"organization_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"message_id" uuid NOT NULL,
	"url" text NOT NULL,
	"token" text NOT NULL,
	"click_count" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "email_links_organization_id_id_pk" PRIMARY KEY("organization_id","id")
);
--> statement-breakpoint
CREATE TABLE "email_messages" (
	"organization_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"lead_id" uuid,
	"contact_id" uuid,
	"deal_id" uuid,
	"to_address" text NOT NULL,
	"subject" text NOT NULL,
	"html" text NOT NULL,
	"text" text NOT NULL,
	"status" text NOT NULL,
	"error" text,
	"open_token" text NOT NULL,
	"sent_by_id" uuid NOT NULL,
	"mass_send_id" uuid,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"sent_at" timestamp (3) with time zone,
	"opened_at" timestamp (3) with time zone,
	"open_count" integer DEFAULT 0 NOT NULL,
	"click_count" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "email_messages_organization_id_id_pk" PRIMARY KEY("organization_id","id")
);
--> statement-breakpoint
CREATE TABLE "sales_signals" (
	"organization_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"kind" text NOT NULL,
	"custom_name" text,
	"occurred_at" timestamp (3) with time zone NOT NULL,
	"lead_id" uuid,
	"contact_id" uuid,
	"email_message_id" uuid,
	"source" text,
	"url" text,
	"handle" text,
	"email" text,
	"detail" jsonb,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sales_signals_organization_id_id_pk" PRIMARY KEY("organization_id","id")
);
--> statement-breakpoint
CREATE TABLE "web_forms" (
	"organization_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"name" text NOT NULL,
	"public_key" text NOT NULL,
	"fields" jsonb NOT NULL,
	"redirect_url" text,
	"owner_id" uuid NOT NULL,
	"lead_source" text DEFAULT 'Web' NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "web_forms_organization_id_id_pk" PRIMARY KEY("organization_id","id")
);
--> statement-breakpoint
ALTER TABLE "organizations" ADD COLUMN "webhook_secret" text;--> statement-breakpoint
ALTER TABLE "organizations" ADD COLUMN "create_leads_from_social" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "organizations" ADD COLUMN "hot_days" integer DEFAULT 3 NOT NULL;--> statement-breakpoint
ALTER TABLE "organizations" ADD COLUMN "warm_days" integer DEFAULT 14 NOT NULL;--> statement-breakpoint
ALTER TABLE "organizations" ADD COLUMN "cooling_days" integer DEFAULT 45 NOT NULL;--> statement-breakpoint
ALTER TABLE "organizations" ADD COLUMN "mass_email_daily_limit" integer DEFAULT 250 NOT NULL;--> statement-breakpoint
ALTER TABLE "contacts" ADD COLUMN "social_handles" text[] DEFAULT '{}' NOT NULL;--> statement-breakpoint
ALTER TABLE "contacts" ADD COLUMN "last_activity_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "leads" ADD COLUMN "social_handles" text[] DEFAULT '{}' NOT NULL;--> statement-breakpoint
ALTER TABLE "leads" ADD COLUMN "last_activity_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "email_links" ADD CONSTRAINT "email_links_message_fk" FOREIGN KEY ("organization_id","message_id") REFERENCES "public"."email_messages"("organization_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "email_messages" ADD CONSTRAINT "email_messages_organization_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "email_messages" ADD CONSTRAINT "email_messages_lead_fk" FOREIGN KEY ("organization_id","lead_id") REFERENCES "public"."leads"("organization_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "email_messages" ADD CONSTRAINT "email_messages_contact_fk" FOREIGN KEY ("organization_id","contact_id") REFERENCES "public"."contacts"("organization_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "email_messages" ADD CONSTRAINT "email_messages_deal_fk" FOREIGN KEY ("organization_id","deal_id") REFERENCES "public"."deals"("organization_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "email_messages" ADD CONSTRAINT "email_messages_sender_fk" FOREIGN KEY ("organization_id","sent_by_id") REFERENCES "public"."users"("organization_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sales_signals" ADD CONSTRAINT "sales_signals_organization_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sales_signals" ADD CONSTRAINT "sales_signals_lead_fk" FOREIGN KEY ("organization_id","lead_id") REFERENCES "public"."leads"("organization_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sales_signals" ADD CONSTRAINT "sales_signals_contact_fk" FOREIGN KEY ("organization_id","contact_id") REFERENCES "public"."contacts"("organization_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sales_signals" ADD CONSTRAINT "sales_signals_email_fk" FOREIGN KEY ("organization_id","email_message_id") REFERENCES "public"."email_messages"("organization_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "web_forms" ADD CONSTRAINT "web_forms_organization_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "web_forms" ADD CONSTRAINT "web_forms_owner_fk" FOREIGN KEY ("organization_id","owner_id") REFERENCES "public"."users"("organization_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "email_links_token_idx" ON "email_links" USING btree ("organization_id","token");--> statement-breakpoint
CREATE UNIQUE INDEX "email_messages_open_token_idx" ON "email_messages" USING btree ("organization_id","open_token");--> statement-breakpoint
CREATE INDEX "email_messages_lead_idx" ON "email_messages" USING btree ("organization_id","lead_id");--> statement-breakpoint
CREATE INDEX "email_messages_contact_idx" ON "email_messages" USING btree ("organization_id","contact_id");--> statement-breakpoint
CREATE INDEX "email_messages_deal_idx" ON "email_messages" USING btree ("organization_id","deal_id");--> statement-breakpoint
CREATE INDEX "email_messages_mass_idx" ON "email_messages" USING btree ("organization_id","sent_by_id","created_at");--> statement-breakpoint
CREATE INDEX "sales_signals_occurred_idx" ON "sales_signals" USING btree ("organization_id","occurred_at","id");--> statement-breakpoint
CREATE INDEX "sales_signals_lead_idx" ON "sales_signals" USING btree ("organization_id","lead_id","occurred_at");--> statement-breakpoint
CREATE INDEX "sales_signals_contact_idx" ON "sales_signals" USING btree ("organization_id","contact_id","occurred_at");--> statement-breakpoint
CREATE UNIQUE INDEX "web_forms_key_idx" ON "web_forms" USING btree ("organization_id","public_key");--> statement-breakpoint
CREATE INDEX "contacts_last_activity_idx" ON "contacts" USING btree ("organization_id","last_activity_at");--> statement-breakpoint
CREATE INDEX "contacts_social_idx" ON "contacts" USING gin ("social_handles");--> statement-breakpoint
CREATE INDEX "leads_last_activity_idx" ON "leads" USING btree ("organization_id","last_activity_at");--> statement-breakpoint
CREATE INDEX "leads_social_idx" ON "leads" USING gin ("social_handles");