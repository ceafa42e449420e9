/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * The tables of the two-way sync in the PostgreSQL backend: the conflict
 * log and the create intents. store.c has already checked the arguments
 * and canonicalised the Salesforce ids.
 */
#include "base/common.h"

#include "base/datetime.h"
#include "store_pg_int.h"

static const char sql_conflict_add[] =
    "INSERT INTO conflicts (workspace_id, run_id, contact_id, sf_object, "
    "sf_id, field, local_value, remote_value, winner, policy, created_ms) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
static const char sql_conflict_list[] =
    "SELECT id, workspace_id, run_id, contact_id, sf_object, sf_id, field, "
    "local_value, remote_value, winner, policy, created_ms FROM conflicts "
    "WHERE workspace_id = $1 AND ($2::bigint = 0 OR run_id = $2) "
    "ORDER BY id DESC LIMIT $3";

static const char sql_intent_put[] =
    "INSERT INTO create_intents (contact_id, workspace_id, sf_object, "
    "user_id, created_ms) VALUES ($1, $2, $3, $4, $5) "
    "ON CONFLICT (contact_id) DO UPDATE SET sf_object = excluded.sf_object, "
    "user_id = excluded.user_id, created_ms = excluded.created_ms";
#define INTENT_COLUMNS                                                       \
    "SELECT contact_id, workspace_id, sf_object, user_id, created_ms "      \
    "FROM create_intents "
static const char sql_intent_get[] =
    INTENT_COLUMNS "WHERE workspace_id = $1 AND contact_id = $2";
static const char sql_intent_list[] =
    INTENT_COLUMNS "WHERE workspace_id = $1 AND sf_object = $2 "
    "ORDER BY created_ms, contact_id";
static const char sql_intent_delete[] =
    "DELETE FROM create_intents WHERE workspace_id = $1 AND contact_id = $2";
static const char sql_contact_exists[] =
    "SELECT 1 FROM contacts WHERE id = $1 AND workspace_id = $2";

int store_pg__conflict_add(struct store *base, const struct store_conflict *c,
                           struct err *err)
{
    struct store_pg_params p;

    store_pg__params_init(&p);
    store_pg__param_int64(&p, c->workspace_id);
    if (c->run_id > 0)
        store_pg__param_int64(&p, c->run_id);
    else
        store_pg__param_text(&p, NULL);
    store_pg__param_int64(&p, c->contact_id);
    store_pg__param_text(&p, store_pg__object_column(c->object));
    store_pg__param_text(&p, c->sf_id[0] ? c->sf_id : NULL);
    store_pg__param_text(&p, c->field);
    store_pg__param_text(&p, c->local_value);
    store_pg__param_text(&p, c->remote_value);
    store_pg__param_text(&p, c->winner);
    store_pg__param_text(&p, c->policy);
    store_pg__param_int64(&p, datetime_now_ms());
    return store_pg__run_command(store_pg__from(base), sql_conflict_add, &p,
                                 "add conflict", err);
}

static void read_conflict(PGresult *res, int row, struct store_conflict *out)
{
    out->id = store_pg__int64(res, row, 0);
    out->workspace_id = store_pg__int64(res, row, 1);
    out->run_id = store_pg__int64(res, row, 2);
    out->contact_id = store_pg__int64(res, row, 3);
    out->object = store_pg__object(res, row, 4);
    snprintf(out->sf_id, sizeof(out->sf_id), "%s",
             PQgetisnull(res, row, 5) ? "" : PQgetvalue(res, row, 5));
    out->field = store_pg__text(res, row, 6);
    out->local_value = store_pg__text(res, row, 7);
    out->remote_value = store_pg__text(res, row, 8);
    out->winner = store_pg__text(res, row, 9);
    out->policy = store_pg__text(res, row, 10);
    out->created_ms = store_pg__int64(res, row, 11);
}

int store_pg__conflict_list(struct store *base, int64_t ws, int64_t run_id,
                            size_t limit, struct store_conflict **out,
                            size_t *out_count, struct err *err)
{
    struct store_pg_params p;
    struct store_conflict *items;
    PGresult *res;
    int rows;

    store_pg__params_init(&p);
    store_pg__param_int64(&p, ws);
    store_pg__param_int64(&p, run_id);
    store_pg__param_int64(&p, store_pg__list_limit(limit));
    if (!(res = store_pg__run(store_pg__from(base), sql_conflict_list, &p,
                              false, "list conflicts", err)))
        return SYNC_EDB;
    rows = PQntuples(res);
    items = rows ? xcalloc((size_t)rows, sizeof(*items)) : NULL;
    for (int i = 0; i < rows; i++)
        read_conflict(res, i, &items[i]);
    PQclear(res);
    *out = items;
    *out_count = (size_t)rows;
    return 0;
}

