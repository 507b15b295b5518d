-- The owner's knowledge-base documents, shared by every instance (none: the built-in documents).
create table if not exists kb_documents (name text primary key, text text, added_at real)
