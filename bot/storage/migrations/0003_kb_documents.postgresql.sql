create table if not exists kb_documents (name text primary key, text text, added_at double precision)
