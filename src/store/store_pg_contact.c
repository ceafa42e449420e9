/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * Contacts, links and outbox writes in the PostgreSQL backend. The contact
 * statements are built from the field table at open, so their columns
 * follow contact_fields[] and the parameter loops match the SQL.
 */
#include "base/common.h"

#include "base/buf.h"
#include "base/datetime.h"
#include "store_pg_int.h"

/* The SQLSTATE of a unique_violation. */
#define SQLSTATE_UNIQUE "23505"

/* Columns before the fields in every contact SELECT. */
#define META_COLUMNS                                                         \
    "id, workspace_id, version, created_ms, updated_ms, archived"
#define META_COUNT 6

/*
 * The conditions of a contact list: $1 workspace, $2 include archived, $3
 * LIKE pattern or NULL, $4 phone digits or NULL. ILIKE replaces SQLite's
 * LIKE, and compares letters beyond ASCII without regard to case too when
 * the database's LC_CTYPE is a UTF-8 locale (scripts/pg.sh makes it
 * C.UTF-8), so the search needs no folded pattern here.
 * NOTE: under LC_CTYPE "C", ILIKE ignores the case of ASCII letters only.
 */
#define LIST_WHERE                                                           \
    " WHERE workspace_id = $1 AND ($2::boolean OR NOT archived) AND "        \
    "($3::text IS NULL OR first_name ILIKE $3 ESCAPE '\\' OR "               \
    "last_name ILIKE $3 ESCAPE '\\' OR "                                     \
    "(coalesce(first_name, '') || ' ' || coalesce(last_name, '')) "          \
    "ILIKE $3 ESCAPE '\\' OR company ILIKE $3 ESCAPE '\\' OR "               \
    "email ILIKE $3 ESCAPE '\\' OR "                                         \
    "($4::text IS NOT NULL AND strpos(search_digits, $4) > 0))"

/* Every outbox insert also sends NOTIFY sfsync_outbox with the workspace
 * id, which the server delivers when the transaction commits. */
static const char sql_outbox_requeue[] =
    "WITH e AS (INSERT INTO outbox (workspace_id, contact_id, version, "
    "operation, created_ms) SELECT workspace_id, id, version, 'update', $1 "
    "FROM contacts WHERE id = $2 AND workspace_id = $3 "
    "RETURNING workspace_id) "
    "SELECT pg_notify('sfsync_outbox', workspace_id::text) FROM e";
static const char sql_outbox_add[] =
    "WITH e AS (INSERT INTO outbox (workspace_id, contact_id, version, "
    "operation, created_ms) VALUES ($1, $2, $3, $4, $5) "
    "RETURNING workspace_id) "
    "SELECT pg_notify('sfsync_outbox', workspace_id::text) FROM e";
static const char sql_unlinked_by_phone[] =
    "SELECT id FROM contacts c WHERE workspace_id = $1 AND NOT archived AND "
    "phone_e164 = $2 AND NOT EXISTS "
    "(SELECT 1 FROM links l WHERE l.contact_id = c.id) "
    "UNION SELECT id FROM contacts c WHERE workspace_id = $1 AND "
    "NOT archived AND mobile_phone_e164 = $2 AND NOT EXISTS "
    "(SELECT 1 FROM links l WHERE l.contact_id = c.id) ORDER BY id LIMIT $3";
static const char sql_unlinked_by_email[] =
    "SELECT id FROM contacts c WHERE workspace_id = $1 AND NOT archived AND "
    "lower(email) = lower($2) AND NOT EXISTS "
    "(SELECT 1 FROM links l WHERE l.contact_id = c.id) ORDER BY id LIMIT $3";
/* The same contacts as the two queries above, by id range. */
static const char sql_unlinked_after[] =
    "SELECT EXISTS (SELECT 1 FROM contacts c WHERE workspace_id = $1 AND "
    "id > $2 AND NOT archived AND NOT EXISTS "
    "(SELECT 1 FROM links l WHERE l.contact_id = c.id)), "
    "(SELECT coalesce(max(id), 0) FROM contacts WHERE workspace_id = $1)";
static const char sql_contact_exists[] =
    "SELECT 1 FROM contacts WHERE id = $1 AND workspace_id = $2";
#define LINK_COLUMNS                                                         \
    "SELECT contact_id, workspace_id, sf_object, sf_id, base_json, "        \
    "system_modstamp_ms, last_modified_ms, updated_ms FROM links "
static const char sql_link_by_contact[] =
    LINK_COLUMNS "WHERE workspace_id = $1 AND contact_id = $2";
