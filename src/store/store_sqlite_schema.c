/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * The SQLite schema as a list of migrations. A migration, once released, is
 * never edited: a schema change is a new entry at the end. The table
 * schema_migrations records which ones a file has.
 */
#include "base/common.h"

#include "base/datetime.h"
#include "store_sqlite_int.h"

/*
 * Version 1: every table of the first release. Times are milliseconds since
 * the epoch (UTC). Salesforce ids are 18 characters compared with BINARY
 * collation, because their first 15 characters are case-sensitive.
 */
static const char migration_1[] =
    "CREATE TABLE workspaces ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  default_region TEXT NOT NULL DEFAULT 'US',"
    "  created_ms INTEGER NOT NULL"
    ");"
    "CREATE TABLE settings ("
    "  workspace_id INTEGER NOT NULL REFERENCES workspaces(id),"
    "  key TEXT NOT NULL,"
    "  value TEXT NOT NULL,"
    "  updated_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (workspace_id, key)"
    ");"
    "CREATE TABLE contacts ("
    "  id INTEGER PRIMARY KEY,"
    "  workspace_id INTEGER NOT NULL REFERENCES workspaces(id),"
    "  version INTEGER NOT NULL,"
    "  created_ms INTEGER NOT NULL,"
    "  updated_ms INTEGER NOT NULL,"
    "  archived INTEGER NOT NULL DEFAULT 0 CHECK (archived IN (0, 1)),"
    "  first_name TEXT,"
    "  last_name TEXT,"
    "  company TEXT,"
    "  title TEXT,"
    "  email TEXT,"
    "  phone TEXT,"
    "  phone_e164 TEXT,"
    "  phone_valid INTEGER NOT NULL DEFAULT 0,"
    "  mobile_phone TEXT,"
    "  mobile_phone_e164 TEXT,"
    "  mobile_phone_valid INTEGER NOT NULL DEFAULT 0,"
    "  street TEXT,"
    "  city TEXT,"
    "  state TEXT,"
    "  postal_code TEXT,"
    "  country TEXT,"
    "  lead_status TEXT,"
    "  lead_source TEXT,"
    "  do_not_call INTEGER NOT NULL DEFAULT 0,"
    "  email_opt_out INTEGER NOT NULL DEFAULT 0,"
    "  owner TEXT,"
    /* The digits of both phones, for search; written by the store. */
    "  search_digits TEXT NOT NULL DEFAULT ''"
    ");"
    "CREATE INDEX contacts_by_workspace ON contacts (workspace_id, id);"
    "CREATE INDEX contacts_by_phone ON contacts (workspace_id, phone_e164);"
    "CREATE INDEX contacts_by_mobile_phone"
    "  ON contacts (workspace_id, mobile_phone_e164);"
    "CREATE INDEX contacts_by_email ON contacts (workspace_id, lower(email));"
    "CREATE TABLE links ("
    "  contact_id INTEGER PRIMARY KEY REFERENCES contacts(id),"
    "  workspace_id INTEGER NOT NULL REFERENCES workspaces(id),"
    "  sf_object TEXT NOT NULL CHECK (sf_object IN ('Contact', 'Lead')),"
    "  sf_id TEXT NOT NULL COLLATE BINARY CHECK (length(sf_id) = 18),"
    "  base_json TEXT NOT NULL DEFAULT '{}',"
    "  system_modstamp_ms INTEGER NOT NULL DEFAULT 0,"
    "  last_modified_ms INTEGER NOT NULL DEFAULT 0,"
    "  updated_ms INTEGER NOT NULL,"
    "  UNIQUE (workspace_id, sf_id)"
    ");"
    "CREATE TABLE credentials ("
    "  workspace_id INTEGER NOT NULL REFERENCES workspaces(id),"
    "  kind TEXT NOT NULL,"
    "  ciphertext BLOB NOT NULL,"
    "  nonce BLOB NOT NULL,"
    "  updated_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (workspace_id, kind)"
    ");"
    "CREATE TABLE cursors ("
    "  workspace_id INTEGER NOT NULL REFERENCES workspaces(id),"
    "  sf_object TEXT NOT NULL CHECK (sf_object IN ('Contact', 'Lead')),"
    "  modstamp_ms INTEGER NOT NULL,"
    "  last_id TEXT NOT NULL COLLATE BINARY,"
    "  updated_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (workspace_id, sf_object)"
    ");"
    "CREATE TABLE runs ("
    "  id INTEGER PRIMARY KEY,"
    "  workspace_id INTEGER NOT NULL REFERENCES workspaces(id),"
    "  kind TEXT NOT NULL,"
    "  sf_object TEXT CHECK (sf_object IN ('Contact', 'Lead')),"
    "  started_ms INTEGER NOT NULL,"
    "  finished_ms INTEGER,"
    "  status TEXT NOT NULL,"
    "  created INTEGER NOT NULL DEFAULT 0,"
    "  updated INTEGER NOT NULL DEFAULT 0,"
    "  unchanged INTEGER NOT NULL DEFAULT 0,"
    "  skipped INTEGER NOT NULL DEFAULT 0,"
    "  errors INTEGER NOT NULL DEFAULT 0,"
    "  api_calls INTEGER NOT NULL DEFAULT 0,"
    "  message TEXT"
    ");"
    "CREATE INDEX runs_by_workspace ON runs (workspace_id, id);"
    "CREATE TABLE sync_errors ("
    "  id INTEGER PRIMARY KEY,"
    "  workspace_id INTEGER NOT NULL REFERENCES workspaces(id),"
    "  contact_id INTEGER REFERENCES contacts(id),"
    "  sf_object TEXT CHECK (sf_object IN ('Contact', 'Lead')),"
    "  sf_id TEXT COLLATE BINARY,"
    "  code TEXT NOT NULL,"
    "  message TEXT NOT NULL,"
    "  retryable INTEGER NOT NULL DEFAULT 0,"
    "  created_ms INTEGER NOT NULL"
    ");"
    "CREATE INDEX sync_errors_by_contact"
    "  ON sync_errors (workspace_id, contact_id);"
    "CREATE TABLE outbox ("
    "  id INTEGER PRIMARY KEY,"
    "  workspace_id INTEGER NOT NULL REFERENCES workspaces(id),"
    "  contact_id INTEGER NOT NULL REFERENCES contacts(id),"
    "  version INTEGER NOT NULL,"
    "  operation TEXT NOT NULL"
    "    CHECK (operation IN ('create', 'update', 'archive')),"
    "  created_ms INTEGER NOT NULL,"
    "  state TEXT NOT NULL DEFAULT 'pending'"
    "    CHECK (state IN ('pending', 'done'))"
    ");"
    "CREATE INDEX outbox_pending ON outbox (workspace_id, state, id);"
    "CREATE INDEX outbox_by_contact ON outbox (contact_id, version);";

