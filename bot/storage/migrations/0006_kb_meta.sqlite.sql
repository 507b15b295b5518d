-- What the knowledge base was built from (`oncall-bot kb status`): where each of the owner's documents was
-- read from, and whether they were added to the built-in documents (`kb add`: 1) or replaced them
-- (`kb build PATHS`: 0; rows from before this migration, NULL, replaced them too).
alter table kb_documents add column source text;
alter table kb_documents add column with_builtin integer
