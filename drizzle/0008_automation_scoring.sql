CREATE TABLE "record_scores" (
	"organization_id" uuid NOT NULL,
	"record_id" uuid NOT NULL,
	"module" text NOT NULL,
	"score" integer NOT NULL,
	"breakdown" jsonb NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "record_scores_organization_id_record_id_pk" PRIMARY KEY("organization_id","record_id")
);
--> statement-breakpoint
CREATE TABLE "score_history" (
	"organization_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"record_id" uuid NOT NULL,
	"module" text NOT NULL,
	"previous_score" integer NOT NULL,
	"score" integer NOT NULL,
	"reason" text NOT NULL,
	"at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "score_history_organization_id_id_pk" PRIMARY KEY("organization_id","id")
);
--> statement-breakpoint
CREATE TABLE "scoring_rules" (
	"organization_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"module" text NOT NULL,
	"name" text NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"field_scores" jsonb NOT NULL,
	"signal_scores" jsonb NOT NULL,
	"decay" jsonb,
	"last_run_id" uuid,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "scoring_rules_organization_id_id_pk" PRIMARY KEY("organization_id","id")
);
--> statement-breakpoint
CREATE TABLE "scoring_runs" (
	"organization_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"module" text NOT NULL,
	"status" text NOT NULL,
	"processed" integer DEFAULT 0 NOT NULL,
	"total" integer NOT NULL,
	"started_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp (3) with time zone,
	CONSTRAINT "scoring_runs_organization_id_id_pk" PRIMARY KEY("organization_id","id")
);
--> statement-breakpoint
CREATE TABLE "territories" (
	"organization_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"name" text NOT NULL,
	"parent_id" uuid,
	"criteria" jsonb NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "territories_organization_id_id_pk" PRIMARY KEY("organization_id","id")
);
--> statement-breakpoint
CREATE TABLE "territory_users" (
	"organization_id" uuid NOT NULL,
	"territory_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"manager" boolean DEFAULT false NOT NULL,
	CONSTRAINT "territory_users_organization_id_territory_id_user_id_pk" PRIMARY KEY("organization_id","territory_id","user_id")
);
--> statement-breakpoint
CREATE TABLE "assignment_rules" (
	"organization_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"module" text NOT NULL,
	"name" text NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"entries" jsonb NOT NULL,
	"fallback_owner_id" uuid,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "assignment_rules_organization_id_id_pk" PRIMARY KEY("organization_id","id")
);
--> statement-breakpoint
CREATE TABLE "assignment_turns" (
	"organization_id" uuid NOT NULL,
	"rule_id" uuid NOT NULL,
	"slot" text NOT NULL,
	"taken" bigint NOT NULL,
	CONSTRAINT "assignment_turns_organization_id_rule_id_slot_pk" PRIMARY KEY("organization_id","rule_id","slot")
);
--> statement-breakpoint
ALTER TABLE "accounts" ADD COLUMN "territory_ids" uuid[] DEFAULT '{}' NOT NULL;--> statement-breakpoint
ALTER TABLE "contacts" ADD COLUMN "score" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "contacts" ADD COLUMN "territory_ids" uuid[] DEFAULT '{}' NOT NULL;--> statement-breakpoint
ALTER TABLE "leads" ADD COLUMN "score" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "deals" ADD COLUMN "score" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "deals" ADD COLUMN "territory_ids" uuid[] DEFAULT '{}' NOT NULL;--> statement-breakpoint
ALTER TABLE "record_scores" ADD CONSTRAINT "record_scores_organization_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "score_history" ADD CONSTRAINT "score_history_organization_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "scoring_rules" ADD CONSTRAINT "scoring_rules_organization_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "scoring_runs" ADD CONSTRAINT "scoring_runs_organization_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "territories" ADD CONSTRAINT "territories_organization_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "territories" ADD CONSTRAINT "territories_parent_fk" FOREIGN KEY ("organization_id","parent_id") REFERENCES "public"."territories"("organization_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "territory_users" ADD CONSTRAINT "territory_users_territory_fk" FOREIGN KEY ("organization_id","territory_id") REFERENCES "public"."territories"("organization_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "territory_users" ADD CONSTRAINT "territory_users_user_fk" FOREIGN KEY ("organization_id","user_id") REFERENCES "public"."users"("organization_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "assignment_rules" ADD CONSTRAINT "assignment_rules_organization_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "assignment_rules" ADD CONSTRAINT "assignment_rules_fallback_fk" FOREIGN KEY ("organization_id","fallback_owner_id") REFERENCES "public"."users"("organization_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "assignment_turns" ADD CONSTRAINT "assignment_turns_rule_fk" FOREIGN KEY ("organization_id","rule_id") REFERENCES "public"."assignment_rules"("organization_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "score_history_record_idx" ON "score_history" USING btree ("organization_id","record_id","at");--> statement-breakpoint
CREATE INDEX "scoring_rules_module_idx" ON "scoring_rules" USING btree ("organization_id","module");--> statement-breakpoint
CREATE INDEX "territories_parent_idx" ON "territories" USING btree ("organization_id","parent_id");--> statement-breakpoint
CREATE INDEX "territory_users_user_idx" ON "territory_users" USING btree ("organization_id","user_id");--> statement-breakpoint
CREATE INDEX "assignment_rules_module_idx" ON "assignment_rules" USING btree ("organization_id","module");--> statement-breakpoint
CREATE INDEX "accounts_territory_idx" ON "accounts" USING gin ("territory_ids");--> statement-breakpoint
CREATE INDEX "contacts_score_idx" ON "contacts" USING btree ("organization_id","score");--> statement-breakpoint
CREATE INDEX "contacts_territory_idx" ON "contacts" USING gin ("territory_ids");--> statement-breakpoint
CREATE INDEX "leads_score_idx" ON "leads" USING btree ("organization_id","score");--> statement-breakpoint
CREATE INDEX "deals_score_idx" ON "deals" USING btree ("organization_id","score");--> statement-breakpoint
CREATE INDEX "deals_territory_idx" ON "deals" USING gin ("territory_ids");