static const char sql_link_by_sf_id[] =
    LINK_COLUMNS "WHERE workspace_id = $1 AND sf_id = $2";
static const char sql_link_upsert[] =
    "INSERT INTO links (contact_id, workspace_id, sf_object, sf_id, "
    "base_json, system_modstamp_ms, last_modified_ms, updated_ms) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (contact_id) DO "
    "UPDATE SET sf_object = excluded.sf_object, sf_id = excluded.sf_id, "
    "backlink = CASE WHEN links.sf_id = excluded.sf_id "
    "THEN links.backlink END, "
    "base_json = excluded.base_json, "
    "system_modstamp_ms = excluded.system_modstamp_ms, "
    "last_modified_ms = excluded.last_modified_ms, "
    "updated_ms = excluded.updated_ms";
static const char sql_link_delete[] =
    "DELETE FROM links WHERE workspace_id = $1 AND contact_id = $2";

/* Append each field's columns, phones with their E.164 and validity
 * columns. With *param set, each column becomes "name = $n", numbered from
 * *param on. */
static void append_field_columns(struct buf *b, int *param)
{
    for (int f = 0; f < CONTACT_FIELD_COUNT; f++) {
        const struct contact_field_info *info = &contact_fields[f];
        const char *names[3] = {info->name, info->e164_name, info->valid_name};
        int n = info->type == CONTACT_TYPE_PHONE ? 3 : 1;

        for (int i = 0; i < n; i++) {
            buf_printf(b, ", %s", names[i]);
            if (param)
                buf_printf(b, " = $%d", (*param)++);
        }
    }
}

/* The number of columns append_field_columns writes. */
static int field_column_count(void)
{
    int count = 0;

    for (int f = 0; f < CONTACT_FIELD_COUNT; f++)
        count += contact_fields[f].type == CONTACT_TYPE_PHONE ? 3 : 1;
    return count;
}

static char *select_sql(const char *tail)
{
    struct buf b;

    buf_init(&b, 0);
    buf_puts(&b, "SELECT " META_COLUMNS);
    append_field_columns(&b, NULL);
    buf_printf(&b, " FROM contacts%s", tail);
    return buf_detach(&b);
}

void store_pg__contact_sql_init(struct store_pg *s)
{
    struct buf b;
    int param;

    buf_init(&b, 0);
    buf_puts(&b, "INSERT INTO contacts (workspace_id, version, created_ms, "
                 "updated_ms, archived, search_digits");
    append_field_columns(&b, NULL);
    buf_puts(&b, ") VALUES ($1, $2, $3, $4, $5, $6");
    for (int i = 0; i < field_column_count(); i++)
        buf_printf(&b, ", $%d", 7 + i);
    buf_puts(&b, ") RETURNING id");
    s->sql_contact_insert = buf_detach(&b);
    /* One statement, so a local insert is one round trip and atomic on
     * its own. The outbox CTE runs although the query does not read it. */
    buf_printf(&b, "WITH c AS (%s, workspace_id), e AS (INSERT INTO outbox "
                   "(workspace_id, contact_id, version, operation, "
                   "created_ms) SELECT workspace_id, id, 1, 'create', $3 "
                   "FROM c) SELECT id, pg_notify('sfsync_outbox', "
                   "workspace_id::text) FROM c",
               s->sql_contact_insert);
    s->sql_contact_insert_local = buf_detach(&b);

    buf_puts(&b, "UPDATE contacts SET version = $1, updated_ms = $2, "
                 "archived = $3, search_digits = $4");
    param = 5;
    append_field_columns(&b, &param);
    buf_printf(&b, " WHERE id = $%d AND workspace_id = $%d AND version = $%d",
               param, param + 1, param + 2);
    s->sql_contact_update = buf_detach(&b);
    buf_release(&b);

    s->sql_contact_get = select_sql(" WHERE id = $1 AND workspace_id = $2");
    /* The row lock makes concurrent updates of one contact wait for each
     * other, so the version check below sees the latest version. */
    s->sql_contact_get_for_update =
        select_sql(" WHERE id = $1 AND workspace_id = $2 FOR UPDATE");
    s->sql_contact_list = select_sql(LIST_WHERE
                                     " ORDER BY id LIMIT $5 OFFSET $6");
    s->sql_contact_count = xstrdup("SELECT count(*) FROM contacts"
                                   LIST_WHERE);
}