/*
 * Version 2: the two-way sync. Runs count pushed, pulled, deleted and
 * conflicting records. A sync error remembers the contact version that
 * failed, so a permanent failure is retried only once the contact changes.
 * conflicts is the log of fields changed on both sides, and create_intents
 * records a Salesforce create before it is sent, so that a create whose
 * reply was lost is found again instead of sent twice.
 */
static const char migration_2[] =
    "ALTER TABLE runs ADD COLUMN pushed INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE runs ADD COLUMN pulled INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE runs ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE runs ADD COLUMN conflicts INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE sync_errors ADD COLUMN version INTEGER NOT NULL DEFAULT 0;"
    "CREATE INDEX sync_errors_by_record ON sync_errors (workspace_id, sf_id);"
    "CREATE TABLE conflicts ("
    "  id INTEGER PRIMARY KEY,"
    "  workspace_id INTEGER NOT NULL REFERENCES workspaces(id),"
    "  run_id INTEGER REFERENCES runs(id),"
    "  contact_id INTEGER NOT NULL REFERENCES contacts(id),"
    "  sf_object TEXT CHECK (sf_object IN ('Contact', 'Lead')),"
    "  sf_id TEXT COLLATE BINARY,"
    "  field TEXT NOT NULL,"
    "  local_value TEXT,"
    "  remote_value TEXT,"
    "  winner TEXT NOT NULL CHECK (winner IN ('local', 'salesforce')),"
    "  policy TEXT NOT NULL,"
    "  created_ms INTEGER NOT NULL"
    ");"
    "CREATE INDEX conflicts_by_run ON conflicts (workspace_id, run_id);"
    "CREATE INDEX conflicts_by_contact ON conflicts (workspace_id, contact_id);"
    "CREATE TABLE create_intents ("
    "  contact_id INTEGER PRIMARY KEY REFERENCES contacts(id),"
    "  workspace_id INTEGER NOT NULL REFERENCES workspaces(id),"
    "  sf_object TEXT NOT NULL CHECK (sf_object IN ('Contact', 'Lead')),"
    "  user_id TEXT NOT NULL COLLATE BINARY,"
    "  created_ms INTEGER NOT NULL"
    ");"
    "CREATE INDEX create_intents_by_workspace"
    "  ON create_intents (workspace_id, sf_object);";

