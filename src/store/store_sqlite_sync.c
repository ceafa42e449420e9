/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * The tables of the two-way sync in the SQLite backend: the conflict log
 * and the create intents. store.c has already checked the arguments and
 * canonicalised the Salesforce ids.
 */
#include "base/common.h"

#include "base/datetime.h"
#include "store_sqlite_int.h"

static const char sql_conflict_add[] =
    "INSERT INTO conflicts (workspace_id, run_id, contact_id, sf_object, "
    "sf_id, field, local_value, remote_value, winner, policy, created_ms) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
static const char sql_conflict_list[] =
    "SELECT id, workspace_id, run_id, contact_id, sf_object, sf_id, field, "
    "local_value, remote_value, winner, policy, created_ms FROM conflicts "
    "WHERE workspace_id = ?1 AND (?2 = 0 OR run_id = ?2) "
    "ORDER BY id DESC LIMIT ?3";

static const char sql_intent_put[] =
    "INSERT INTO create_intents (contact_id, workspace_id, sf_object, "
    "user_id, created_ms) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT (contact_id) DO UPDATE SET sf_object = excluded.sf_object, "
    "user_id = excluded.user_id, created_ms = excluded.created_ms";
#define INTENT_COLUMNS                                                       \
    "SELECT contact_id, workspace_id, sf_object, user_id, created_ms "      \
    "FROM create_intents "
static const char sql_intent_get[] =
    INTENT_COLUMNS "WHERE workspace_id = ? AND contact_id = ?";
static const char sql_intent_list[] =
    INTENT_COLUMNS "WHERE workspace_id = ? AND sf_object = ? "
    "ORDER BY created_ms, contact_id";
static const char sql_intent_delete[] =
    "DELETE FROM create_intents WHERE workspace_id = ? AND contact_id = ?";
static const char sql_contact_exists[] =
    "SELECT 1 FROM contacts WHERE id = ? AND workspace_id = ?";

int store_sqlite__conflict_add(struct store *base,
                               const struct store_conflict *c,
                               struct err *err)
{
    struct store_sqlite *s = store_sqlite__from(base);
    const char *op = "add conflict";
    sqlite3_stmt *st = store_sqlite__stmt(s, sql_conflict_add, op, err);
    int rc;

    if (!st)
        return SYNC_EDB;
    store_sqlite__bind_int64(st, 1, c->workspace_id);
    if (c->run_id > 0)
        store_sqlite__bind_int64(st, 2, c->run_id);
    store_sqlite__bind_int64(st, 3, c->contact_id);
    store_sqlite__bind_text(st, 4, store_sqlite__object_column(c->object));
    store_sqlite__bind_text(st, 5, c->sf_id[0] ? c->sf_id : NULL);
    store_sqlite__bind_text(st, 6, c->field);
    store_sqlite__bind_text(st, 7, c->local_value);
    store_sqlite__bind_text(st, 8, c->remote_value);
    store_sqlite__bind_text(st, 9, c->winner);
    store_sqlite__bind_text(st, 10, c->policy);
    store_sqlite__bind_int64(st, 11, datetime_now_ms());
    rc = store_sqlite__step(s, st, op, err);
    store_sqlite__done(st);
    return rc < 0 ? rc : 0;
}

static void read_conflict(sqlite3_stmt *st, struct store_conflict *out)
{
    const char *id = (const char *)sqlite3_column_text(st, 5);

    out->id = sqlite3_column_int64(st, 0);
    out->workspace_id = sqlite3_column_int64(st, 1);
    out->run_id = sqlite3_column_int64(st, 2);
    out->contact_id = sqlite3_column_int64(st, 3);
    out->object = store_sqlite__object_from_column(st, 4);
    snprintf(out->sf_id, sizeof(out->sf_id), "%s", id ? id : "");
    out->field = store_sqlite__column_text(st, 6);
    out->local_value = store_sqlite__column_text(st, 7);
    out->remote_value = store_sqlite__column_text(st, 8);
    out->winner = store_sqlite__column_text(st, 9);
    out->policy = store_sqlite__column_text(st, 10);
    out->created_ms = sqlite3_column_int64(st, 11);
}

int store_sqlite__conflict_list(struct store *base, int64_t ws,
                                int64_t run_id,
                                size_t limit, struct store_conflict **out,
                                size_t *out_count, struct err *err)
{
    struct store_sqlite *s = store_sqlite__from(base);
    const char *op = "list conflicts";
    sqlite3_stmt *st = store_sqlite__stmt(s, sql_conflict_list, op, err);
    struct store_conflict *items = NULL;
    size_t count = 0, cap = 0;
    int rc;

    if (!st)
        return SYNC_EDB;
    store_sqlite__bind_int64(st, 1, ws);
    store_sqlite__bind_int64(st, 2, run_id);
    store_sqlite__bind_int64(st, 3, store_sqlite__list_limit(limit));
    while ((rc = store_sqlite__step(s, st, op, err)) == 1) {
        items = xgrow(items, &cap, count + 1, sizeof(*items));
        memset(&items[count], 0, sizeof(items[count]));
        read_conflict(st, &items[count++]);
    }
    store_sqlite__done(st);
    if (rc < 0) {
        store_conflicts_free(items, count);
        return rc;
    }
    *out = items;
    *out_count = count;
    return 0;
}