void store_pg__contact_sql_release(struct store_pg *s)
{
    free(s->sql_contact_insert);
    free(s->sql_contact_insert_local);
    free(s->sql_contact_update);
    free(s->sql_contact_get);
    free(s->sql_contact_get_for_update);
    free(s->sql_contact_list);
    free(s->sql_contact_count);
}

static void param_fields(struct store_pg_params *p, const struct contact *c)
{
    for (int f = 0; f < CONTACT_FIELD_COUNT; f++) {
        const struct contact_value *v = &c->values[f];

        switch (contact_fields[f].type) {
        case CONTACT_TYPE_BOOL:
            store_pg__param_bool(p, v->flag);
            break;
        case CONTACT_TYPE_PHONE:
            store_pg__param_text(p, v->text);
            store_pg__param_text(p, v->e164);
            store_pg__param_bool(p, v->valid);
            break;
        default:
            store_pg__param_text(p, v->text);
            break;
        }
    }
}

static void read_contact(PGresult *res, int row, struct contact *out)
{
    int col = META_COUNT;

    contact_release(out);
    out->id = store_pg__int64(res, row, 0);
    out->workspace_id = store_pg__int64(res, row, 1);
    out->version = store_pg__int64(res, row, 2);
    out->created_ms = store_pg__int64(res, row, 3);
    out->updated_ms = store_pg__int64(res, row, 4);
    out->archived = store_pg__bool(res, row, 5);
    for (int f = 0; f < CONTACT_FIELD_COUNT; f++) {
        struct contact_value *v = &out->values[f];

        if (contact_fields[f].type == CONTACT_TYPE_BOOL) {
            v->flag = store_pg__bool(res, row, col++);
            continue;
        }
        v->text = store_pg__text(res, row, col++);
        if (contact_fields[f].type == CONTACT_TYPE_PHONE) {
            v->e164 = store_pg__text(res, row, col++);
            v->valid = store_pg__bool(res, row, col++);
        }
    }
}

static int add_outbox(struct store_pg *s, const struct contact *c,
                      enum store_outbox_op operation, struct err *err)
{
    struct store_pg_params p;

    store_pg__params_init(&p);
    store_pg__param_int64(&p, c->workspace_id);
    store_pg__param_int64(&p, c->id);
    store_pg__param_int64(&p, c->version);
    store_pg__param_text(&p, store_outbox_op_name(operation));
    store_pg__param_int64(&p, datetime_now_ms());
    return store_pg__run_command(s, sql_outbox_add, &p, "queue outbox entry",
                                 err);
}

/* Insert c, and its outbox create when local is set. */
static int insert_row(struct store_pg *s, struct contact *c,
                      const char *digits, bool local, struct err *err)
{
    struct store_pg_params p;
    int64_t now = datetime_now_ms();
    PGresult *res;

    store_pg__params_init(&p);
    store_pg__param_int64(&p, c->workspace_id);
    store_pg__param_int64(&p, 1);
    store_pg__param_int64(&p, now);
    store_pg__param_int64(&p, now);
    store_pg__param_bool(&p, c->archived);
    store_pg__param_text(&p, digits);
    param_fields(&p, c);
    res = store_pg__run(s, local ? s->sql_contact_insert_local
                                 : s->sql_contact_insert,
                        &p, false, "insert contact", err);
    if (!res)
        return SYNC_EDB;
    c->id = store_pg__int64(res, 0, 0);
    PQclear(res);
    c->version = 1;
    c->created_ms = now;
    c->updated_ms = now;
    return 0;
}

int store_pg__contact_insert(struct store *base, struct contact *c,
                             const char *digits, enum store_origin origin,
                             struct err *err)
{
    int rc = insert_row(store_pg__from(base), c, digits,
                        origin == STORE_ORIGIN_LOCAL, err);

    if (rc < 0)
        c->id = 0;
    return rc;
}

static int get_row(struct store_pg *s, const char *sql, int64_t ws,
                   int64_t id, struct contact *out, struct err *err)
{
    struct store_pg_params p;
    PGresult *res;
    bool found;

    store_pg__params_init(&p);
    store_pg__param_int64(&p, id);
    store_pg__param_int64(&p, ws);
    if (!(res = store_pg__run(s, sql, &p, false, "get contact", err)))
        return SYNC_EDB;
    found = PQntuples(res) > 0;
    if (found)
        read_contact(res, 0, out);
    PQclear(res);
    if (!found)
        return err_set(err, SYNC_ENOTFOUND, "contact %lld not found",
                       (long long)id);
    return 0;
}