/*
 * Version 3: what became of a contact's Salesforce record when the contact
 * stayed without a link. A record deleted in Salesforce while
 * on_salesforce_delete is keep is remembered, so that later local edits
 * never create it again, and a duplicate archived after a merge or a
 * conversion points to the contact that survived it.
 */
static const char migration_3[] =
    "CREATE TABLE tombstones ("
    "  contact_id INTEGER PRIMARY KEY REFERENCES contacts(id),"
    "  workspace_id INTEGER NOT NULL REFERENCES workspaces(id),"
    "  sf_object TEXT CHECK (sf_object IN ('Contact', 'Lead')),"
    "  sf_id TEXT NOT NULL COLLATE BINARY,"
    "  survivor_id INTEGER REFERENCES contacts(id),"
    "  created_ms INTEGER NOT NULL"
    ");"
    "CREATE TABLE locks ("
    "  workspace_id INTEGER NOT NULL REFERENCES workspaces(id),"
    "  name TEXT NOT NULL,"
    "  pid INTEGER NOT NULL,"
    "  started_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (workspace_id, name)"
    ");";

/*
 * Version 4: the users of sfsync serve, their sign-in sessions and API
 * tokens. Session ids and tokens are stored only as SHA-256 hashes (hex),
 * so a copy of the file does not let anyone sign in. Deleting a user
 * deletes its sessions and tokens.
 */
static const char migration_4[] =
    "CREATE TABLE users ("
    "  id INTEGER PRIMARY KEY,"
    "  workspace_id INTEGER NOT NULL REFERENCES workspaces(id),"
    "  name TEXT NOT NULL,"
    "  role TEXT NOT NULL CHECK (role IN ('admin', 'agent')),"
    "  password_hash TEXT NOT NULL,"
    "  created_ms INTEGER NOT NULL,"
    "  UNIQUE (workspace_id, name)"
    ");"
    "CREATE TABLE sessions ("
    "  id_hash TEXT PRIMARY KEY COLLATE BINARY,"
    "  workspace_id INTEGER NOT NULL REFERENCES workspaces(id),"
    "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  csrf_token TEXT NOT NULL,"
    "  created_ms INTEGER NOT NULL,"
    "  last_seen_ms INTEGER NOT NULL"
    ");"
    "CREATE INDEX sessions_by_user ON sessions (user_id);"
    "CREATE TABLE api_tokens ("
    "  token_hash TEXT PRIMARY KEY COLLATE BINARY,"
    "  workspace_id INTEGER NOT NULL REFERENCES workspaces(id),"
    "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  created_ms INTEGER NOT NULL,"
    "  last_used_ms INTEGER NOT NULL DEFAULT 0"
    ");"
    "CREATE INDEX api_tokens_by_user ON api_tokens (user_id);";

/*
 * Version 5: the process that records a run (its pid and its start time,
 * so that a reused pid is not taken for the owner), so that a run left
 * "running" by a process that ended can be marked "abandoned"; and the
 * back link that Salesforce was last seen to hold for a linked record,
 * as "FIELD<US>VALUE" (US is the byte 0x1f), NULL when unknown.
 */