static int check_contact(struct store_pg *s, int64_t ws, int64_t id,
                         struct err *err)
{
    struct store_pg_params p;
    PGresult *res;
    bool found;

    store_pg__params_init(&p);
    store_pg__param_int64(&p, id);
    store_pg__param_int64(&p, ws);
    if (!(res = store_pg__run(s, sql_contact_exists, &p, false,
                              "check contact", err)))
        return SYNC_EDB;
    found = PQntuples(res) > 0;
    PQclear(res);
    if (!found)
        return err_set(err, SYNC_ENOTFOUND, "contact %lld not found",
                       (long long)id);
    return 0;
}

int store_pg__intent_put(struct store *base, struct store_intent *intent,
                         struct err *err)
{
    struct store_pg *s = store_pg__from(base);
    struct store_pg_params p;
    int64_t now = datetime_now_ms();
    int rc;

    if ((rc = check_contact(s, intent->workspace_id, intent->contact_id,
                            err)) < 0)
        return rc;
    store_pg__params_init(&p);
    store_pg__param_int64(&p, intent->contact_id);
    store_pg__param_int64(&p, intent->workspace_id);
    store_pg__param_text(&p, mapping_object_name(intent->object));
    store_pg__param_text(&p, intent->user_id);
    store_pg__param_int64(&p, now);
    if ((rc = store_pg__run_command(s, sql_intent_put, &p,
                                    "record create intent", err)) < 0)
        return rc;
    intent->created_ms = now;
    return 0;
}

static void read_intent(PGresult *res, int row, struct store_intent *out)
{
    out->contact_id = store_pg__int64(res, row, 0);
    out->workspace_id = store_pg__int64(res, row, 1);
    /* The CHECK constraint admits only names that parse. */
    out->object = (enum sf_object)store_pg__object(res, row, 2);
    snprintf(out->user_id, sizeof(out->user_id), "%s",
             PQgetvalue(res, row, 3));
    out->created_ms = store_pg__int64(res, row, 4);
}

int store_pg__intent_get(struct store *base, int64_t ws, int64_t contact_id,
                         struct store_intent *out, struct err *err)
{
    struct store_pg_params p;
    PGresult *res;
    bool found;

    store_pg__params_init(&p);
    store_pg__param_int64(&p, ws);
    store_pg__param_int64(&p, contact_id);
    if (!(res = store_pg__run(store_pg__from(base), sql_intent_get, &p,
                              false, "get create intent", err)))
        return SYNC_EDB;
    found = PQntuples(res) > 0;
    if (found)
        read_intent(res, 0, out);
    PQclear(res);
    if (!found)
        return err_set(err, SYNC_ENOTFOUND,
                       "contact %lld has no create intent",
                       (long long)contact_id);
    return 0;
}

int store_pg__intent_delete(struct store *base, int64_t ws,
                            int64_t contact_id, struct err *err)
{
    struct store_pg_params p;

    store_pg__params_init(&p);
    store_pg__param_int64(&p, ws);
    store_pg__param_int64(&p, contact_id);
    return store_pg__run_command(store_pg__from(base), sql_intent_delete, &p,
                                 "delete create intent", err);
}

int store_pg__intent_list(struct store *base, int64_t ws,
                          enum sf_object object, struct store_intent **out,
                          size_t *out_count, struct err *err)
{
    struct store_pg_params p;
    struct store_intent *items;
    PGresult *res;
    int rows;

    store_pg__params_init(&p);
    store_pg__param_int64(&p, ws);
    store_pg__param_text(&p, mapping_object_name(object));
    if (!(res = store_pg__run(store_pg__from(base), sql_intent_list, &p,
                              false, "list create intents", err)))
        return SYNC_EDB;
    rows = PQntuples(res);
    items = rows ? xcalloc((size_t)rows, sizeof(*items)) : NULL;
    for (int i = 0; i < rows; i++)
        read_intent(res, i, &items[i]);
    PQclear(res);
    *out = items;
    *out_count = (size_t)rows;
    return 0;
}