int store_pg__contact_get(struct store *base, int64_t ws, int64_t id,
                          struct contact *out, struct err *err)
{
    struct store_pg *s = store_pg__from(base);

    return get_row(s, s->sql_contact_get, ws, id, out, err);
}

static bool derived_differ(const struct contact *a, const struct contact *b)
{
    for (int f = 0; f < CONTACT_FIELD_COUNT; f++) {
        const struct contact_value *va = &a->values[f], *vb = &b->values[f];

        if (va->valid != vb->valid)
            return true;
        if ((va->e164 == NULL) != (vb->e164 == NULL))
            return true;
        if (va->e164 && strcmp(va->e164, vb->e164) != 0)
            return true;
    }
    return false;
}

static int update_row(struct store_pg *s, struct contact *c,
                      const char *digits, int64_t now, struct err *err)
{
    struct store_pg_params p;
    PGresult *res;
    int64_t changed;

    store_pg__params_init(&p);
    store_pg__param_int64(&p, c->version + 1);
    store_pg__param_int64(&p, now);
    store_pg__param_bool(&p, c->archived);
    store_pg__param_text(&p, digits);
    param_fields(&p, c);
    store_pg__param_int64(&p, c->id);
    store_pg__param_int64(&p, c->workspace_id);
    store_pg__param_int64(&p, c->version);
    if (!(res = store_pg__run(s, s->sql_contact_update, &p, false,
                              "update contact", err)))
        return SYNC_EDB;
    changed = store_pg__changes(res);
    PQclear(res);
    /* The row is locked and its version was checked in this transaction,
     * so it must match. */
    if (changed != 1)
        BUG("contact %lld vanished inside its update", (long long)c->id);
    return 0;
}

/* Compare c with stored, write it when it differs, and queue the change. */
static int apply_update(struct store_pg *s, struct contact *c,
                        const struct contact *stored, const char *digits,
                        enum store_origin origin, struct err *err)
{
    bool changed = contact_diff(stored, c) != 0 ||
                   stored->archived != c->archived;
    int64_t now = datetime_now_ms();
    int rc;

    if (stored->version != c->version)
        return err_set(err, SYNC_ECONFLICT,
                       "contact %lld changed since version %lld was read (it "
                       "is at %lld); read it again and reapply the change",
                       (long long)c->id, (long long)c->version,
                       (long long)stored->version);
    c->created_ms = stored->created_ms;
    /* A region change can alter only the E.164 forms: store them, but that
     * is no change to push. */
    if (!changed && !derived_differ(stored, c)) {
        c->updated_ms = stored->updated_ms;
        return 0;
    }
    if ((rc = update_row(s, c, digits, now, err)) < 0)
        return rc;
    c->version++;
    c->updated_ms = now;
    if (!changed || origin != STORE_ORIGIN_LOCAL)
        return 0;
    return add_outbox(s, c,
                      c->archived && !stored->archived ? STORE_OUTBOX_ARCHIVE
                                                       : STORE_OUTBOX_UPDATE,
                      err);
}

int store_pg__contact_update(struct store *base, struct contact *c,
                             const char *digits, enum store_origin origin,
                             struct err *err)
{
    struct store_pg *s = store_pg__from(base);
    struct contact stored;
    int64_t version = c->version;
    bool owned;
    int rc;

    contact_init(&stored);
    /* A missing contact or a version conflict is found before any write,
     * and only a database error can follow the first write. */
    if ((rc = store_pg__tx_enter(s, &owned, false, err)) < 0)
        return rc;
    rc = get_row(s, s->sql_contact_get_for_update, c->workspace_id, c->id,
                 &stored, err);
    if (rc == 0)
        rc = apply_update(s, c, &stored, digits, origin, err);
    rc = store_pg__tx_leave(s, owned, false, rc, err);
    if (rc < 0)
        c->version = version;
    contact_release(&stored);
    return rc;
}

static void param_search(struct store_pg_params *p, int64_t ws,
                         const struct store__search *search)
{
    store_pg__params_init(p);
    store_pg__param_int64(p, ws);
    store_pg__param_bool(p, search->include_archived);
    store_pg__param_text(p, search->like);
    store_pg__param_text(p, search->digits);
}

int store_pg__contact_list(struct store *base, int64_t ws,
                           const struct store__search *search,
                           struct store_contact_list *out, struct err *err)
{
    struct store_pg *s = store_pg__from(base);
    struct store_pg_params p;
    PGresult *res;
    int rows;

