/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * Contacts, links and outbox writes in the SQLite backend. The contact
 * statements are built from the field table at open, so their columns
 * follow contact_fields[] and the binding loops match the SQL.
 */
#include "base/common.h"

#include "base/buf.h"
#include "base/datetime.h"
#include "store_sqlite_int.h"

/* Columns before the fields in every contact SELECT. */
#define META_COLUMNS                                                         \
    "id, workspace_id, version, created_ms, updated_ms, archived"
#define META_COUNT 6

/* The conditions of a contact list; ?1 workspace, ?2 include archived,
 * ?3 LIKE pattern or NULL, ?4 phone digits or NULL, ?7 1 when ?3 is
 * case-folded and the fields must be folded with sfsync_fold to match it
 * (?5 and ?6 are the list's LIMIT and OFFSET). ASCII searches skip the
 * folding, which costs a call per field. */
#define LIST_WHERE                                                           \
    " WHERE workspace_id = ?1 AND (?2 OR archived = 0) AND (?3 IS NULL OR "   \
    "(?7 = 0 AND (first_name LIKE ?3 ESCAPE '\\' OR "                        \
    "last_name LIKE ?3 ESCAPE '\\' OR "                                      \
    "(coalesce(first_name, '') || ' ' || coalesce(last_name, '')) "          \
    "LIKE ?3 ESCAPE '\\' OR company LIKE ?3 ESCAPE '\\' OR "                 \
    "email LIKE ?3 ESCAPE '\\')) OR "                                         \
    "(?7 = 1 AND (sfsync_fold(first_name) LIKE ?3 ESCAPE '\\' OR "           \
    "sfsync_fold(last_name) LIKE ?3 ESCAPE '\\' OR "                         \
    "sfsync_fold(coalesce(first_name, '') || ' ' || "                        \
    "coalesce(last_name, '')) LIKE ?3 ESCAPE '\\' OR "                        \
    "sfsync_fold(company) LIKE ?3 ESCAPE '\\' OR "                           \
    "sfsync_fold(email) LIKE ?3 ESCAPE '\\')) OR "                            \
    "(?4 IS NOT NULL AND instr(search_digits, ?4) > 0))"

static const char sql_outbox_requeue[] =
    "INSERT INTO outbox (workspace_id, contact_id, version, operation, "
    "created_ms) SELECT workspace_id, id, version, 'update', ? FROM contacts "
    "WHERE id = ? AND workspace_id = ?";
static const char sql_outbox_add[] =
    "INSERT INTO outbox (workspace_id, contact_id, version, operation, "
    "created_ms) VALUES (?, ?, ?, ?, ?)";
/* Two indexed lookups joined by UNION: with "phone OR mobile" and ORDER BY
 * id, SQLite 3.40 walks every contact of the workspace in id order. */
static const char sql_unlinked_by_phone[] =
    "SELECT id FROM contacts c WHERE workspace_id = ?1 AND archived = 0 AND "
    "phone_e164 = ?2 AND NOT EXISTS "
    "(SELECT 1 FROM links l WHERE l.contact_id = c.id) "
    "UNION SELECT id FROM contacts c WHERE workspace_id = ?1 AND "
    "archived = 0 AND mobile_phone_e164 = ?2 AND NOT EXISTS "
    "(SELECT 1 FROM links l WHERE l.contact_id = c.id) ORDER BY id LIMIT ?3";
static const char sql_unlinked_by_email[] =
    "SELECT id FROM contacts c WHERE workspace_id = ?1 AND archived = 0 AND "
    "lower(email) = lower(?2) AND NOT EXISTS "
    "(SELECT 1 FROM links l WHERE l.contact_id = c.id) ORDER BY id LIMIT ?3";
/* ?4, when not NULL, leaves out the contacts with another email. */
static const char sql_by_phone[] =
    "SELECT id FROM contacts WHERE workspace_id = ?1 AND archived = 0 AND "
    "phone_e164 = ?2 AND (?4 IS NULL OR email IS NULL OR "
    "lower(email) = lower(?4)) "
    "UNION SELECT id FROM contacts WHERE workspace_id = ?1 AND "
    "archived = 0 AND mobile_phone_e164 = ?2 AND (?4 IS NULL OR email IS "
    "NULL OR lower(email) = lower(?4)) ORDER BY id LIMIT ?3";
