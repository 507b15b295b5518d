-- One row per turn, for the owner's report: no names, emails or phone numbers, pseudonymous ids.
create table if not exists turns (id integer primary key, at real, day text, channel text, campaign text,
    conversation text, user_ref text, intent text, confidence real, answered text, recommendation text,
    form_event text, form_field text, unanswered integer, text text);
create index if not exists turns_day on turns (day);
create index if not exists turns_user on turns (user_ref);
create table if not exists settings (key text primary key, value text)
