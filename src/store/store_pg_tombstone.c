/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * Tombstones in the PostgreSQL backend, what became of the Salesforce
 * record of a contact without a link, the workspace locks, and the contact
 * lookups that include linked contacts. store.c has already checked the
 * arguments and canonicalised the Salesforce ids.
 */
#include "base/common.h"

#include "base/datetime.h"
#include "store_pg_int.h"

/* The maximum number of times lock_get reserves the lock row, each retry
 * following a delete of the row by another process. */
#define LOCK_TRIES 8

/* $4, when not NULL, leaves out the contacts with another email. */
static const char sql_by_phone[] =
    "SELECT id FROM contacts WHERE workspace_id = $1 AND NOT archived AND "
    "phone_e164 = $2 AND ($4::text IS NULL OR email IS NULL OR "
    "lower(email) = lower($4)) "
    "UNION SELECT id FROM contacts WHERE workspace_id = $1 AND "
    "NOT archived AND mobile_phone_e164 = $2 AND ($4::text IS NULL OR "
    "email IS NULL OR lower(email) = lower($4)) ORDER BY id LIMIT $3";
static const char sql_by_email[] =
    "SELECT id FROM contacts WHERE workspace_id = $1 AND NOT archived AND "
    "lower(email) = lower($2) ORDER BY id LIMIT $3";
/* As sql_by_phone and sql_by_email, for archived contacts with a link. */
static const char sql_archived_by_phone[] =
    "SELECT id FROM contacts c WHERE workspace_id = $1 AND archived AND "
    "phone_e164 = $2 AND ($4::text IS NULL OR email IS NULL OR "
    "lower(email) = lower($4)) AND "
    "EXISTS (SELECT 1 FROM links l WHERE l.contact_id = c.id) "
    "UNION SELECT id FROM contacts c WHERE workspace_id = $1 AND "
    "archived AND mobile_phone_e164 = $2 AND ($4::text IS NULL OR "
    "email IS NULL OR lower(email) = lower($4)) AND "
    "EXISTS (SELECT 1 FROM links l WHERE l.contact_id = c.id) "
    "ORDER BY id LIMIT $3";
static const char sql_archived_by_email[] =
    "SELECT id FROM contacts c WHERE workspace_id = $1 AND archived AND "
    "lower(email) = lower($2) AND "
    "EXISTS (SELECT 1 FROM links l WHERE l.contact_id = c.id) "
    "ORDER BY id LIMIT $3";

static const char sql_tombstone_put[] =
    "INSERT INTO tombstones (contact_id, workspace_id, sf_object, sf_id, "
    "survivor_id, created_ms) "
    "SELECT id, workspace_id, $1, $2, $3, $4 "
    "FROM contacts WHERE id = $5 AND workspace_id = $6 "
    "ON CONFLICT (contact_id) DO UPDATE SET sf_object = excluded.sf_object, "
    "sf_id = excluded.sf_id, survivor_id = excluded.survivor_id, "
    "created_ms = excluded.created_ms";
static const char sql_tombstone_get[] =
    "SELECT contact_id, workspace_id, sf_object, sf_id, survivor_id, "
    "created_ms FROM tombstones WHERE workspace_id = $1 AND contact_id = $2";
static const char sql_tombstone_delete[] =
    "DELETE FROM tombstones WHERE workspace_id = $1 AND contact_id = $2";

/*
 * Inside a transaction, lock_get makes sure the lock row exists, as a
 * placeholder with pid 0 when no process holds the lock, and locks it FOR
 * UPDATE. A second process taking the same lock then waits on that row
 * until the first commits, and reads its pid. A plain SELECT would let
 * both read no row and both write one. store_lock_acquire never commits
 * the placeholder, because lock_put replaces it or the rollback removes it.
 */
static const char sql_lock_reserve[] =
    "INSERT INTO locks (workspace_id, name, pid, started_ms) "
    "VALUES ($1, $2, 0, 0) ON CONFLICT (workspace_id, name) DO NOTHING";
#define LOCK_SELECT                                                          \
    "SELECT workspace_id, name, pid, started_ms, host, command FROM locks " \
    "WHERE workspace_id = $1 AND name = $2"