    param_search(&p, ws, search);
    if (!(res = store_pg__run(s, s->sql_contact_count, &p, false,
                              "count contacts", err)))
        return SYNC_EDB;
    out->total = store_pg__int64(res, 0, 0);
    PQclear(res);
    store_pg__param_int64(&p, (int64_t)search->limit);
    store_pg__param_int64(&p, (int64_t)search->offset);
    if (!(res = store_pg__run(s, s->sql_contact_list, &p, false,
                              "list contacts", err)))
        return SYNC_EDB;
    rows = PQntuples(res);
    out->items = rows ? xcalloc((size_t)rows, sizeof(*out->items)) : NULL;
    for (int i = 0; i < rows; i++) {
        contact_init(&out->items[i]);
        read_contact(res, i, &out->items[i]);
    }
    out->count = (size_t)rows;
    PQclear(res);
    return 0;
}

int store_pg__contact_find_unlinked(struct store *base, int64_t ws,
                                    enum store_match match, const char *value,
                                    int64_t *ids, size_t max,
                                    size_t *out_count, struct err *err)
{
    struct store_pg *s = store_pg__from(base);
    struct store_pg_params p;
    PGresult *res;
    int rows;

    store_pg__params_init(&p);
    store_pg__param_int64(&p, ws);
    store_pg__param_text(&p, value);
    store_pg__param_int64(&p, (int64_t)max);
    res = store_pg__run(s, match == STORE_MATCH_PHONE ? sql_unlinked_by_phone
                                                      : sql_unlinked_by_email,
                        &p, false, "find unlinked contacts", err);
    if (!res)
        return SYNC_EDB;
    rows = PQntuples(res);
    for (int i = 0; i < rows && (size_t)i < max; i++)
        ids[i] = store_pg__int64(res, i, 0);
    PQclear(res);
    *out_count = (size_t)rows < max ? (size_t)rows : max;
    return 0;
}

int store_pg__contact_unlinked_after(struct store *base, int64_t ws,
                                     int64_t after_id, bool *out_any,
                                     int64_t *out_max_id, struct err *err)
{
    struct store_pg_params p;
    PGresult *res;

    store_pg__params_init(&p);
    store_pg__param_int64(&p, ws);
    store_pg__param_int64(&p, after_id);
    if (!(res = store_pg__run(store_pg__from(base), sql_unlinked_after, &p,
                              false, "look for unlinked contacts", err)))
        return SYNC_EDB;
    if (PQntuples(res) == 1) {
        *out_any = store_pg__bool(res, 0, 0);
        *out_max_id = store_pg__int64(res, 0, 1);
    }
    PQclear(res);
    return 0;
}

static int read_link(struct store_pg *s, PGresult *res,
                     struct store_link *out, struct err *err)
{
    json_error_t parse_error;

    out->contact_id = store_pg__int64(res, 0, 0);
    out->workspace_id = store_pg__int64(res, 0, 1);
    out->object = (enum sf_object)store_pg__object(res, 0, 2);
    snprintf(out->sf_id, sizeof(out->sf_id), "%s", PQgetvalue(res, 0, 3));
    out->system_modstamp_ms = store_pg__int64(res, 0, 5);
    out->last_modified_ms = store_pg__int64(res, 0, 6);
    out->updated_ms = store_pg__int64(res, 0, 7);
    out->base = json_loads(PQgetvalue(res, 0, 4), 0, &parse_error);
    if (!out->base || !json_is_object(out->base)) {
        json_decref(out->base);
        out->base = NULL;
        return err_set(err, SYNC_EDB,
                       "link of contact %lld has a malformed base in '%s'",
                       (long long)out->contact_id, s->display);
    }
    return 0;
}

static int find_link(struct store_pg *s, const char *sql, int64_t ws,
                     int64_t contact_id, const char *sf_id,
                     struct store_link *out, struct err *err)
{
    struct store_pg_params p;
    PGresult *res;
    int rc;

    store_pg__params_init(&p);
    store_pg__param_int64(&p, ws);
    if (sf_id)
        store_pg__param_text(&p, sf_id);
    else
        store_pg__param_int64(&p, contact_id);
    if (!(res = store_pg__run(s, sql, &p, false, "get link", err)))
        return SYNC_EDB;
    if (PQntuples(res) > 0)
        rc = read_link(s, res, out, err);
    else if (sf_id)
        rc = err_set(err, SYNC_ENOTFOUND,
                     "no contact is linked to Salesforce record '%s'", sf_id);
    else
        rc = err_set(err, SYNC_ENOTFOUND, "contact %lld has no link",
                     (long long)contact_id);
    PQclear(res);
    return rc;
}