static const char migration_5[] =
    "ALTER TABLE runs ADD COLUMN owner_pid INTEGER;"
    "ALTER TABLE runs ADD COLUMN owner_start INTEGER;"
    "CREATE INDEX runs_running ON runs (workspace_id) "
    "WHERE status = 'running';"
    "ALTER TABLE links ADD COLUMN backlink TEXT;";

/*
 * Version 6: the progress of a pull. api is the Salesforce API a pull
 * reads through ('rest' or 'bulk'), and expected the number of records it
 * expects, NULL while unknown; both are set before the first page.
 */
static const char migration_6[] =
    "ALTER TABLE runs ADD COLUMN api TEXT;"
    "ALTER TABLE runs ADD COLUMN expected INTEGER;";

/*
 * Version 7: the leases of sfsync worker and the lease owner that started
 * a run, as in the PostgreSQL schema. The worker runs only on PostgreSQL,
 * so the SQLite table stays empty. It exists so that both schemas match,
 * and sfsync migrate copies runs.worker.
 */
static const char migration_7[] =
    "CREATE TABLE leases ("
    "  workspace_id INTEGER PRIMARY KEY REFERENCES workspaces(id),"
    "  owner TEXT NOT NULL DEFAULT '',"
    "  expires_ms INTEGER NOT NULL DEFAULT 0,"
    "  synced_ms INTEGER NOT NULL DEFAULT 0"
    ");"
    "ALTER TABLE runs ADD COLUMN worker TEXT;";

/*
 * Version 8: the pending sign-ins of the authorization code flow, so that
 * the OAuth callback may reach any sfsync serve process of the database,
 * also one restarted since the sign-in started. The state is stored only
 * as its SHA-256 hash (hex). The PKCE verifier and the client secret are
 * one ciphertext under the key of the credentials. An attempt is deleted
 * when its callback arrives, and after it expires.
 */
static const char migration_8[] =
    "CREATE TABLE oauth_attempts ("
    "  state_hash TEXT PRIMARY KEY COLLATE BINARY,"
    "  workspace_id INTEGER NOT NULL REFERENCES workspaces(id),"
    "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  login_url TEXT NOT NULL,"
    "  client_id TEXT NOT NULL,"
    "  redirect_uri TEXT NOT NULL,"
    "  secrets BLOB NOT NULL,"
    "  nonce BLOB NOT NULL,"
    "  created_ms INTEGER NOT NULL,"
    "  expires_ms INTEGER NOT NULL"
    ");"
    "CREATE INDEX oauth_attempts_by_workspace ON oauth_attempts "
    "(workspace_id, created_ms);"
    "CREATE INDEX oauth_attempts_by_user ON oauth_attempts (user_id);";

/*
 * Version 9: the host name and command of a lock's holder, so that a
 * refusal names them. The lock itself is an advisory lock (PostgreSQL) or
 * a lock file (SQLite), which the row only describes.
 */
static const char migration_9[] =
    "ALTER TABLE locks ADD COLUMN host TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE locks ADD COLUMN command TEXT NOT NULL DEFAULT '';";

/*
 * Version 10: a conflict may be won by a delete. The push deletes the
 * record of a contact deleted locally (on_local_delete=delete), and a
 * contact is archived when its record is deleted in Salesforce
 * (on_salesforce_delete=archive), each over the other side's edits. SQLite
 * cannot change a CHECK constraint, so the table is built again.
 */
static const char migration_10[] =
    "CREATE TABLE conflicts_new ("
    "  id INTEGER PRIMARY KEY,"
    "  workspace_id INTEGER NOT NULL REFERENCES workspaces(id),"
    "  run_id INTEGER REFERENCES runs(id),"
    "  contact_id INTEGER NOT NULL REFERENCES contacts(id),"
    "  sf_object TEXT CHECK (sf_object IN ('Contact', 'Lead')),"
    "  sf_id TEXT COLLATE BINARY,"
    "  field TEXT NOT NULL,"
    "  local_value TEXT,"
    "  remote_value TEXT,"
    "  winner TEXT NOT NULL CHECK (winner IN ('local', 'salesforce', "
    "'delete')),"
    "  policy TEXT NOT NULL,"
    "  created_ms INTEGER NOT NULL"
    ");"
    "INSERT INTO conflicts_new (id, workspace_id, run_id, contact_id, "
    "sf_object, sf_id, field, local_value, remote_value, winner, policy, "
    "created_ms) SELECT id, workspace_id, run_id, contact_id, sf_object, "
    "sf_id, field, local_value, remote_value, winner, policy, created_ms "
    "FROM conflicts;"
    "DROP TABLE conflicts;"
    "ALTER TABLE conflicts_new RENAME TO conflicts;"
    "CREATE INDEX conflicts_by_run ON conflicts (workspace_id, run_id);"
    "CREATE INDEX conflicts_by_contact ON conflicts (workspace_id, "
    "contact_id);";

