-- Live hand-offs: a person from sales talks to the prospect through the hand-off notice's Slack thread.
create table if not exists handoffs (id text primary key, conversation text not null, "user" text, channel text,
    target text, question text, campaign text, status text not null, owner text, owner_name text,
    notice_channel text, notice_ts text, created_at real, first_reply_at real, last_activity_at real,
    closed_at real, close_reason text, email text);
create index if not exists handoffs_conversation on handoffs (conversation, status);
create index if not exists handoffs_notice on handoffs (notice_channel, notice_ts);
alter table leads add column owner text