static const char sql_by_email[] =
    "SELECT id FROM contacts WHERE workspace_id = ?1 AND archived = 0 AND "
    "lower(email) = lower(?2) ORDER BY id LIMIT ?3";
/* As sql_by_phone and sql_by_email, for archived contacts with a link. */
static const char sql_archived_by_phone[] =
    "SELECT id FROM contacts c WHERE workspace_id = ?1 AND archived = 1 AND "
    "phone_e164 = ?2 AND (?4 IS NULL OR email IS NULL OR "
    "lower(email) = lower(?4)) AND "
    "EXISTS (SELECT 1 FROM links l WHERE l.contact_id = c.id) "
    "UNION SELECT id FROM contacts c WHERE workspace_id = ?1 AND "
    "archived = 1 AND mobile_phone_e164 = ?2 AND (?4 IS NULL OR email IS "
    "NULL OR lower(email) = lower(?4)) AND "
    "EXISTS (SELECT 1 FROM links l WHERE l.contact_id = c.id) "
    "ORDER BY id LIMIT ?3";
static const char sql_archived_by_email[] =
    "SELECT id FROM contacts c WHERE workspace_id = ?1 AND archived = 1 AND "
    "lower(email) = lower(?2) AND "
    "EXISTS (SELECT 1 FROM links l WHERE l.contact_id = c.id) "
    "ORDER BY id LIMIT ?3";
/* The same contacts as the unlinked queries above, by id range. */
static const char sql_unlinked_after[] =
    "SELECT EXISTS (SELECT 1 FROM contacts c WHERE workspace_id = ?1 AND "
    "id > ?2 AND archived = 0 AND NOT EXISTS "
    "(SELECT 1 FROM links l WHERE l.contact_id = c.id)), "
    "(SELECT coalesce(max(id), 0) FROM contacts WHERE workspace_id = ?1)";
static const char sql_contact_exists[] =
    "SELECT 1 FROM contacts WHERE id = ? AND workspace_id = ?";
#define LINK_COLUMNS                                                         \
    "SELECT contact_id, workspace_id, sf_object, sf_id, base_json, "        \
    "system_modstamp_ms, last_modified_ms, updated_ms FROM links "
static const char sql_link_by_contact[] =
    LINK_COLUMNS "WHERE workspace_id = ? AND contact_id = ?";
static const char sql_link_by_sf_id[] =
    LINK_COLUMNS "WHERE workspace_id = ? AND sf_id = ?";
static const char sql_link_owner[] =
    "SELECT contact_id FROM links WHERE workspace_id = ? AND sf_id = ?";
static const char sql_link_upsert[] =
    "INSERT INTO links (contact_id, workspace_id, sf_object, sf_id, "
    "base_json, system_modstamp_ms, last_modified_ms, updated_ms) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (contact_id) DO UPDATE SET "
    "sf_object = excluded.sf_object, sf_id = excluded.sf_id, "
    "backlink = CASE WHEN links.sf_id = excluded.sf_id "
    "THEN links.backlink END, "
    "base_json = excluded.base_json, "
    "system_modstamp_ms = excluded.system_modstamp_ms, "
    "last_modified_ms = excluded.last_modified_ms, "
    "updated_ms = excluded.updated_ms";
static const char sql_link_delete[] =
    "DELETE FROM links WHERE workspace_id = ? AND contact_id = ?";

/* Append each field's columns, phones with their E.164 and validity
 * columns, each followed by suffix ("" or " = ?"). */
