-- A store written by the first release (before schema versions), for the migration test.
BEGIN TRANSACTION;
CREATE TABLE conversations (key text primary key, user text, channel text, state text, updated_at float) without rowid;
INSERT INTO "conversations" VALUES('console:u3','u3','console','{"last_intent":"fallback","last_topic":"out_of_scope","last_role":null,"recommendation":null,"pending":[],"form":null,"recent":["what is the meaning of life"],"extra":{"asked_topic":"help"}}',1.79583077654148888591e+09);
INSERT INTO "conversations" VALUES('slack:T1:D1','U1','slack','{"last_intent":"ops.skills","last_topic":"skills","last_role":"operations_manager","recommendation":null,"pending":[],"form":null,"recent":["what does an ops manager do","and what skills do they need?"],"extra":{}}',1.79583077654125928875e+09);
INSERT INTO "conversations" VALUES('telegram:1','telegram-1','telegram','{"last_intent":"lead.start","last_topic":"lead","last_role":"project_manager","recommendation":null,"pending":[],"form":{"status":"filed","lead_id":"L-C25941164B"},"recent":["Peggy Olson","peggy@sterlingcooper.com","skip","skip","skip","yes"],"extra":{}}',1.79583077653769516944e+09);
CREATE TABLE "fallbacks" (
   "id" INTEGER PRIMARY KEY,
   "text" TEXT,
   "channel" TEXT,
   "user" TEXT,
   "created_at" TEXT
);
INSERT INTO "fallbacks" VALUES(1,'what is the meaning of life','console','u3','2026-11-28T01:52:56Z');
PRAGMA writable_schema=ON;
CREATE TABLE "leads" (
   "id" TEXT PRIMARY KEY,
   "created_at" TEXT,
   "updated_at" TEXT,
   "status" TEXT,
   "tier" TEXT,
   "score" INTEGER,
   "qualified" INTEGER,
   "reasons" TEXT,
   "role" TEXT,
   "engagement" TEXT,
   "start" TEXT,
   "start_said" TEXT,
   "company" TEXT,
   "name" TEXT,
   "email" TEXT,
   "phone" TEXT,
   "company_size" TEXT,
   "details" TEXT,
   "email_kind" TEXT,
   "channel" TEXT,
   "user" TEXT,
   "conversation" TEXT,
   "transcript" TEXT,
   "source" TEXT,
   "campaign" TEXT,
   "history" TEXT
);
INSERT INTO "leads" VALUES('L-C25941164B','2026-11-28T01:52:56Z','2026-11-28T01:52:56Z','new','hot',80,1,'["+30 wants to start within a month", "+20 gave a business email", "+15 knows which role they need", "+15 knows the engagement model"]','project_manager','full_time','asap','as soon as possible','Sterling Cooper','Peggy Olson','peggy@sterlingcooper.com',NULL,NULL,NULL,'business','telegram','telegram-1','telegram:1','["Peggy Olson", "peggy@sterlingcooper.com", "skip", "skip", "skip", "yes"]',NULL,NULL,'[{"status": "new", "by": "assistant", "at": "2026-11-28T01:52:56Z"}]');
CREATE TABLE "outbox" (
   "id" INTEGER PRIMARY KEY,
   "lead_id" TEXT,
   "sink" TEXT,
   "kind" TEXT,
   "payload" TEXT,
   "status" TEXT,
   "attempts" INTEGER,
   "next_attempt_at" REAL,
   "lease_until" REAL,
   "last_error" TEXT,
   "created_at" REAL,
   "sent_at" REAL
);
INSERT INTO "outbox" VALUES(1,'L-C25941164B','webhook','lead','{"id": "L-C25941164B", "tier": "hot", "qualified": true, "score": 80, "status": "new", "created_at": "2026-11-28T01:52:56Z", "role": "project_manager", "engagement": "full_time", "start": "asap", "start_said": "as soon as possible", "company": "Sterling Cooper", "name": "Peggy Olson", "email": "peggy@sterlingcooper.com", "phone": null, "company_size": null, "details": null, "email_kind": "business", "channel": "telegram", "source": null, "campaign": null, "reasons": ["+30 wants to start within a month", "+20 gave a business email", "+15 knows which role they need", "+15 knows the engagement model"], "user": "telegram-1", "transcript": ["Peggy Olson", "peggy@sterlingcooper.com", "skip", "skip", "skip", "yes"]}','pending',0,1.79583077653781318658e+09,NULL,NULL,1.79583077653781318658e+09,NULL);
INSERT INTO "outbox" VALUES(2,'L-C25941164B','slack','lead','{"id": "L-C25941164B", "tier": "hot", "qualified": true, "score": 80, "status": "new", "created_at": "2026-11-28T01:52:56Z", "role": "project_manager", "engagement": "full_time", "start": "asap", "start_said": "as soon as possible", "company": "Sterling Cooper", "name": "Peggy Olson", "email": "peggy@sterlingcooper.com", "phone": null, "company_size": null, "details": null, "email_kind": "business", "channel": "telegram", "source": null, "campaign": null, "reasons": ["+30 wants to start within a month", "+20 gave a business email", "+15 knows which role they need", "+15 knows the engagement model"], "user": "telegram-1", "transcript": ["Peggy Olson", "peggy@sterlingcooper.com", "skip", "skip", "skip", "yes"]}','pending',0,1.79583077653785657887e+09,NULL,NULL,1.79583077653785657887e+09,NULL);
CREATE TABLE "seen" (
   "key" TEXT PRIMARY KEY,
   "at" REAL
);
INSERT INTO "seen" VALUES('telegram:update:100',1.79583077650218629834e+09);
INSERT INTO "seen" VALUES('telegram:update:101',1.79583077650316834446e+09);
INSERT INTO "seen" VALUES('telegram:update:102',1.79583077650376653666e+09);
INSERT INTO "seen" VALUES('telegram:update:103',1.79583077653625679021e+09);
INSERT INTO "seen" VALUES('telegram:update:104',1.79583077653693342213e+09);
INSERT INTO "seen" VALUES('telegram:update:105',1.7958307765371439457e+09);
INSERT INTO "seen" VALUES('telegram:update:106',1.79583077653732824325e+09);
INSERT INTO "seen" VALUES('telegram:update:107',1.79583077653766512871e+09);
INSERT INTO "seen" VALUES('slack:event:Ev0',1.79583077654052424435e+09);
INSERT INTO "seen" VALUES('slack:event:Ev1',1.79583077654123115544e+09);
CREATE TABLE "short_keys" (
   "key" TEXT PRIMARY KEY,
   "value" TEXT
);
INSERT INTO "short_keys" VALUES('k1','intent:pm.skills');
CREATE INDEX "idx_conversations_user"
    ON "conversations" ("user");
CREATE INDEX "idx_leads_created_at"
    ON "leads" ("created_at");
CREATE INDEX "idx_leads_user"
    ON "leads" ("user");
CREATE UNIQUE INDEX "idx_outbox_lead_id_sink_kind"
    ON "outbox" ("lead_id", "sink", "kind");
CREATE INDEX "idx_outbox_status_next_attempt_at"
    ON "outbox" ("status", "next_attempt_at");
PRAGMA writable_schema=OFF;
COMMIT;