/*
 * Version 11: the code of why a run failed or stopped ("auth", "network",
 * ...), so that clients need not match the message's wording. It is NULL
 * for runs that did not fail and for runs that ended before this version.
 */
static const char migration_11[] =
    "ALTER TABLE runs ADD COLUMN error_code TEXT;";

static const char *const migrations[] = {
    migration_1,
    migration_2,
    migration_3,
    migration_4,
    migration_5,
    migration_6,
    migration_7,
    migration_8,
    migration_9,
    migration_10,
    migration_11,
};

static const char create_migrations_table[] =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    "  version INTEGER PRIMARY KEY,"
    "  applied_ms INTEGER NOT NULL"
    ")";

/* The highest version recorded in the file, or a negative error. */
static int64_t current_version(sqlite3 *db, struct err *err)
{
    sqlite3_stmt *st = NULL;
    int64_t version = 0;
    int rc;

    rc = sqlite3_prepare_v2(db,
                            "SELECT coalesce(max(version), 0) "
                            "FROM schema_migrations",
                            -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        version = sqlite3_column_int64(st, 0);
    else
        version = err_set(err, SYNC_EDB, "read schema version failed: %s",
                          sqlite3_errmsg(db));
    sqlite3_finalize(st);
    return version;
}

static int record_version(sqlite3 *db, int version, struct err *err)
{
    sqlite3_stmt *st = NULL;
    int rc;

    rc = sqlite3_prepare_v2(db,
                            "INSERT INTO schema_migrations (version, "
                            "applied_ms) VALUES (?, ?)",
                            -1, &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int(st, 1, version);
        sqlite3_bind_int64(st, 2, datetime_now_ms());
        rc = sqlite3_step(st);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return err_set(err, SYNC_EDB, "record schema version %d failed: %s",
                       version, sqlite3_errmsg(db));
    return 0;
}

/*
 * Apply migration number version (1-based) unless another process did it
 * first: the version is read again inside the write transaction, which
 * BEGIN IMMEDIATE makes exclusive among writers.
 */
static int apply_one(sqlite3 *db, int version, struct err *err)
{
    int64_t have;
    int rc;

    if ((rc = store_sqlite__exec(db, "BEGIN IMMEDIATE", "begin migration",
                                 err)) < 0)
        return rc;
    have = current_version(db, err);
    if (have < 0) {
        rc = (int)have;
        goto out;
    }
    if (have >= version)
        goto out;
    if ((rc = store_sqlite__exec(db, migrations[version - 1], "migration",
                                 err)) < 0) {
        err_prefix(err, "schema version %d", version);
        goto out;
    }
    rc = record_version(db, version, err);
out:
    if (rc == 0)
        return store_sqlite__exec(db, "COMMIT", "commit migration", err);
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

int store_sqlite__migrate(sqlite3 *db, struct err *err)
{
    const int latest = (int)ARRAY_SIZE(migrations);
    int64_t have;
    int rc;

    if ((rc = store_sqlite__exec(db, create_migrations_table,
                                 "create schema_migrations", err)) < 0)
        return rc;
    if ((have = current_version(db, err)) < 0)
        return (int)have;
    if (have > latest)
        return err_set(err, SYNC_EDB,
                       "database schema version %lld is newer than this "
                       "program's %d; run a newer sfsync",
                       (long long)have, latest);
    for (int version = (int)have + 1; version <= latest; version++)
        if ((rc = apply_one(db, version, err)) < 0)
            return rc;
    return 0;
}