static const char sql_lock_get[] = LOCK_SELECT;
static const char sql_lock_get_for_update[] = LOCK_SELECT " FOR UPDATE";
static const char sql_lock_put[] =
    "INSERT INTO locks (workspace_id, name, pid, started_ms, host, command) "
    "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (workspace_id, name) "
    "DO UPDATE SET pid = excluded.pid, started_ms = excluded.started_ms, "
    "host = excluded.host, command = excluded.command";
static const char sql_lock_delete[] =
    "DELETE FROM locks WHERE workspace_id = $1 AND name = $2 AND pid = $3";

int store_pg__contact_find(struct store *base, int64_t ws,
                           enum store_match match, const char *value,
                           const char *email, int64_t *ids, size_t max,
                           size_t *out_count, struct err *err)
{
    static const char *const statements[] = {
        [STORE_MATCH_PHONE] = sql_by_phone,
        [STORE_MATCH_EMAIL] = sql_by_email,
        [STORE_MATCH_ARCHIVED_PHONE] = sql_archived_by_phone,
        [STORE_MATCH_ARCHIVED_EMAIL] = sql_archived_by_email,
    };
    bool phone =
        match == STORE_MATCH_PHONE || match == STORE_MATCH_ARCHIVED_PHONE;
    struct store_pg_params p;
    PGresult *res;
    int rows;

    store_pg__params_init(&p);
    store_pg__param_int64(&p, ws);
    store_pg__param_text(&p, value);
    store_pg__param_int64(&p, (int64_t)max);
    if (phone)
        store_pg__param_text(&p, email);
    res = store_pg__run(store_pg__from(base), statements[match], &p, false,
                        "find contacts", err);
    if (!res)
        return SYNC_EDB;
    rows = PQntuples(res);
    for (int i = 0; i < rows && (size_t)i < max; i++)
        ids[i] = store_pg__int64(res, i, 0);
    PQclear(res);
    *out_count = (size_t)rows < max ? (size_t)rows : max;
    return 0;
}

int store_pg__tombstone_put(struct store *base, struct store_tombstone *t,
                            struct err *err)
{
    struct store_pg_params p;
    int64_t now = datetime_now_ms();
    PGresult *res;
    int64_t changed;

    store_pg__params_init(&p);
    store_pg__param_text(&p, mapping_object_name(t->object));
    store_pg__param_text(&p, t->sf_id);
    if (t->survivor_id > 0)
        store_pg__param_int64(&p, t->survivor_id);
    else
        store_pg__param_text(&p, NULL);
    store_pg__param_int64(&p, now);
    store_pg__param_int64(&p, t->contact_id);
    store_pg__param_int64(&p, t->workspace_id);
    if (!(res = store_pg__run(store_pg__from(base), sql_tombstone_put, &p,
                              false, "record tombstone", err)))
        return SYNC_EDB;
    changed = store_pg__changes(res);
    PQclear(res);
    if (changed == 0)
        return err_set(err, SYNC_ENOTFOUND, "contact %lld not found",
                       (long long)t->contact_id);
    t->created_ms = now;
    return 0;
}

int store_pg__tombstone_get(struct store *base, int64_t ws,
                            int64_t contact_id, struct store_tombstone *out,
                            struct err *err)
{
    struct store_pg_params p;
    PGresult *res;
    bool found;

    store_pg__params_init(&p);
    store_pg__param_int64(&p, ws);
    store_pg__param_int64(&p, contact_id);
    if (!(res = store_pg__run(store_pg__from(base), sql_tombstone_get, &p,
                              false, "get tombstone", err)))
        return SYNC_EDB;
    found = PQntuples(res) > 0;
    if (found) {
        out->contact_id = store_pg__int64(res, 0, 0);
        out->workspace_id = store_pg__int64(res, 0, 1);
        out->object = (enum sf_object)store_pg__object(res, 0, 2);
        snprintf(out->sf_id, sizeof(out->sf_id), "%s",
                 PQgetvalue(res, 0, 3));
        /* NULL reads as 0, a record deleted in Salesforce. */
        out->survivor_id = store_pg__int64(res, 0, 4);
        out->created_ms = store_pg__int64(res, 0, 5);
    }
    PQclear(res);
    if (!found)
        return err_set(err, SYNC_ENOTFOUND, "contact %lld has no tombstone",
                       (long long)contact_id);
    return 0;
}

