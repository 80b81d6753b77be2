CREATE TABLE "socket_connections" (
	"subject" text NOT NULL,
	"socket_id" uuid NOT NULL,
	"process_id" uuid NOT NULL,
	"seen_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "socket_connections_subject_socket_id_pk" PRIMARY KEY("subject","socket_id")
);
--> statement-breakpoint
CREATE INDEX "socket_connections_process_idx" ON "socket_connections" USING btree ("process_id");