int store_pg__link_get(struct store *base, int64_t ws, int64_t contact_id,
                       struct store_link *out, struct err *err)
{
    return find_link(store_pg__from(base), sql_link_by_contact, ws,
                     contact_id, NULL, out, err);
}

int store_pg__link_find(struct store *base, int64_t ws, const char *sf_id,
                        struct store_link *out, struct err *err)
{
    return find_link(store_pg__from(base), sql_link_by_sf_id, ws, 0, sf_id,
                     out, err);
}

static int check_contact_exists(struct store_pg *s, int64_t ws, int64_t id,
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

static int record_taken(const struct store_link *link, int64_t other,
                        struct err *err)
{
    return err_set(err, SYNC_ECONFLICT,
                   "Salesforce record '%s' is already linked to contact %lld",
                   link->sf_id, (long long)other);
}

/* Reject a record already linked to another contact of the workspace. */
static int check_record_free(struct store_pg *s, const struct store_link *link,
                             struct err *err)
{
    struct store_link other;
    int rc;

    store_link_init(&other);
    rc = find_link(s, sql_link_by_sf_id, link->workspace_id, 0, link->sf_id,
                   &other, err);
    if (rc == SYNC_ENOTFOUND) {
        err_clear(err);
        rc = 0;
    } else if (rc == 0 && other.contact_id != link->contact_id) {
        rc = record_taken(link, other.contact_id, err);
    }
    store_link_release(&other);
    return rc;
}

static int write_link(struct store_pg *s, const struct store_link *link,
                      const char *base_json, struct err *err)
{
    struct store_pg_params p;
    int rc;

    store_pg__params_init(&p);
    store_pg__param_int64(&p, link->contact_id);
    store_pg__param_int64(&p, link->workspace_id);
    store_pg__param_text(&p, mapping_object_name(link->object));
    store_pg__param_text(&p, link->sf_id);
    store_pg__param_text(&p, base_json);
    store_pg__param_int64(&p, link->system_modstamp_ms);
    store_pg__param_int64(&p, link->last_modified_ms);
    store_pg__param_int64(&p, datetime_now_ms());
    rc = store_pg__run_command(s, sql_link_upsert, &p, "write link", err);
    /* Another process linked the record between the check and the write:
     * the unique key settles it as the check would have. */
    if (rc < 0 && strcmp(s->sqlstate, SQLSTATE_UNIQUE) == 0)
        return err_set(err, SYNC_ECONFLICT,
                       "Salesforce record '%s' is already linked to another "
                       "contact",
                       link->sf_id);
    return rc;
}

int store_pg__link_upsert(struct store *base, const struct store_link *link,
                          const char *base_json, struct err *err)
{
    struct store_pg *s = store_pg__from(base);
    bool owned;
    int rc;

    /* The savepoint keeps the caller's transaction usable when the unique
     * key rejects the write, which is SYNC_ECONFLICT, not a database
     * error. */
    if ((rc = store_pg__tx_enter(s, &owned, true, err)) < 0)
        return rc;
    rc = check_contact_exists(s, link->workspace_id, link->contact_id, err);
    if (rc == 0)
        rc = check_record_free(s, link, err);
    if (rc == 0)
        rc = write_link(s, link, base_json, err);
    return store_pg__tx_leave(s, owned, true, rc, err);
}

int store_pg__link_delete(struct store *base, int64_t ws, int64_t contact_id,
                          struct err *err)
{
    struct store_pg_params p;

    store_pg__params_init(&p);
    store_pg__param_int64(&p, ws);
    store_pg__param_int64(&p, contact_id);
    return store_pg__run_command(store_pg__from(base), sql_link_delete, &p,
                                 "delete link", err);
}

int store_pg__outbox_requeue(struct store *base, int64_t ws,
                             int64_t contact_id, struct err *err)
{
    struct store_pg_params p;
    PGresult *res;
    int rows;

    store_pg__params_init(&p);
    store_pg__param_int64(&p, datetime_now_ms());
    store_pg__param_int64(&p, contact_id);
    store_pg__param_int64(&p, ws);
    if (!(res = store_pg__run(store_pg__from(base), sql_outbox_requeue, &p,
                              false, "queue outbox entry", err)))
        return SYNC_EDB;
    rows = PQntuples(res);
    PQclear(res);
    if (rows == 0)
        return err_set(err, SYNC_ENOTFOUND, "contact %lld not found",
                       (long long)contact_id);
    return 0;
}