int store_pg__tombstone_delete(struct store *base, int64_t ws,
                               int64_t contact_id, struct err *err)
{
    struct store_pg_params p;

    store_pg__params_init(&p);
    store_pg__param_int64(&p, ws);
    store_pg__param_int64(&p, contact_id);
    return store_pg__run_command(store_pg__from(base), sql_tombstone_delete,
                                 &p, "delete tombstone", err);
}

/* Read the lock row, locking it when for_update is set. Return 1 when
 * found, 0 when not, or SYNC_EDB. */
static int read_lock(struct store_pg *s, int64_t ws, const char *name,
                     bool for_update, struct store_lock *out,
                     struct err *err)
{
    struct store_pg_params p;
    PGresult *res;
    int found;

    store_pg__params_init(&p);
    store_pg__param_int64(&p, ws);
    store_pg__param_text(&p, name);
    res = store_pg__run(s, for_update ? sql_lock_get_for_update
                                      : sql_lock_get,
                        &p, false, "get lock", err);
    if (!res)
        return SYNC_EDB;
    found = PQntuples(res) > 0;
    if (found) {
        out->workspace_id = store_pg__int64(res, 0, 0);
        snprintf(out->name, sizeof(out->name), "%s", PQgetvalue(res, 0, 1));
        out->pid = store_pg__int64(res, 0, 2);
        out->started_ms = store_pg__int64(res, 0, 3);
        snprintf(out->host, sizeof(out->host), "%s", PQgetvalue(res, 0, 4));
        snprintf(out->command, sizeof(out->command), "%s",
                 PQgetvalue(res, 0, 5));
    }
    PQclear(res);
    return found;
}

int store_pg__lock_get(struct store *base, int64_t ws, const char *name,
                       struct store_lock *out, struct err *err)
{
    struct store_pg *s = store_pg__from(base);
    struct store_pg_params p;
    int found = 0;

    if (!s->explicit_tx) {
        found = read_lock(s, ws, name, false, out, err);
    } else {
        /* An empty result means another process deleted the row between
         * the two statements, so reserve it again. */
        for (int i = 0; i < LOCK_TRIES && found == 0; i++) {
            store_pg__params_init(&p);
            store_pg__param_int64(&p, ws);
            store_pg__param_text(&p, name);
            if (store_pg__run_command(s, sql_lock_reserve, &p, "reserve lock",
                                      err) < 0)
                return SYNC_EDB;
            found = read_lock(s, ws, name, true, out, err);
        }
        if (found == 0)
            return err_set(err, SYNC_EDB,
                           "lock '%s' was released and taken %d times "
                           "while being read; run the command again",
                           name, LOCK_TRIES);
    }
    if (found < 0)
        return found;
    if (found == 0 || out->pid == 0) {
        memset(out, 0, sizeof(*out));
        return err_set(err, SYNC_ENOTFOUND, "lock '%s' is not held", name);
    }
    return 0;
}

int store_pg__lock_put(struct store *base, const struct store_lock *lock,
                       struct err *err)
{
    struct store_pg_params p;

    store_pg__params_init(&p);
    store_pg__param_int64(&p, lock->workspace_id);
    store_pg__param_text(&p, lock->name);
    store_pg__param_int64(&p, lock->pid);
    store_pg__param_int64(&p, lock->started_ms);
    store_pg__param_text(&p, lock->host);
    store_pg__param_text(&p, lock->command);
    return store_pg__run_command(store_pg__from(base), sql_lock_put, &p,
                                 "take lock", err);
}

int store_pg__lock_delete(struct store *base, int64_t ws, const char *name,
                          int64_t pid, struct err *err)
{
    struct store_pg_params p;

    store_pg__params_init(&p);
    store_pg__param_int64(&p, ws);
    store_pg__param_text(&p, name);
    store_pg__param_int64(&p, pid);
    return store_pg__run_command(store_pg__from(base), sql_lock_delete, &p,
                                 "release lock", err);
}
