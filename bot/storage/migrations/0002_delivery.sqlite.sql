-- Replies committed with their turn and sent from the store; deliveries set aside; threads joined;
-- the next free slot of each paced channel, shared by every process.
create table if not exists "dead_letters" ("id" integer primary key, "channel" text, "key" text, "error" text,
    "at" real);
create table if not exists "places" ("key" text primary key, "at" real);
create table if not exists replies (id integer primary key, key text unique, channel text, conversation text,
    user text, target text, reply text, status text, attempts integer, parts_sent integer, platform_ids text,
    next_attempt_at float, lease_until float, last_error text, created_at float, sent_at float);
create index if not exists replies_due on replies (status, channel, next_attempt_at);
create table if not exists pacing (lane text primary key, next_at real)