static int check_contact(struct store_sqlite *s, int64_t ws, int64_t id,
                         struct err *err)
{
    const char *op = "check contact";
    sqlite3_stmt *st = store_sqlite__stmt(s, sql_contact_exists, op, err);
    int rc;

    if (!st)
        return SYNC_EDB;
    store_sqlite__bind_int64(st, 1, id);
    store_sqlite__bind_int64(st, 2, ws);
    rc = store_sqlite__step(s, st, op, err);
    store_sqlite__done(st);
    if (rc == 0)
        return err_set(err, SYNC_ENOTFOUND, "contact %lld not found",
                       (long long)id);
    return rc < 0 ? rc : 0;
}

int store_sqlite__intent_put(struct store *base, struct store_intent *intent,
                             struct err *err)
{
    struct store_sqlite *s = store_sqlite__from(base);
    const char *op = "record create intent";
    sqlite3_stmt *st;
    int64_t now = datetime_now_ms();
    int rc;

    if ((rc = check_contact(s, intent->workspace_id, intent->contact_id,
                            err)) < 0)
        return rc;
    if (!(st = store_sqlite__stmt(s, sql_intent_put, op, err)))
        return SYNC_EDB;
    store_sqlite__bind_int64(st, 1, intent->contact_id);
    store_sqlite__bind_int64(st, 2, intent->workspace_id);
    store_sqlite__bind_text(st, 3, mapping_object_name(intent->object));
    store_sqlite__bind_text(st, 4, intent->user_id);
    store_sqlite__bind_int64(st, 5, now);
    rc = store_sqlite__step(s, st, op, err);
    store_sqlite__done(st);
    if (rc < 0)
        return rc;
    intent->created_ms = now;
    return 0;
}

static void read_intent(sqlite3_stmt *st, struct store_intent *out)
{
    const char *user = (const char *)sqlite3_column_text(st, 3);

    out->contact_id = sqlite3_column_int64(st, 0);
    out->workspace_id = sqlite3_column_int64(st, 1);
    /* The CHECK constraint admits only names that parse. */
    out->object = (enum sf_object)store_sqlite__object_from_column(st, 2);
    snprintf(out->user_id, sizeof(out->user_id), "%s", user ? user : "");
    out->created_ms = sqlite3_column_int64(st, 4);
}

int store_sqlite__intent_get(struct store *base, int64_t ws,
                             int64_t contact_id,
                             struct store_intent *out, struct err *err)
{
    struct store_sqlite *s = store_sqlite__from(base);
    const char *op = "get create intent";
    sqlite3_stmt *st = store_sqlite__stmt(s, sql_intent_get, op, err);
    int rc;

    if (!st)
        return SYNC_EDB;
    store_sqlite__bind_int64(st, 1, ws);
    store_sqlite__bind_int64(st, 2, contact_id);
    rc = store_sqlite__step(s, st, op, err);
    if (rc == 1)
        read_intent(st, out);
    store_sqlite__done(st);
    if (rc == 0)
        return err_set(err, SYNC_ENOTFOUND,
                       "contact %lld has no create intent",
                       (long long)contact_id);
    return rc < 0 ? rc : 0;
}

int store_sqlite__intent_delete(struct store *base, int64_t ws,
                                int64_t contact_id, struct err *err)
{
    struct store_sqlite *s = store_sqlite__from(base);
    const char *op = "delete create intent";
    sqlite3_stmt *st = store_sqlite__stmt(s, sql_intent_delete, op, err);
    int rc;

    if (!st)
        return SYNC_EDB;
    store_sqlite__bind_int64(st, 1, ws);
    store_sqlite__bind_int64(st, 2, contact_id);
    rc = store_sqlite__step(s, st, op, err);
    store_sqlite__done(st);
    return rc < 0 ? rc : 0;
}

int store_sqlite__intent_list(struct store *base, int64_t ws,
                              enum sf_object object,
                              struct store_intent **out, size_t *out_count,
                              struct err *err)
{
    struct store_sqlite *s = store_sqlite__from(base);
    const char *op = "list create intents";
    sqlite3_stmt *st = store_sqlite__stmt(s, sql_intent_list, op, err);
    struct store_intent *items = NULL;
    size_t count = 0, cap = 0;
    int rc;

    if (!st)
        return SYNC_EDB;
    store_sqlite__bind_int64(st, 1, ws);
    store_sqlite__bind_text(st, 2, mapping_object_name(object));
    while ((rc = store_sqlite__step(s, st, op, err)) == 1) {
        items = xgrow(items, &cap, count + 1, sizeof(*items));
        read_intent(st, &items[count++]);
    }
    store_sqlite__done(st);
    if (rc < 0) {
        free(items);
        return rc;
    }
    *out = items;
    *out_count = count;
    return 0;
}
