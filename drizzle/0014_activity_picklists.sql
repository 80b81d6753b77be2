ALTER TABLE "activities" ADD COLUMN "type_value" text DEFAULT null;--> statement-breakpoint
ALTER TABLE "activities" ADD COLUMN "status_value" text DEFAULT null;--> statement-breakpoint
ALTER TABLE "picklist_values" ADD COLUMN "kind" text;--> statement-breakpoint
-- Existing activities take the built-in value of their kind: TASK -> Task, NOT_STARTED -> Not Started.
UPDATE "activities" SET "type_value" = initcap(lower("type")), "status_value" = initcap(replace(lower("status"), '_', ' '));--> statement-breakpoint
ALTER TABLE "activities" ALTER COLUMN "type_value" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "activities" ALTER COLUMN "status_value" SET NOT NULL;--> statement-breakpoint
-- An insert that names only the kinds (bulk loads, restores of exports taken before this
-- migration, workflow tasks) gets the organisation's first active value of each kind, or the
-- built-in value when the organisation never edited the list.
CREATE FUNCTION "activities_fill_picklist_values"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.type_value IS NULL THEN
    NEW.type_value := coalesce(
      (SELECT p.value FROM picklist_values p
        WHERE p.organization_id = NEW.organization_id AND p.picklist = 'ACTIVITY_TYPE' AND p.kind = NEW.type AND NOT p.retired
        ORDER BY p.position LIMIT 1),
      initcap(lower(NEW.type)));
  END IF;
  IF NEW.status_value IS NULL THEN
    NEW.status_value := coalesce(
      (SELECT p.value FROM picklist_values p
        WHERE p.organization_id = NEW.organization_id AND p.picklist = 'ACTIVITY_STATUS' AND p.kind = NEW.status AND NOT p.retired
        ORDER BY p.position LIMIT 1),
      initcap(replace(lower(NEW.status), '_', ' ')));
  END IF;
  RETURN NEW;
END
$$;--> statement-breakpoint
CREATE TRIGGER "activities_fill_picklist_values" BEFORE INSERT ON "activities"
  FOR EACH ROW EXECUTE FUNCTION "activities_fill_picklist_values"();