static void append_field_columns(struct buf *b, const char *suffix)
{
    for (int f = 0; f < CONTACT_FIELD_COUNT; f++) {
        const struct contact_field_info *info = &contact_fields[f];

        buf_printf(b, ", %s%s", info->name, suffix);
        if (info->type == CONTACT_TYPE_PHONE)
            buf_printf(b, ", %s%s, %s%s", info->e164_name, suffix,
                       info->valid_name, suffix);
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
    append_field_columns(&b, "");
    buf_printf(&b, " FROM contacts%s", tail);
    return buf_detach(&b);
}

void store_sqlite__contact_sql_init(struct store_sqlite *s)
{
    struct buf b;

    buf_init(&b, 0);
    buf_puts(&b, "INSERT INTO contacts (workspace_id, version, created_ms, "
                 "updated_ms, archived, search_digits");
    append_field_columns(&b, "");
    buf_puts(&b, ") VALUES (?, ?, ?, ?, ?, ?");
    for (int i = 0; i < field_column_count(); i++)
        buf_puts(&b, ", ?");
    buf_puts(&b, ")");
    s->sql_contact_insert = buf_detach(&b);

    buf_puts(&b, "UPDATE contacts SET version = ?, updated_ms = ?, "
                 "archived = ?, search_digits = ?");
    append_field_columns(&b, " = ?");
    buf_puts(&b, " WHERE id = ? AND workspace_id = ? AND version = ?");
    s->sql_contact_update = buf_detach(&b);
    buf_release(&b);

    s->sql_contact_get = select_sql(" WHERE id = ? AND workspace_id = ?");
    s->sql_contact_list = select_sql(LIST_WHERE
                                     " ORDER BY id LIMIT ?5 OFFSET ?6");
    s->sql_contact_count = xstrdup("SELECT count(*) FROM contacts"
                                   LIST_WHERE);
}

void store_sqlite__contact_sql_release(struct store_sqlite *s)
{
    free(s->sql_contact_insert);
    free(s->sql_contact_update);
    free(s->sql_contact_get);
    free(s->sql_contact_list);
    free(s->sql_contact_count);
}

/* Bind text, or NULL, to parameter index without copying it. The caller
 * must keep text unchanged until store_sqlite__done clears the bindings. */
static void bind_text_static(sqlite3_stmt *st, int index, const char *text)
{
    int rc = text ? sqlite3_bind_text(st, index, text, -1, SQLITE_STATIC)
                  : sqlite3_bind_null(st, index);

    if (rc != SQLITE_OK)
        BUG("binding parameter %d failed: %s", index, sqlite3_errstr(rc));
}

/* Bind the field columns from index first on; return the next index. The
 * texts of c are bound without a copy, so c must not change before the
 * statement is done. */
static int bind_fields(sqlite3_stmt *st, int first, const struct contact *c)
{
    int i = first;

    for (int f = 0; f < CONTACT_FIELD_COUNT; f++) {
        const struct contact_value *v = &c->values[f];

        switch (contact_fields[f].type) {
        case CONTACT_TYPE_BOOL:
            store_sqlite__bind_int64(st, i++, v->flag);
            break;
        case CONTACT_TYPE_PHONE:
            bind_text_static(st, i++, v->text);
            bind_text_static(st, i++, v->e164);
            store_sqlite__bind_int64(st, i++, v->valid);
            break;
        default:
            bind_text_static(st, i++, v->text);
            break;
        }
    }
    return i;
}

static void read_contact(sqlite3_stmt *st, struct contact *out)
{
    int col = META_COUNT;

    contact_release(out);
    out->id = sqlite3_column_int64(st, 0);
    out->workspace_id = sqlite3_column_int64(st, 1);
    out->version = sqlite3_column_int64(st, 2);
    out->created_ms = sqlite3_column_int64(st, 3);
    out->updated_ms = sqlite3_column_int64(st, 4);
    out->archived = sqlite3_column_int(st, 5) != 0;
    for (int f = 0; f < CONTACT_FIELD_COUNT; f++) {
        struct contact_value *v = &out->values[f];

        if (contact_fields[f].type == CONTACT_TYPE_BOOL) {
            v->flag = sqlite3_column_int(st, col++) != 0;
            continue;
        }
        v->text = store_sqlite__column_text(st, col++);
        if (contact_fields[f].type == CONTACT_TYPE_PHONE) {
            v->e164 = store_sqlite__column_text(st, col++);
            v->valid = sqlite3_column_int(st, col++) != 0;
        }
    }
}

static int add_outbox(struct store_sqlite *s, const struct contact *c,
                      enum store_outbox_op operation, struct err *err)
{
    const char *op = "queue outbox entry";
    sqlite3_stmt *st = store_sqlite__stmt(s, sql_outbox_add, op, err);
    int rc;

    if (!st)
        return SYNC_EDB;
    store_sqlite__bind_int64(st, 1, c->workspace_id);
    store_sqlite__bind_int64(st, 2, c->id);
    store_sqlite__bind_int64(st, 3, c->version);
    store_sqlite__bind_text(st, 4, store_outbox_op_name(operation));
    store_sqlite__bind_int64(st, 5, datetime_now_ms());
    rc = store_sqlite__step(s, st, op, err);
    store_sqlite__done(st);
    return rc < 0 ? rc : 0;
}

static int insert_row(struct store_sqlite *s, struct contact *c,
                      const char *digits, struct err *err)
{
    const char *op = "insert contact";
    sqlite3_stmt *st = store_sqlite__stmt(s, s->sql_contact_insert, op, err);
    int64_t now = datetime_now_ms();
    int rc;

    if (!st)
        return SYNC_EDB;
    store_sqlite__bind_int64(st, 1, c->workspace_id);
    store_sqlite__bind_int64(st, 2, 1);
    store_sqlite__bind_int64(st, 3, now);
    store_sqlite__bind_int64(st, 4, now);
    store_sqlite__bind_int64(st, 5, c->archived);
    bind_text_static(st, 6, digits);
    bind_fields(st, 7, c);
    rc = store_sqlite__step(s, st, op, err);
    store_sqlite__done(st);
    if (rc < 0)
        return rc;
    c->id = sqlite3_last_insert_rowid(s->db);
    c->version = 1;
    c->created_ms = now;
    c->updated_ms = now;
    return 0;
}

int store_sqlite__contact_insert(struct store *base, struct contact *c,
                                 const char *digits, enum store_origin origin,
                                 struct err *err)
{
    struct store_sqlite *s = store_sqlite__from(base);
    bool owned;
    int rc;

    if ((rc = store_sqlite__tx_enter(s, &owned, err)) < 0)
        return rc;
    rc = insert_row(s, c, digits, err);
    if (rc == 0 && origin == STORE_ORIGIN_LOCAL)
        rc = add_outbox(s, c, STORE_OUTBOX_CREATE, err);
    rc = store_sqlite__tx_leave(s, owned, rc, err);
    if (rc < 0)
        c->id = 0;
    return rc;
}

static int get_row(struct store_sqlite *s, int64_t ws, int64_t id,
                   struct contact *out, struct err *err)
{
    const char *op = "get contact";
    sqlite3_stmt *st = store_sqlite__stmt(s, s->sql_contact_get, op, err);
    int rc;

    if (!st)
        return SYNC_EDB;
    store_sqlite__bind_int64(st, 1, id);
    store_sqlite__bind_int64(st, 2, ws);
    rc = store_sqlite__step(s, st, op, err);
    if (rc == 1)
        read_contact(st, out);
    store_sqlite__done(st);
    if (rc == 0)
        return err_set(err, SYNC_ENOTFOUND, "contact %lld not found",
                       (long long)id);
    return rc < 0 ? rc : 0;
}

int store_sqlite__contact_get(struct store *base, int64_t ws, int64_t id,
                              struct contact *out, struct err *err)
{
    return get_row(store_sqlite__from(base), ws, id, out, err);
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

static int update_row(struct store_sqlite *s, struct contact *c,
                      const char *digits, int64_t now, struct err *err)
{
    const char *op = "update contact";
    sqlite3_stmt *st = store_sqlite__stmt(s, s->sql_contact_update, op, err);
    int next, rc;

    if (!st)
        return SYNC_EDB;
    store_sqlite__bind_int64(st, 1, c->version + 1);
    store_sqlite__bind_int64(st, 2, now);
    store_sqlite__bind_int64(st, 3, c->archived);
    bind_text_static(st, 4, digits);
    next = bind_fields(st, 5, c);
    store_sqlite__bind_int64(st, next, c->id);
    store_sqlite__bind_int64(st, next + 1, c->workspace_id);
    store_sqlite__bind_int64(st, next + 2, c->version);
    rc = store_sqlite__step(s, st, op, err);
    store_sqlite__done(st);
    if (rc < 0)
        return rc;
    /* The stored version was checked in this transaction, so a row must
     * match. */
    if (sqlite3_changes(s->db) != 1)
        BUG("contact %lld vanished inside its update",
            (long long)c->id);
    return 0;
}

/* Compare c with stored, write it when it differs, and queue the change. */
static int apply_update(struct store_sqlite *s, struct contact *c,
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

int store_sqlite__contact_update(struct store *base, struct contact *c,
                                 const char *digits, enum store_origin origin,
                                 struct err *err)
{
    struct store_sqlite *s = store_sqlite__from(base);
    struct contact stored;
    int64_t version = c->version;
    bool owned;
    int rc;

    contact_init(&stored);
    if ((rc = store_sqlite__tx_enter(s, &owned, err)) < 0)
        return rc;
    rc = get_row(s, c->workspace_id, c->id, &stored, err);
    if (rc == 0)
        rc = apply_update(s, c, &stored, digits, origin, err);
    rc = store_sqlite__tx_leave(s, owned, rc, err);
    if (rc < 0)
        c->version = version;
    contact_release(&stored);
    return rc;
}

static void bind_search(sqlite3_stmt *st, int64_t ws,
                        const struct store__search *search)
{
    store_sqlite__bind_int64(st, 1, ws);
    store_sqlite__bind_int64(st, 2, search->include_archived);
    /* SQLite's LIKE ignores the case of ASCII letters only. */
    store_sqlite__bind_text(st, 3, search->folded_like ? search->folded_like
                                                       : search->like);
    store_sqlite__bind_text(st, 4, search->digits);
    store_sqlite__bind_int64(st, 7, search->folded_like != NULL);
}

static int count_matches(struct store_sqlite *s, int64_t ws,
                         const struct store__search *search, int64_t *out,
                         struct err *err)
{
    const char *op = "count contacts";
    sqlite3_stmt *st = store_sqlite__stmt(s, s->sql_contact_count, op, err);
    int rc;

    if (!st)
        return SYNC_EDB;
    bind_search(st, ws, search);
    rc = store_sqlite__step(s, st, op, err);
    if (rc == 1)
        *out = sqlite3_column_int64(st, 0);
    store_sqlite__done(st);
    return rc < 0 ? rc : 0;
}

int store_sqlite__contact_list(struct store *base, int64_t ws,
                               const struct store__search *search,
                               struct store_contact_list *out,
                               struct err *err)
{
    struct store_sqlite *s = store_sqlite__from(base);
    const char *op = "list contacts";
    sqlite3_stmt *st;
    size_t cap = 0;
    int rc;

    if ((rc = count_matches(s, ws, search, &out->total, err)) < 0)
        return rc;
    if (!(st = store_sqlite__stmt(s, s->sql_contact_list, op, err)))
        return SYNC_EDB;
    bind_search(st, ws, search);
    store_sqlite__bind_int64(st, 5, (int64_t)search->limit);
    store_sqlite__bind_int64(st, 6, (int64_t)search->offset);
    while ((rc = store_sqlite__step(s, st, op, err)) == 1) {
        out->items = xgrow(out->items, &cap, out->count + 1,
                           sizeof(*out->items));
        contact_init(&out->items[out->count]);
        read_contact(st, &out->items[out->count++]);
    }
    store_sqlite__done(st);
    if (rc < 0) {
        store_contact_list_release(out);
        return rc;
    }
    return 0;
}

/* Run one of the find statements; email binds ?4 of the phone one. */
static int find_ids(struct store_sqlite *s, const char *sql, const char *op,
                    int64_t ws, const char *value, const char *email,
                    int64_t *ids, size_t max, size_t *out_count,
                    struct err *err)
{
    sqlite3_stmt *st = store_sqlite__stmt(s, sql, op, err);
    size_t count = 0;
    int rc;

    if (!st)
        return SYNC_EDB;
    store_sqlite__bind_int64(st, 1, ws);
    store_sqlite__bind_text(st, 2, value);
    store_sqlite__bind_int64(st, 3, (int64_t)max);
    if (sql == sql_by_phone || sql == sql_archived_by_phone)
        store_sqlite__bind_text(st, 4, email);
    while ((rc = store_sqlite__step(s, st, op, err)) == 1)
        ids[count++] = sqlite3_column_int64(st, 0);
    store_sqlite__done(st);
    if (rc < 0)
        return rc;
    *out_count = count;
    return 0;
}

int store_sqlite__contact_find(struct store *base, int64_t ws,
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

    return find_ids(store_sqlite__from(base), statements[match],
                    "find contacts", ws, value, email, ids, max, out_count,
                    err);
}

int store_sqlite__contact_unlinked_after(struct store *base, int64_t ws,
                                         int64_t after_id, bool *out_any,
                                         int64_t *out_max_id,
                                         struct err *err)
{
    struct store_sqlite *s = store_sqlite__from(base);
    const char *op = "look for unlinked contacts";
    sqlite3_stmt *st = store_sqlite__stmt(s, sql_unlinked_after, op, err);
    int rc;

    if (!st)
        return SYNC_EDB;
    store_sqlite__bind_int64(st, 1, ws);
    store_sqlite__bind_int64(st, 2, after_id);
    rc = store_sqlite__step(s, st, op, err);
    if (rc == 1) {
        *out_any = sqlite3_column_int(st, 0) != 0;
        *out_max_id = sqlite3_column_int64(st, 1);
    }
    store_sqlite__done(st);
    return rc < 0 ? rc : 0;
}

/* The indexes that a load into an empty store builds after its rows, as
 * migration 1 defines them. */
static const char sql_contact_indexes_create[] =
    "CREATE INDEX IF NOT EXISTS contacts_by_phone "
    "ON contacts (workspace_id, phone_e164);"
    "CREATE INDEX IF NOT EXISTS contacts_by_mobile_phone "
    "ON contacts (workspace_id, mobile_phone_e164);"
    "CREATE INDEX IF NOT EXISTS contacts_by_email "
    "ON contacts (workspace_id, lower(email));";
static const char sql_contact_indexes_drop[] =
    "DROP INDEX IF EXISTS contacts_by_phone;"
    "DROP INDEX IF EXISTS contacts_by_mobile_phone;"
    "DROP INDEX IF EXISTS contacts_by_email;";
static const char sql_contact_indexes_count[] =
    "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name IN "
    "('contacts_by_phone', 'contacts_by_mobile_phone', 'contacts_by_email')";
static const char sql_contacts_any[] =
    "SELECT EXISTS (SELECT 1 FROM contacts)";

/* Set *out to the integer in the first column of sql's one row. */
static int query_int(struct store_sqlite *s, const char *sql, const char *op,
                     int64_t *out, struct err *err)
{
    sqlite3_stmt *st = store_sqlite__stmt(s, sql, op, err);
    int rc;

    if (!st)
        return SYNC_EDB;
    rc = store_sqlite__step(s, st, op, err);
    *out = rc == 1 ? sqlite3_column_int64(st, 0) : 0;
    store_sqlite__done(st);
    return rc < 0 ? rc : 0;
}

int store_sqlite__contact_indexes_drop_if_empty(struct store *base,
                                                bool *out_dropped,
                                                struct err *err)
{
    struct store_sqlite *s = store_sqlite__from(base);
    int64_t any = 1;
    bool owned;
    int rc;

    if ((rc = store_sqlite__tx_enter(s, &owned, err)) < 0)
        return rc;
    rc = query_int(s, sql_contacts_any, "count contacts", &any, err);
    if (rc == 0 && !any)
        rc = store_sqlite__exec(s->db, sql_contact_indexes_drop,
                                "drop contact indexes", err);
    rc = store_sqlite__tx_leave(s, owned, rc, err);
    *out_dropped = rc == 0 && !any;
    return rc;
}

int store_sqlite__contact_indexes_build(struct store *base, struct err *err)
{
    struct store_sqlite *s = store_sqlite__from(base);
    int64_t count = 0;
    bool owned;
    int rc;

    /* The usual case, every index in place, needs no write lock. */
    if ((rc = query_int(s, sql_contact_indexes_count, "count contact indexes",
                        &count, err)) < 0 ||
        count == 3)
        return rc;
    /* SQLite sorts the keys of a new index in up to the page cache's
     * size of memory, on top of the cache itself. With a 4 MiB cache, the
     * build after a pull of 1,000,000 Contacts peaked at 91 MiB of RSS,
     * against 103 MiB with the full cache (a Release build). */
    if ((rc = store_sqlite__exec(s->db, "PRAGMA cache_size = -4096",
                                 "shrink the page cache", err)) < 0)
        return rc;
    if ((rc = store_sqlite__tx_enter(s, &owned, err)) == 0) {
        rc = store_sqlite__exec(s->db, sql_contact_indexes_create,
                                "create contact indexes", err);
        rc = store_sqlite__tx_leave(s, owned, rc, err);
    }
    if (rc == 0)
        rc = store_sqlite__exec(s->db, STORE_SQLITE_CACHE_PRAGMA,
                                "set the page cache size", err);
    else
        sqlite3_exec(s->db, STORE_SQLITE_CACHE_PRAGMA, NULL, NULL, NULL);
    return rc;
}

int store_sqlite__contact_find_unlinked(struct store *base, int64_t ws,
                                        enum store_match match,
                                        const char *value, int64_t *ids,
                                        size_t max, size_t *out_count,
                                        struct err *err)
{
    struct store_sqlite *s = store_sqlite__from(base);
    const char *op = "find unlinked contacts";
    sqlite3_stmt *st;
    size_t count = 0;
    int rc;

    st = store_sqlite__stmt(s, match == STORE_MATCH_PHONE
                                   ? sql_unlinked_by_phone
                                   : sql_unlinked_by_email,
                            op, err);
    if (!st)
        return SYNC_EDB;
    store_sqlite__bind_int64(st, 1, ws);
    store_sqlite__bind_text(st, 2, value);
    store_sqlite__bind_int64(st, 3, (int64_t)max);
    while ((rc = store_sqlite__step(s, st, op, err)) == 1)
        ids[count++] = sqlite3_column_int64(st, 0);
    store_sqlite__done(st);
    if (rc < 0)
        return rc;
    *out_count = count;
    return 0;
}

static int read_link(struct store_sqlite *s, sqlite3_stmt *st,
                     struct store_link *out, struct err *err)
{
    const char *object = (const char *)sqlite3_column_text(st, 2);
    const char *id = (const char *)sqlite3_column_text(st, 3);
    const char *base_json = (const char *)sqlite3_column_text(st, 4);
    json_error_t parse_error;

    out->contact_id = sqlite3_column_int64(st, 0);
    out->workspace_id = sqlite3_column_int64(st, 1);
    out->object = (enum sf_object)mapping_object_parse(object ? object : "");
    snprintf(out->sf_id, sizeof(out->sf_id), "%s", id ? id : "");
    out->system_modstamp_ms = sqlite3_column_int64(st, 5);
    out->last_modified_ms = sqlite3_column_int64(st, 6);
    out->updated_ms = sqlite3_column_int64(st, 7);
    out->base = json_loads(base_json ? base_json : "{}", 0, &parse_error);
    if (!out->base || !json_is_object(out->base)) {
        json_decref(out->base);
        out->base = NULL;
        return err_set(err, SYNC_EDB,
                       "link of contact %lld has a malformed base in '%s'",
                       (long long)out->contact_id, s->path);
    }
    return 0;
}

static int find_link(struct store_sqlite *s, const char *sql, int64_t ws,
                     int64_t contact_id, const char *sf_id,
                     struct store_link *out, struct err *err)
{
    const char *op = "get link";
    sqlite3_stmt *st = store_sqlite__stmt(s, sql, op, err);
    int rc;

    if (!st)
        return SYNC_EDB;
    store_sqlite__bind_int64(st, 1, ws);
    if (sf_id)
        store_sqlite__bind_text(st, 2, sf_id);
    else
        store_sqlite__bind_int64(st, 2, contact_id);
    rc = store_sqlite__step(s, st, op, err);
    if (rc == 1)
        rc = read_link(s, st, out, err);
    else if (rc == 0 && sf_id)
        rc = err_set(err, SYNC_ENOTFOUND,
                     "no contact is linked to Salesforce record '%s'", sf_id);
    else if (rc == 0)
        rc = err_set(err, SYNC_ENOTFOUND, "contact %lld has no link",
                     (long long)contact_id);
    store_sqlite__done(st);
    return rc;
}

int store_sqlite__link_get(struct store *base, int64_t ws, int64_t contact_id,
                           struct store_link *out, struct err *err)
{
    return find_link(store_sqlite__from(base), sql_link_by_contact, ws,
                     contact_id, NULL, out, err);
}

int store_sqlite__link_find(struct store *base, int64_t ws, const char *sf_id,
                            struct store_link *out, struct err *err)
{
    return find_link(store_sqlite__from(base), sql_link_by_sf_id, ws, 0,
                     sf_id, out, err);
}

static int check_contact_exists(struct store_sqlite *s, int64_t ws,
                                int64_t id, struct err *err)
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

/* Reject a record already linked to another contact of the workspace. It
 * reads only the linked contact's id, because the rest of the link is not
 * needed here. */
static int check_record_free(struct store_sqlite *s,
                             const struct store_link *link, struct err *err)
{
    const char *op = "get link";
    sqlite3_stmt *st = store_sqlite__stmt(s, sql_link_owner, op, err);
    int64_t owner = 0;
    int rc;

    if (!st)
        return SYNC_EDB;
    store_sqlite__bind_int64(st, 1, link->workspace_id);
    bind_text_static(st, 2, link->sf_id);
    rc = store_sqlite__step(s, st, op, err);
    if (rc == 1)
        owner = sqlite3_column_int64(st, 0);
    store_sqlite__done(st);
    if (rc < 0)
        return rc;
    if (rc == 1 && owner != link->contact_id)
        return err_set(err, SYNC_ECONFLICT,
                       "Salesforce record '%s' is already linked to contact "
                       "%lld",
                       link->sf_id, (long long)owner);
    return 0;
}

static int write_link(struct store_sqlite *s, const struct store_link *link,
                      const char *base_json, struct err *err)
{
    const char *op = "write link";
    sqlite3_stmt *st = store_sqlite__stmt(s, sql_link_upsert, op, err);
    int rc;

    if (!st)
        return SYNC_EDB;
    store_sqlite__bind_int64(st, 1, link->contact_id);
    store_sqlite__bind_int64(st, 2, link->workspace_id);
    store_sqlite__bind_text(st, 3, mapping_object_name(link->object));
    bind_text_static(st, 4, link->sf_id);
    bind_text_static(st, 5, base_json);
    store_sqlite__bind_int64(st, 6, link->system_modstamp_ms);
    store_sqlite__bind_int64(st, 7, link->last_modified_ms);
    store_sqlite__bind_int64(st, 8, datetime_now_ms());
    rc = store_sqlite__step(s, st, op, err);
    store_sqlite__done(st);
    return rc < 0 ? rc : 0;
}

int store_sqlite__link_upsert(struct store *base, const struct store_link *link,
                              const char *base_json, struct err *err)
{
    struct store_sqlite *s = store_sqlite__from(base);
    bool owned;
    int rc;

    if ((rc = store_sqlite__tx_enter(s, &owned, err)) < 0)
        return rc;
    rc = check_contact_exists(s, link->workspace_id, link->contact_id, err);
    if (rc == 0)
        rc = check_record_free(s, link, err);
    if (rc == 0)
        rc = write_link(s, link, base_json, err);
    return store_sqlite__tx_leave(s, owned, rc, err);
}

int store_sqlite__link_delete(struct store *base, int64_t ws,
                              int64_t contact_id, struct err *err)
{
    struct store_sqlite *s = store_sqlite__from(base);
    const char *op = "delete link";
    sqlite3_stmt *st = store_sqlite__stmt(s, sql_link_delete, op, err);
    int rc;

    if (!st)
        return SYNC_EDB;
    store_sqlite__bind_int64(st, 1, ws);
    store_sqlite__bind_int64(st, 2, contact_id);
    rc = store_sqlite__step(s, st, op, err);
    store_sqlite__done(st);
    return rc < 0 ? rc : 0;
}

int store_sqlite__outbox_requeue(struct store *base, int64_t ws,
                                 int64_t contact_id, struct err *err)
{
    struct store_sqlite *s = store_sqlite__from(base);
    const char *op = "queue outbox entry";
    sqlite3_stmt *st = store_sqlite__stmt(s, sql_outbox_requeue, op, err);
    int rc;

    if (!st)
        return SYNC_EDB;
    store_sqlite__bind_int64(st, 1, datetime_now_ms());
    store_sqlite__bind_int64(st, 2, contact_id);
    store_sqlite__bind_int64(st, 3, ws);
    rc = store_sqlite__step(s, st, op, err);
    store_sqlite__done(st);
    if (rc < 0)
        return rc;
    if (sqlite3_changes(s->db) == 0)
        return err_set(err, SYNC_ENOTFOUND, "contact %lld not found",
                       (long long)contact_id);
    return 0;
}
