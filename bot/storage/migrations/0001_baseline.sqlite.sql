-- The schema as the first releases created it (tables were created on demand): a database from those
-- releases already has these tables, and this migration only records that it is at version 1.
create table if not exists conversations (key text primary key, user text, channel text, state text,
    updated_at float) without rowid;
create index if not exists "idx_conversations_user" on "conversations" ("user");
create table if not exists "fallbacks" ("id" integer primary key, "text" text, "channel" text, "user" text,
    "created_at" text);
create table if not exists "seen" ("key" text primary key, "at" real);
create table if not exists "regex_literal_sets" ("source" text primary key, "literals" text);
create table if not exists "short_keys" ("key" text primary key, "value" text);
create table if not exists "leads" ("id" text primary key, "created_at" text, "updated_at" text, "status" text,
    "tier" text, "score" integer, "qualified" integer, "reasons" text, "role" text, "engagement" text,
    "start" text, "start_said" text, "company" text, "name" text, "email" text, "phone" text,
    "company_size" text, "details" text, "email_kind" text, "channel" text, "user" text, "conversation" text,
    "transcript" text, "source" text, "campaign" text, "history" text);
create index if not exists "idx_leads_created_at" on "leads" ("created_at");
create index if not exists "idx_leads_user" on "leads" ("user");
create table if not exists "outbox" ("id" integer primary key, "lead_id" text, "sink" text, "kind" text,
    "payload" text, "status" text, "attempts" integer, "next_attempt_at" real, "lease_until" real,
    "last_error" text, "created_at" real, "sent_at" real);
create unique index if not exists "idx_outbox_lead_id_sink_kind" on "outbox" ("lead_id", "sink", "kind");
create index if not exists "idx_outbox_status_next_attempt_at" on "outbox" ("status", "next_attempt_at");
create table if not exists "posted" ("lead_id" text, "sink" text, "location" text,
    primary key ("lead_id", "sink"))
