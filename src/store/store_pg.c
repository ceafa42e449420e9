/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * The PostgreSQL backend: the connection and its statement cache,
 * transactions, and every table but contacts, links, conflicts, create
 * intents, tombstones and locks, which live in store_pg_contact.c,
 * store_pg_sync.c and store_pg_tombstone.c.
 *
 * Transactions run at READ COMMITTED. A read-modify-write (a contact
 * update) locks its row with SELECT ... FOR UPDATE, and the unique keys
 * settle concurrent inserts, so several processes can share one database.
 */
#include "base/common.h"

#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>

#include "base/datetime.h"
#include "store_pg_int.h"

/* Largest page of runs or sync errors returned by one list call. */
#define LIST_MAX 1000

void store_pg__params_init(struct store_pg_params *p)
{
    memset(p, 0, sizeof(*p));
}

static int next_param(struct store_pg_params *p)
{
    if (p->count >= STORE_PG_PARAMS_MAX)
        BUG("more than %d statement parameters", STORE_PG_PARAMS_MAX);
    return p->count++;
}

void store_pg__param_text(struct store_pg_params *p, const char *text)
{
    int i = next_param(p);

    p->values[i] = text;
}

void store_pg__param_int64(struct store_pg_params *p, int64_t value)
{
    int i = next_param(p);

    snprintf(p->numbers[i], sizeof(p->numbers[i]), "%" PRId64, value);
    p->values[i] = p->numbers[i];
}

void store_pg__param_bool(struct store_pg_params *p, bool value)
{
    int i = next_param(p);

    p->values[i] = value ? "true" : "false";
}

void store_pg__param_bytes(struct store_pg_params *p, const void *data,
                           size_t len)
{
    int i = next_param(p);

    if (len > INT_MAX)
        BUG("a %zu-byte parameter does not fit libpq's int length", len);
    /* libpq sends a NULL pointer as SQL NULL, so empty data is passed as
     * "" with length 0. */
    p->values[i] = data ? data : "";
    p->lengths[i] = (int)len;
    p->formats[i] = 1;
}

int64_t store_pg__changes(PGresult *res)
{
    const char *n = PQcmdTuples(res);

    return n && *n ? strtoll(n, NULL, 10) : 0;
}

char *store_pg__text(PGresult *res, int row, int column)
{
    if (PQgetisnull(res, row, column))
        return NULL;
    return xstrdup(PQgetvalue(res, row, column));
}

int64_t store_pg__int64(PGresult *res, int row, int column)
{
    if (PQgetisnull(res, row, column))
        return 0;
    return strtoll(PQgetvalue(res, row, column), NULL, 10);
}

bool store_pg__bool(PGresult *res, int row, int column)
{
    return !PQgetisnull(res, row, column) &&
           PQgetvalue(res, row, column)[0] == 't';
}

int store_pg__object(PGresult *res, int row, int column)
{
    if (PQgetisnull(res, row, column))
        return -1;
    return mapping_object_parse(PQgetvalue(res, row, column));
}

const char *store_pg__object_column(int object)
{
    return object >= 0 && object < SF_OBJECT_COUNT
               ? mapping_object_name((enum sf_object)object)
               : NULL;
}

int64_t store_pg__list_limit(size_t limit)
{
    return limit == 0 || limit > LIST_MAX ? LIST_MAX : (int64_t)limit;
}

/* The server's notices (a savepoint that exists, ...) are not errors and
 * would otherwise go to stderr. */
static void ignore_notice(void *arg, const char *message)
{
    (void)arg;
    log_debug("store", "postgresql notice", "message='%s'", message);
}

static void forget_statements(struct store_pg *s)
{
    for (size_t i = 0; i < s->stmts.cap; i++)
        if (s->stmts.slots[i].key)
            free(s->stmts.slots[i].value);
    hmap_release(&s->stmts);
    hmap_init(&s->stmts, false);
}

void store_pg__error_line(const char *message, char *out, size_t size)
{
    size_t len = message ? strcspn(message, "\n") : 0;

    if (size == 0)
        return;
    if (len >= size)
        len = size - 1;
    memcpy(out, message ? message : "", len);
    out[len] = '\0';
}

int store_pg__fail_text(struct err *err, const char *detail,
                        const char *fmt, ...)
{
    /* Room for the context, ": " and the detail. The detail gives up its
     * end only when it alone would leave less than CONTEXT_MIN. */
    enum { CONTEXT_MIN = 64 };
    char context[ERR_MSG_MAX];
    size_t detail_len = strlen(detail), room;
    va_list ap;
    int n;

    if (detail_len > ERR_MSG_MAX - 1 - 2 - CONTEXT_MIN)
        detail_len = ERR_MSG_MAX - 1 - 2 - CONTEXT_MIN;
    room = ERR_MSG_MAX - 1 - 2 - detail_len;
    va_start(ap, fmt);
    n = vsnprintf(context, sizeof(context), fmt, ap);
    va_end(ap);
    if (n > 0 && (size_t)n > room)
        memcpy(context + room - 3, "...", 4);
    return err_set(err, SYNC_EDB, "%s: %.*s", context, (int)detail_len,
                   detail);
}

/* Fill err for a failed statement or connection and return SYNC_EDB. */
static int fail(struct store_pg *s, PGresult *res, const char *op,
                struct err *err)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *message =
        res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    char line[ERR_MSG_MAX];

    snprintf(s->sqlstate, sizeof(s->sqlstate), "%s", state ? state : "");
    if (PQstatus(s->conn) == CONNECTION_BAD) {
        log_error("store", "lost the connection to postgresql",
                  "server='%s' op='%s' transaction=%s", s->display, op,
                  s->explicit_tx ? "open" : "none");
        if (s->explicit_tx) {
            s->tx_lost = true;
            return err_set(err, SYNC_EDB,
                           "%s failed: lost the connection to PostgreSQL "
                           "server '%s', which rolled the open transaction "
                           "back; roll it back here and start again",
                           op, s->display);
        }
        return err_set(err, SYNC_EDB,
                       "%s failed: lost the connection to PostgreSQL server "
                       "'%s'; check that it is running, the next store call "
                       "reconnects",
                       op, s->display);
    }
    if (!message)
        message = PQerrorMessage(s->conn);
    store_pg__error_line(message, line, sizeof(line));
    return store_pg__fail_text(err, line, "%s failed", op);
}

/*
 * Set up a new session, after the connect and after each reconnect. The
 * server's time zone and date style do not matter, because times are int64
 * milliseconds. A UTF8 client encoding matches the contacts. Custom plans
 * keep each cached statement on the index its values select. A generic
 * plan made while a table is nearly empty (the first rows of a large
 * import) scans every row of the workspace for each lookup once the table
 * has grown: 20000 rows of the import test's CSV took 370 s that way and
 * 19 s with custom plans, on a 2-core machine with PostgreSQL 15.
 */
static void session_setup(struct store_pg *s)
{
    PQclear(PQexec(s->conn, "SET client_encoding = 'UTF8'"));
    PQclear(PQexec(s->conn, "SET plan_cache_mode = force_custom_plan"));
}

/* Reconnect once when the connection dropped outside a transaction. */
static int ensure_connected(struct store_pg *s, const char *op,
                            struct err *err)
{
    if (s->base.locks_lost)
        return err_set(err, SYNC_EDB,
                       "%s failed: the workspace lock was lost with the "
                       "connection to PostgreSQL server '%s' and another "
                       "process may hold it now; this round stops, run it "
                       "again",
                       op, s->display);
    if (s->tx_lost)
        return err_set(err, SYNC_EDB,
                       "%s failed: the transaction was lost with the "
                       "connection to PostgreSQL server '%s'; roll it back "
                       "and start again",
                       op, s->display);
    if (PQstatus(s->conn) == CONNECTION_OK)
        return 0;
    forget_statements(s);
    PQreset(s->conn);
    if (PQstatus(s->conn) != CONNECTION_OK) {
        char line[ERR_MSG_MAX];

        store_pg__error_line(PQerrorMessage(s->conn), line, sizeof(line));
        return store_pg__fail_text(err, line,
                                   "%s failed: cannot reconnect to "
                                   "PostgreSQL server '%s'",
                                   op, s->display);
    }
    session_setup(s);
    log_info("store", "reconnected to postgresql", "server='%s'",
             s->display);
    /* The server released the advisory locks with the old session, and
     * taking them again here could take them from a process that got
     * them meanwhile. */
    if (s->base.held_count > 0) {
        s->base.locks_lost = true;
        log_error("store", "workspace lock lost with the connection",
                  "server='%s' workspace=%lld lock=%s", s->display,
                  (long long)s->base.held[0].workspace_id,
                  s->base.held[0].name);
        return ensure_connected(s, op, err);
    }
    return 0;
}

int store_pg__exec(struct store_pg *s, const char *sql, const char *op,
                   struct err *err)
{
    PGresult *res;
    int rc = 0;

    if ((rc = ensure_connected(s, op, err)) < 0)
        return rc;
    res = PQexec(s->conn, sql);
    if (PQresultStatus(res) != PGRES_COMMAND_OK &&
        PQresultStatus(res) != PGRES_TUPLES_OK)
        rc = fail(s, res, op, err);
    PQclear(res);
    return rc;
}

/* The name of sql's prepared statement, preparing it on first use. */
static const char *statement(struct store_pg *s, const char *sql,
                             const char *op, struct err *err)
{
    char *name = hmap_get(&s->stmts, sql);
    PGresult *res;

    if (name)
        return name;
    name = xasprintf("sfsync_%d", s->next_stmt++);
    res = PQprepare(s->conn, name, sql, 0, NULL);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        fail(s, res, op, err);
        PQclear(res);
        free(name);
        return NULL;
    }
    PQclear(res);
    hmap_put(&s->stmts, sql, name);
    return name;
}

PGresult *store_pg__run(struct store_pg *s, const char *sql,
                        const struct store_pg_params *params, bool binary,
                        const char *op, struct err *err)
{
    const char *name;
    PGresult *res;
    ExecStatusType status;

    if (ensure_connected(s, op, err) < 0)
        return NULL;
    if (!(name = statement(s, sql, op, err)))
        return NULL;
    res = PQexecPrepared(s->conn, name, params ? params->count : 0,
                         params ? params->values : NULL,
                         params ? params->lengths : NULL,
                         params ? params->formats : NULL, binary ? 1 : 0);
    status = PQresultStatus(res);
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
        s->sqlstate[0] = '\0';
        return res;
    }
    fail(s, res, op, err);
    PQclear(res);
    return NULL;
}

int store_pg__run_command(struct store_pg *s, const char *sql,
                          const struct store_pg_params *params,
                          const char *op, struct err *err)
{
    PGresult *res = store_pg__run(s, sql, params, false, op, err);

    if (!res)
        return SYNC_EDB;
    PQclear(res);
    return 0;
}

static bool in_transaction(struct store_pg *s)
{
    return PQtransactionStatus(s->conn) != PQTRANS_IDLE;
}

static void forget_tx_workspace(struct store_pg *s)
{
    store_workspace_release(&s->tx_workspace);
}

int store_pg__tx_enter(struct store_pg *s, bool *owned, bool savepoint,
                       struct err *err)
{
    int rc;

    *owned = false;
    if ((rc = ensure_connected(s, "begin transaction", err)) < 0)
        return rc;
    *owned = !in_transaction(s);
    if (*owned)
        return store_pg__exec(s, "BEGIN ISOLATION LEVEL READ COMMITTED",
                              "begin transaction", err);
    if (!savepoint)
        return 0;
    return store_pg__exec(s, "SAVEPOINT store_op", "savepoint", err);
}

int store_pg__tx_leave(struct store_pg *s, bool owned, bool savepoint,
                       int rc, struct err *err)
{
    PGresult *res;

    if (!owned && !savepoint)
        return rc;
    if (rc == 0) {
        rc = store_pg__exec(s, owned ? "COMMIT" : "RELEASE store_op",
                            "commit", err);
        if (rc == 0)
            return 0;
    }
    /* The caller's error stays in err; these only undo the writes. */
    if (PQstatus(s->conn) != CONNECTION_OK)
        return rc;
    res = PQexec(s->conn, owned ? "ROLLBACK"
                                : "ROLLBACK TO store_op; RELEASE store_op");
    PQclear(res);
    return rc;
}

static int pg_begin(struct store *base, struct err *err)
{
    struct store_pg *s = store_pg__from(base);
    int rc;

    if (s->explicit_tx || s->tx_lost ||
        (PQstatus(s->conn) == CONNECTION_OK && in_transaction(s)))
        return err_set(err, SYNC_EINVALID,
                       "a store transaction is already open; commit or roll "
                       "it back first");
    if ((rc = store_pg__exec(s, "BEGIN ISOLATION LEVEL READ COMMITTED",
                             "begin transaction", err)) < 0)
        return rc;
    forget_tx_workspace(s);
    s->explicit_tx = true;
    return 0;
}

static int pg_commit(struct store *base, struct err *err)
{
    struct store_pg *s = store_pg__from(base);
    PGresult *res;
    int rc;

    if (!s->explicit_tx)
        return err_set(err, SYNC_EINVALID,
                       "no store transaction is open to commit");
    forget_tx_workspace(s);
    if (s->tx_lost) {
        s->explicit_tx = false;
        s->tx_lost = false;
        return err_set(err, SYNC_EDB,
                       "commit transaction failed: the connection to "
                       "PostgreSQL server '%s' was lost and the server "
                       "rolled the transaction back",
                       s->display);
    }
    /* COMMIT of a transaction that had a failed statement reports
     * success but rolls back: that is a failure here. */
    if (PQtransactionStatus(s->conn) == PQTRANS_INERROR) {
        s->explicit_tx = false;
        res = PQexec(s->conn, "ROLLBACK");
        PQclear(res);
        return err_set(err, SYNC_EDB,
                       "commit transaction failed: a statement inside it "
                       "failed, so it was rolled back");
    }
    rc = store_pg__exec(s, "COMMIT", "commit transaction", err);
    s->explicit_tx = false;
    if (rc < 0 && PQstatus(s->conn) == CONNECTION_OK && in_transaction(s)) {
        res = PQexec(s->conn, "ROLLBACK");
        PQclear(res);
    }
    if (s->tx_lost)
        s->tx_lost = false;
    return rc;
}

static int pg_rollback(struct store *base, struct err *err)
{
    struct store_pg *s = store_pg__from(base);

    if (!s->explicit_tx)
        return err_set(err, SYNC_EINVALID,
                       "no store transaction is open to roll back");
    forget_tx_workspace(s);
    s->explicit_tx = false;
    /* A lost connection took the transaction with it: nothing is left to
     * undo. */
    if (s->tx_lost || PQstatus(s->conn) != CONNECTION_OK) {
        s->tx_lost = false;
        return 0;
    }
    if (!in_transaction(s))
        return 0;
    if (store_pg__exec(s, "ROLLBACK", "roll back transaction", err) == 0)
        return 0;
    /* The connection dropped before the ROLLBACK reached the server, which
     * discards the transaction of a closed session itself. */
    if (PQstatus(s->conn) != CONNECTION_OK) {
        s->tx_lost = false;
        err_clear(err);
        return 0;
    }
    return SYNC_EDB;
}

static void pg_close(struct store *base)
{
    struct store_pg *s = store_pg__from(base);

    if (s->conn && PQstatus(s->conn) == CONNECTION_OK && in_transaction(s)) {
        PGresult *res = PQexec(s->conn, "ROLLBACK");

        PQclear(res);
    }
    forget_statements(s);
    hmap_release(&s->stmts);
    forget_tx_workspace(s);
    PQfinish(s->conn);
    store_pg__contact_sql_release(s);
    if (s->conninfo)
        secure_zero(s->conninfo, strlen(s->conninfo));
    free(s->conninfo);
    free(s->display);
    free(s);
}

/* Workspaces. */

static const char sql_workspace_by_name[] =
    "SELECT id, name, default_region, created_ms FROM workspaces "
    "WHERE name = $1";
static const char sql_workspace_by_id[] =
    "SELECT id, name, default_region, created_ms FROM workspaces "
    "WHERE id = $1";
static const char sql_workspace_insert[] =
    "INSERT INTO workspaces (name, default_region, created_ms) "
    "VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING";
static const char sql_workspace_set_region[] =
    "UPDATE workspaces SET default_region = $1 WHERE id = $2";

static void read_workspace(PGresult *res, struct store_workspace *out)
{
    const char *region = PQgetisnull(res, 0, 2) ? NULL
                                                : PQgetvalue(res, 0, 2);

    free(out->name);
    out->id = store_pg__int64(res, 0, 0);
    out->name = store_pg__text(res, 0, 1);
    snprintf(out->default_region, sizeof(out->default_region), "%s",
             region ? region : PHONE_DEFAULT_REGION);
    out->created_ms = store_pg__int64(res, 0, 3);
}

/* Look a workspace up by name (name non-NULL) or id. */
static int find_workspace(struct store_pg *s, const char *name, int64_t id,
                          struct store_workspace *out, struct err *err)
{
    struct store_pg_params p;
    PGresult *res;
    bool found;

    store_pg__params_init(&p);
    if (name)
        store_pg__param_text(&p, name);
    else
        store_pg__param_int64(&p, id);
    res = store_pg__run(s, name ? sql_workspace_by_name : sql_workspace_by_id,
                        &p, false, "get workspace", err);
    if (!res)
        return SYNC_EDB;
    found = PQntuples(res) > 0;
    if (found)
        read_workspace(res, out);
    PQclear(res);
    if (found)
        return 0;
    if (name)
        return err_set(err, SYNC_ENOTFOUND, "workspace '%s' not found", name);
    return err_set(err, SYNC_ENOTFOUND, "workspace %lld not found",
                   (long long)id);
}

static int pg_workspace_get(struct store *base, const char *name,
                            bool create, struct store_workspace *out,
                            struct err *err)
{
    struct store_pg *s = store_pg__from(base);
    struct store_pg_params p;
    int rc;

    rc = find_workspace(s, name, 0, out, err);
    if (rc != SYNC_ENOTFOUND || !create)
        return rc;
    err_clear(err);
    /* ON CONFLICT DO NOTHING lets two processes create the same name. */
    store_pg__params_init(&p);
    store_pg__param_text(&p, name);
    store_pg__param_text(&p, PHONE_DEFAULT_REGION);
    store_pg__param_int64(&p, datetime_now_ms());
    if ((rc = store_pg__run_command(s, sql_workspace_insert, &p,
                                    "create workspace", err)) < 0)
        return rc;
    return find_workspace(s, name, 0, out, err);
}

static void copy_workspace(struct store_workspace *out,
                           const struct store_workspace *from)
{
    free(out->name);
    *out = *from;
    out->name = xstrdup(from->name);
}

static int pg_workspace_get_by_id(struct store *base, int64_t id,
                                  struct store_workspace *out,
                                  struct err *err)
{
    struct store_pg *s = store_pg__from(base);
    int rc;

    /* Inside store_begin's transaction, the workspace is read once, as a
     * REPEATABLE READ transaction would see it. This saves a round trip
     * per contact written (an import writes thousands in one
     * transaction). */
    if (s->explicit_tx && s->tx_workspace.name && s->tx_workspace.id == id) {
        copy_workspace(out, &s->tx_workspace);
        return 0;
    }
    if ((rc = find_workspace(s, NULL, id, out, err)) < 0)
        return rc;
    if (s->explicit_tx)
        copy_workspace(&s->tx_workspace, out);
    return 0;
}

static int pg_workspace_set_region(struct store *base, int64_t id,
                                   const char *region, struct err *err)
{
    struct store_pg *s = store_pg__from(base);
    struct store_pg_params p;
    PGresult *res;
    int64_t changed;

    forget_tx_workspace(s);
    store_pg__params_init(&p);
    store_pg__param_text(&p, region);
    store_pg__param_int64(&p, id);
    res = store_pg__run(s, sql_workspace_set_region, &p, false,
                        "set workspace region", err);
    if (!res)
        return SYNC_EDB;
    changed = store_pg__changes(res);
    PQclear(res);
    if (changed == 0)
        return err_set(err, SYNC_ENOTFOUND, "workspace %lld not found",
                       (long long)id);
    return 0;
}

/* Settings. */

static const char sql_setting_get[] =
    "SELECT value FROM settings WHERE workspace_id = $1 AND key = $2";
static const char sql_setting_set[] =
    "INSERT INTO settings (workspace_id, key, value, updated_ms) "
    "VALUES ($1, $2, $3, $4) ON CONFLICT (workspace_id, key) "
    "DO UPDATE SET value = excluded.value, updated_ms = excluded.updated_ms";
static const char sql_setting_delete[] =
    "DELETE FROM settings WHERE workspace_id = $1 AND key = $2";
/* COLLATE "C" orders by bytes, as SQLite's BINARY collation does. */
static const char sql_setting_list[] =
    "SELECT key, value FROM settings WHERE workspace_id = $1 "
    "ORDER BY key COLLATE \"C\"";

static int pg_setting_get(struct store *base, int64_t ws, const char *key,
                          char **out_value, struct err *err)
{
    struct store_pg *s = store_pg__from(base);
    struct store_pg_params p;
    PGresult *res;
    bool found;

    store_pg__params_init(&p);
    store_pg__param_int64(&p, ws);
    store_pg__param_text(&p, key);
    if (!(res = store_pg__run(s, sql_setting_get, &p, false, "get setting",
                              err)))
        return SYNC_EDB;
    found = PQntuples(res) > 0;
    if (found)
        *out_value = store_pg__text(res, 0, 0);
    PQclear(res);
    if (!found)
        return err_set(err, SYNC_ENOTFOUND, "setting '%s' not found", key);
    return 0;
}

static int pg_setting_set(struct store *base, int64_t ws, const char *key,
                          const char *value, struct err *err)
{
    struct store_pg *s = store_pg__from(base);
    struct store_pg_params p;

    store_pg__params_init(&p);
    store_pg__param_int64(&p, ws);
    store_pg__param_text(&p, key);
    if (!value)
        return store_pg__run_command(s, sql_setting_delete, &p,
                                     "delete setting", err);
    store_pg__param_text(&p, value);
    store_pg__param_int64(&p, datetime_now_ms());
    return store_pg__run_command(s, sql_setting_set, &p, "set setting", err);
}

static int pg_setting_list(struct store *base, int64_t ws,
                           struct store_setting **out, size_t *out_count,
                           struct err *err)
{
    struct store_pg *s = store_pg__from(base);
    struct store_pg_params p;
    struct store_setting *items;
    PGresult *res;
    int rows;

    store_pg__params_init(&p);
    store_pg__param_int64(&p, ws);
    if (!(res = store_pg__run(s, sql_setting_list, &p, false,
                              "list settings", err)))
        return SYNC_EDB;
    rows = PQntuples(res);
    items = rows ? xcalloc((size_t)rows, sizeof(*items)) : NULL;
    for (int i = 0; i < rows; i++) {
        items[i].key = store_pg__text(res, i, 0);
        items[i].value = store_pg__text(res, i, 1);
    }
    PQclear(res);
    *out = items;
    *out_count = (size_t)rows;
    return 0;
}

/* Cursors. */

static const char sql_cursor_get[] =
    "SELECT modstamp_ms, last_id FROM cursors "
    "WHERE workspace_id = $1 AND sf_object = $2";
static const char sql_cursor_set[] =
    "INSERT INTO cursors (workspace_id, sf_object, modstamp_ms, last_id, "
    "updated_ms) VALUES ($1, $2, $3, $4, $5) "
    "ON CONFLICT (workspace_id, sf_object) DO UPDATE SET "
    "modstamp_ms = excluded.modstamp_ms, last_id = excluded.last_id, "
    "updated_ms = excluded.updated_ms";

static int pg_cursor_get(struct store *base, int64_t ws,
                         enum sf_object object, struct store_cursor *out,
                         struct err *err)
{
    struct store_pg *s = store_pg__from(base);
    struct store_pg_params p;
    PGresult *res;

    store_pg__params_init(&p);
    store_pg__param_int64(&p, ws);
    store_pg__param_text(&p, mapping_object_name(object));
    if (!(res = store_pg__run(s, sql_cursor_get, &p, false, "get cursor",
                              err)))
        return SYNC_EDB;
    if (PQntuples(res) > 0) {
        out->modstamp_ms = store_pg__int64(res, 0, 0);
        snprintf(out->last_id, sizeof(out->last_id), "%s",
                 PQgetvalue(res, 0, 1));
    }
    PQclear(res);
    return 0;
}

static int pg_cursor_set(struct store *base, int64_t ws,
                         enum sf_object object,
                         const struct store_cursor *cursor, struct err *err)
{
    struct store_pg_params p;

    store_pg__params_init(&p);
    store_pg__param_int64(&p, ws);
    store_pg__param_text(&p, mapping_object_name(object));
    store_pg__param_int64(&p, cursor->modstamp_ms);
    store_pg__param_text(&p, cursor->last_id);
    store_pg__param_int64(&p, datetime_now_ms());
    return store_pg__run_command(store_pg__from(base), sql_cursor_set, &p,
                                 "set cursor", err);
}

/* Runs. */

static const char sql_run_begin[] =
    "INSERT INTO runs (workspace_id, kind, sf_object, started_ms, status, "
    "owner_pid, owner_start) VALUES ($1, $2, $3, $4, 'running', $5, $6) "
    "RETURNING id";
static const char sql_run_finish[] =
    "UPDATE runs SET finished_ms = $1, status = $2, created = $3, "
    "updated = $4, unchanged = $5, skipped = $6, errors = $7, "
    "api_calls = $8, message = $9, pushed = $10, pulled = $11, "
    "deleted = $12, conflicts = $13, error_code = $14 "
    "WHERE id = $15 AND workspace_id = $16";
#define RUN_COLUMNS                                                          \
    "SELECT id, workspace_id, kind, sf_object, started_ms, finished_ms, "   \
    "status, created, updated, unchanged, skipped, errors, api_calls, "     \
    "message, pushed, pulled, deleted, conflicts, api, expected, "          \
    "error_code FROM runs "
static const char sql_run_get[] =
    RUN_COLUMNS "WHERE id = $1 AND workspace_id = $2";
static const char sql_run_list[] =
    RUN_COLUMNS "WHERE workspace_id = $1 ORDER BY id DESC LIMIT $2";

static const char sql_run_list_page[] =
    RUN_COLUMNS "WHERE workspace_id = $1 AND ($2::text IS NULL OR kind = $2) "
    "ORDER BY id DESC LIMIT $3 OFFSET $4";
/* $2 is one run, or 0 for every run started before $3. */
#define RUN_DELETE_WHERE                                                     \
    "workspace_id = $1 AND status <> 'running' AND "                       \
    "(id = $2 OR ($2 = 0 AND started_ms < $3))"
static const char sql_run_unlink_conflicts[] =
    "UPDATE conflicts SET run_id = NULL WHERE workspace_id = $1 AND run_id "
    "IN (SELECT id FROM runs WHERE " RUN_DELETE_WHERE ")";
static const char sql_run_delete[] = "DELETE FROM runs WHERE " RUN_DELETE_WHERE;

static void read_run(PGresult *res, int row, struct store_run *out)
{
    out->id = store_pg__int64(res, row, 0);
    out->workspace_id = store_pg__int64(res, row, 1);
    out->kind = store_pg__text(res, row, 2);
    out->object = store_pg__object(res, row, 3);
    out->started_ms = store_pg__int64(res, row, 4);
    out->finished_ms = store_pg__int64(res, row, 5);
    out->status = store_pg__text(res, row, 6);
    out->counts.created = store_pg__int64(res, row, 7);
    out->counts.updated = store_pg__int64(res, row, 8);
    out->counts.unchanged = store_pg__int64(res, row, 9);
    out->counts.skipped = store_pg__int64(res, row, 10);
    out->counts.errors = store_pg__int64(res, row, 11);
    out->counts.api_calls = store_pg__int64(res, row, 12);
    out->message = store_pg__text(res, row, 13);
    out->counts.pushed = store_pg__int64(res, row, 14);
    out->counts.pulled = store_pg__int64(res, row, 15);
    out->counts.deleted = store_pg__int64(res, row, 16);
    out->counts.conflicts = store_pg__int64(res, row, 17);
    out->api = store_pg__text(res, row, 18);
    out->expected =
        PQgetisnull(res, row, 19) ? -1 : store_pg__int64(res, row, 19);
    out->error_code = store_pg__text(res, row, 20);
}

static int pg_run_begin(struct store *base, int64_t ws, const char *kind,
                        int object, int64_t *out_id, struct err *err)
{
    struct store_pg_params p;
    PGresult *res;
    int64_t pid, start;

    store__process_identity(&pid, &start);
    store_pg__params_init(&p);
    store_pg__param_int64(&p, ws);
    store_pg__param_text(&p, kind);
    store_pg__param_text(&p, store_pg__object_column(object));
    store_pg__param_int64(&p, datetime_now_ms());
    store_pg__param_int64(&p, pid);
    store_pg__param_int64(&p, start);
    if (!(res = store_pg__run(store_pg__from(base), sql_run_begin, &p, false,
                              "begin run", err)))
        return SYNC_EDB;
    *out_id = store_pg__int64(res, 0, 0);
    PQclear(res);
    return 0;
}

static int pg_run_finish(struct store *base, int64_t ws, int64_t run_id,
                         const char *status,
                         const struct store_run_counts *counts,
                         const char *message, const char *error_code,
                         struct err *err)
{
    struct store_pg_params p;
    PGresult *res;
    int64_t changed;

    store_pg__params_init(&p);
    store_pg__param_int64(&p, datetime_now_ms());
    store_pg__param_text(&p, status);
    store_pg__param_int64(&p, counts->created);
    store_pg__param_int64(&p, counts->updated);
    store_pg__param_int64(&p, counts->unchanged);
    store_pg__param_int64(&p, counts->skipped);
    store_pg__param_int64(&p, counts->errors);
    store_pg__param_int64(&p, counts->api_calls);
    store_pg__param_text(&p, message);
    store_pg__param_int64(&p, counts->pushed);
    store_pg__param_int64(&p, counts->pulled);
    store_pg__param_int64(&p, counts->deleted);
    store_pg__param_int64(&p, counts->conflicts);
    store_pg__param_text(&p, error_code);
    store_pg__param_int64(&p, run_id);
    store_pg__param_int64(&p, ws);
    if (!(res = store_pg__run(store_pg__from(base), sql_run_finish, &p,
                              false, "finish run", err)))
        return SYNC_EDB;
    changed = store_pg__changes(res);
    PQclear(res);
    if (changed == 0)
        return err_set(err, SYNC_ENOTFOUND, "run %lld not found",
                       (long long)run_id);
    return 0;
}

/* From the comparison with 0 PostgreSQL would infer $2 as integer, which
 * rejects an expected count above 2^31 - 1, so the casts make it BIGINT. */
static const char sql_run_progress[] =
    "UPDATE runs SET api = coalesce($1::text, api), "
    "expected = CASE WHEN $2::bigint < 0 THEN expected ELSE $2::bigint END, "
    "created = $3, updated = $4, unchanged = $5, skipped = $6, errors = $7, "
    "api_calls = $8, pushed = $9, pulled = $10, deleted = $11, "
    "conflicts = $12 "
    "WHERE id = $13 AND workspace_id = $14 AND finished_ms IS NULL";

static int pg_run_progress(struct store *base, int64_t ws, int64_t run_id,
                           const char *api, int64_t expected,
                           const struct store_run_counts *counts,
                           struct err *err)
{
    struct store_pg_params p;
    PGresult *res;
    int64_t changed;

    store_pg__params_init(&p);
    store_pg__param_text(&p, api);
    store_pg__param_int64(&p, expected);
    store_pg__param_int64(&p, counts->created);
    store_pg__param_int64(&p, counts->updated);
    store_pg__param_int64(&p, counts->unchanged);
    store_pg__param_int64(&p, counts->skipped);
    store_pg__param_int64(&p, counts->errors);
    store_pg__param_int64(&p, counts->api_calls);
    store_pg__param_int64(&p, counts->pushed);
    store_pg__param_int64(&p, counts->pulled);
    store_pg__param_int64(&p, counts->deleted);
    store_pg__param_int64(&p, counts->conflicts);
    store_pg__param_int64(&p, run_id);
    store_pg__param_int64(&p, ws);
    if (!(res = store_pg__run(store_pg__from(base), sql_run_progress, &p,
                              false, "record run progress", err)))
        return SYNC_EDB;
    changed = store_pg__changes(res);
    PQclear(res);
    if (changed == 0)
        return err_set(err, SYNC_ENOTFOUND, "running run %lld not found",
                       (long long)run_id);
    return 0;
}

static int pg_run_get(struct store *base, int64_t ws, int64_t run_id,
                      struct store_run *out, struct err *err)
{
    struct store_pg_params p;
    PGresult *res;
    bool found;

    store_pg__params_init(&p);
    store_pg__param_int64(&p, run_id);
    store_pg__param_int64(&p, ws);
    if (!(res = store_pg__run(store_pg__from(base), sql_run_get, &p, false,
                              "get run", err)))
        return SYNC_EDB;
    found = PQntuples(res) > 0;
    if (found)
        read_run(res, 0, out);
    PQclear(res);
    if (!found)
        return err_set(err, SYNC_ENOTFOUND, "run %lld not found",
                       (long long)run_id);
    return 0;
}

static int pg_run_list(struct store *base, int64_t ws, size_t limit,
                       struct store_run **out, size_t *out_count,
                       struct err *err)
{
    struct store_pg_params p;
    struct store_run *items;
    PGresult *res;
    int rows;

    store_pg__params_init(&p);
    store_pg__param_int64(&p, ws);
    store_pg__param_int64(&p, store_pg__list_limit(limit));
    if (!(res = store_pg__run(store_pg__from(base), sql_run_list, &p, false,
                              "list runs", err)))
        return SYNC_EDB;
    rows = PQntuples(res);
    items = rows ? xcalloc((size_t)rows, sizeof(*items)) : NULL;
    for (int i = 0; i < rows; i++)
        read_run(res, i, &items[i]);
    PQclear(res);
    *out = items;
    *out_count = (size_t)rows;
    return 0;
}

static int pg_run_list_page(struct store *base, int64_t ws, const char *kind,
                            size_t offset, size_t limit,
                            struct store_run **out, size_t *out_count,
                            struct err *err)
{
    struct store_pg_params p;
    struct store_run *items;
    PGresult *res;
    int rows;

    store_pg__params_init(&p);
    store_pg__param_int64(&p, ws);
    store_pg__param_text(&p, kind);
    store_pg__param_int64(&p, store_pg__list_limit(limit));
    store_pg__param_int64(&p, (int64_t)offset);
    if (!(res = store_pg__run(store_pg__from(base), sql_run_list_page, &p,
                              false, "list runs", err)))
        return SYNC_EDB;
    rows = PQntuples(res);
    items = rows ? xcalloc((size_t)rows, sizeof(*items)) : NULL;
    for (int i = 0; i < rows; i++)
        read_run(res, i, &items[i]);
    PQclear(res);
    *out = items;
    *out_count = (size_t)rows;
    return 0;
}

static int pg_run_delete(struct store *base, int64_t ws, int64_t run_id,
                         int64_t before_ms, size_t *out_count,
                         struct err *err)
{
    struct store_pg *s = store_pg__from(base);
    struct store_pg_params p;
    PGresult *res = NULL;
    bool owned;
    int rc;

    *out_count = 0;
    if ((rc = store_pg__tx_enter(s, &owned, true, err)) < 0)
        return rc;
    store_pg__params_init(&p);
    store_pg__param_int64(&p, ws);
    store_pg__param_int64(&p, run_id);
    store_pg__param_int64(&p, before_ms);
    rc = store_pg__run_command(s, sql_run_unlink_conflicts, &p,
                               "delete runs", err);
    if (rc == 0 &&
        !(res = store_pg__run(s, sql_run_delete, &p, false, "delete runs",
                              err)))
        rc = SYNC_EDB;
    if (res) {
        *out_count = (size_t)store_pg__changes(res);
        PQclear(res);
    }
    return store_pg__tx_leave(s, owned, true, rc, err);
}

/* Sync errors. */

static const char sql_sync_error_add[] =
    "INSERT INTO sync_errors (workspace_id, contact_id, sf_object, sf_id, "
    "code, message, retryable, created_ms, version, id) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, coalesce($10::bigint, "
    "nextval(pg_get_serial_sequence('sync_errors', 'id'))))";
#define SYNC_ERROR_COLUMNS                                                   \
    "SELECT id, workspace_id, contact_id, sf_object, sf_id, code, message, " \
    "retryable, created_ms, version FROM sync_errors "
static const char sql_sync_error_list[] =
    SYNC_ERROR_COLUMNS "WHERE workspace_id = $1 AND ($2::bigint = 0 OR "
    "contact_id = $2) ORDER BY id DESC LIMIT $3";
static const char sql_sync_error_list_records[] =
    SYNC_ERROR_COLUMNS "WHERE workspace_id = $1 AND contact_id IS NULL AND "
    "sf_id IS NOT NULL AND retryable ORDER BY id LIMIT $2";
static const char sql_sync_error_clear[] =
    "DELETE FROM sync_errors WHERE workspace_id = $1 AND contact_id = $2";
static const char sql_sync_error_clear_record[] =
    "DELETE FROM sync_errors WHERE workspace_id = $1 AND sf_id = $2 AND "
    "contact_id IS NULL";
static const char sql_sync_error_retry_all[] =
    "UPDATE sync_errors SET retryable = true WHERE workspace_id = $1 AND "
    "NOT retryable";
/* $2 is a comma-separated list of the codes to leave permanent. */
static const char sql_sync_error_retry_except[] =
    "UPDATE sync_errors SET retryable = true WHERE workspace_id = $1 AND "
    "NOT retryable AND "
    "NOT (coalesce(code, '') = ANY (string_to_array($2::text, ',')))";
static const char sql_sync_error_count_permanent[] =
    "SELECT count(*) FROM sync_errors WHERE workspace_id = $1 AND "
    "NOT retryable";

static int pg_sync_error_add(struct store *base,
                             const struct store_sync_error *e,
                             struct err *err)
{
    struct store_pg_params p;

    store_pg__params_init(&p);
    store_pg__param_int64(&p, e->workspace_id);
    if (e->contact_id > 0)
        store_pg__param_int64(&p, e->contact_id);
    else
        store_pg__param_text(&p, NULL);
    store_pg__param_text(&p, store_pg__object_column(e->object));
    store_pg__param_text(&p, e->sf_id[0] ? e->sf_id : NULL);
    store_pg__param_text(&p, e->code);
    store_pg__param_text(&p, e->message);
    store_pg__param_bool(&p, e->retryable);
    store_pg__param_int64(&p, datetime_now_ms());
    store_pg__param_int64(&p, e->version);
    if (e->id > 0)
        store_pg__param_int64(&p, e->id);
    else
        store_pg__param_text(&p, NULL);
    return store_pg__run_command(store_pg__from(base), sql_sync_error_add,
                                 &p, "add sync error", err);
}

static void read_sync_error(PGresult *res, int row,
                            struct store_sync_error *out)
{
    out->id = store_pg__int64(res, row, 0);
    out->workspace_id = store_pg__int64(res, row, 1);
    out->contact_id = store_pg__int64(res, row, 2);
    out->object = store_pg__object(res, row, 3);
    snprintf(out->sf_id, sizeof(out->sf_id), "%s",
             PQgetisnull(res, row, 4) ? "" : PQgetvalue(res, row, 4));
    out->code = store_pg__text(res, row, 5);
    out->message = store_pg__text(res, row, 6);
    out->retryable = store_pg__bool(res, row, 7);
    out->created_ms = store_pg__int64(res, row, 8);
    out->version = store_pg__int64(res, row, 9);
}

static int list_sync_errors(struct store_pg *s, const char *sql,
                            const struct store_pg_params *p, const char *op,
                            struct store_sync_error **out, size_t *out_count,
                            struct err *err)
{
    struct store_sync_error *items;
    PGresult *res;
    int rows;

    if (!(res = store_pg__run(s, sql, p, false, op, err)))
        return SYNC_EDB;
    rows = PQntuples(res);
    items = rows ? xcalloc((size_t)rows, sizeof(*items)) : NULL;
    for (int i = 0; i < rows; i++)
        read_sync_error(res, i, &items[i]);
    PQclear(res);
    *out = items;
    *out_count = (size_t)rows;
    return 0;
}

static int pg_sync_error_list(struct store *base, int64_t ws,
                              int64_t contact_id, size_t limit,
                              struct store_sync_error **out,
                              size_t *out_count, struct err *err)
{
    struct store_pg_params p;

    store_pg__params_init(&p);
    store_pg__param_int64(&p, ws);
    store_pg__param_int64(&p, contact_id);
    store_pg__param_int64(&p, store_pg__list_limit(limit));
    return list_sync_errors(store_pg__from(base), sql_sync_error_list, &p,
                            "list sync errors", out, out_count, err);
}

static int pg_sync_error_list_records(struct store *base, int64_t ws,
                                      size_t limit,
                                      struct store_sync_error **out,
                                      size_t *out_count, struct err *err)
{
    struct store_pg_params p;

    store_pg__params_init(&p);
    store_pg__param_int64(&p, ws);
    store_pg__param_int64(&p, store_pg__list_limit(limit));
    return list_sync_errors(store_pg__from(base), sql_sync_error_list_records,
                            &p, "list record sync errors", out, out_count,
                            err);
}

static int pg_sync_error_clear(struct store *base, int64_t ws,
                               int64_t contact_id, struct err *err)
{
    struct store_pg_params p;

    store_pg__params_init(&p);
    store_pg__param_int64(&p, ws);
    store_pg__param_int64(&p, contact_id);
    return store_pg__run_command(store_pg__from(base), sql_sync_error_clear,
                                 &p, "clear sync errors", err);
}

static int pg_sync_error_clear_record(struct store *base, int64_t ws,
                                      const char *sf_id, struct err *err)
{
    struct store_pg_params p;

    store_pg__params_init(&p);
    store_pg__param_int64(&p, ws);
    store_pg__param_text(&p, sf_id);
    return store_pg__run_command(store_pg__from(base),
                                 sql_sync_error_clear_record, &p,
                                 "clear record sync errors", err);
}

static int pg_sync_error_retry_all(struct store *base, int64_t ws,
                                   int64_t *out_count, struct err *err)
{
    struct store_pg_params p;
    PGresult *res;

    store_pg__params_init(&p);
    store_pg__param_int64(&p, ws);
    if (!(res = store_pg__run(store_pg__from(base), sql_sync_error_retry_all,
                              &p, false, "mark sync errors retryable", err)))
        return SYNC_EDB;
    *out_count = store_pg__changes(res);
    PQclear(res);
    return 0;
}

static const char sql_sync_error_retry[] =
    "UPDATE sync_errors SET retryable = true WHERE workspace_id = $1 AND "
    "id = $2 RETURNING id, workspace_id, contact_id, sf_object, sf_id, "
    "code, message, retryable, created_ms, version";

static int pg_sync_error_retry(struct store *base, int64_t ws, int64_t id,
                               struct store_sync_error *out, struct err *err)
{
    struct store_pg_params p;
    struct store_sync_error *rows = NULL;
    size_t n = 0;
    int rc;

    store_pg__params_init(&p);
    store_pg__param_int64(&p, ws);
    store_pg__param_int64(&p, id);
    rc = list_sync_errors(store_pg__from(base), sql_sync_error_retry, &p,
                          "mark sync error retryable", &rows, &n, err);
    if (rc < 0)
        return rc;
    if (n == 0)
        return err_set(err, SYNC_ENOTFOUND, "sync error %" PRId64 " not found",
                       id);
    *out = rows[0];
    free(rows);
    return 0;
}

static int pg_sync_error_retry_except(struct store *base, int64_t ws,
                                      const char *codes, int64_t *out_retried,
                                      int64_t *out_skipped, struct err *err)
{
    struct store_pg *s = store_pg__from(base);
    const char *op = "mark sync errors retryable";
    struct store_pg_params p;
    PGresult *res;
    bool owned;
    int rc;

    if ((rc = store_pg__tx_enter(s, &owned, false, err)) < 0)
        return rc;
    store_pg__params_init(&p);
    store_pg__param_int64(&p, ws);
    store_pg__param_text(&p, codes);
    if (!(res = store_pg__run(s, sql_sync_error_retry_except, &p, false, op,
                              err))) {
        rc = SYNC_EDB;
        goto out;
    }
    *out_retried = store_pg__changes(res);
    PQclear(res);
    /* Every permanent error left has one of the codes. */
    store_pg__params_init(&p);
    store_pg__param_int64(&p, ws);
    if (!(res = store_pg__run(s, sql_sync_error_count_permanent, &p, false,
                              op, err))) {
        rc = SYNC_EDB;
        goto out;
    }
    *out_skipped = store_pg__int64(res, 0, 0);
    PQclear(res);
out:
    return store_pg__tx_leave(s, owned, false, rc, err);
}

/* Outbox. Entries are written by store_pg_contact.c with each local
 * change. */

static const char sql_outbox_pending[] =
    "SELECT id, contact_id, version, operation, created_ms FROM outbox "
    "WHERE workspace_id = $1 AND state = 'pending' AND id > $2 ORDER BY id "
    "LIMIT $3";
static const char sql_outbox_ack[] =
    "UPDATE outbox SET state = 'done' WHERE workspace_id = $1 AND "
    "contact_id = $2 AND version <= $3 AND state = 'pending'";

static int pg_outbox_pending(struct store *base, int64_t ws, int64_t after_id,
                             size_t limit, struct store_outbox_entry **out,
                             size_t *out_count, struct err *err)
{
    struct store_pg_params p;
    struct store_outbox_entry *items;
    PGresult *res;
    int rows;

    store_pg__params_init(&p);
    store_pg__param_int64(&p, ws);
    store_pg__param_int64(&p, after_id);
    store_pg__param_int64(&p, store_pg__list_limit(limit));
    if (!(res = store_pg__run(store_pg__from(base), sql_outbox_pending, &p,
                              false, "list outbox", err)))
        return SYNC_EDB;
    rows = PQntuples(res);
    items = rows ? xcalloc((size_t)rows, sizeof(*items)) : NULL;
    for (int i = 0; i < rows; i++) {
        struct store_outbox_entry *e = &items[i];

        e->id = store_pg__int64(res, i, 0);
        e->contact_id = store_pg__int64(res, i, 1);
        e->version = store_pg__int64(res, i, 2);
        /* The CHECK constraint admits only names that parse. */
        e->operation = (enum store_outbox_op)store__outbox_op_parse(
            PQgetvalue(res, i, 3));
        e->created_ms = store_pg__int64(res, i, 4);
    }
    PQclear(res);
    *out = items;
    *out_count = (size_t)rows;
    return 0;
}

static int pg_outbox_ack(struct store *base, int64_t ws, int64_t contact_id,
                         int64_t version, struct err *err)
{
    struct store_pg_params p;

    store_pg__params_init(&p);
    store_pg__param_int64(&p, ws);
    store_pg__param_int64(&p, contact_id);
    store_pg__param_int64(&p, version);
    return store_pg__run_command(store_pg__from(base), sql_outbox_ack, &p,
                                 "acknowledge outbox", err);
}

/* Credentials, already encrypted by store.c. */

static const char sql_credential_put[] =
    "INSERT INTO credentials (workspace_id, kind, ciphertext, nonce, "
    "updated_ms) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (workspace_id, kind) "
    "DO UPDATE SET ciphertext = excluded.ciphertext, nonce = excluded.nonce, "
    "updated_ms = excluded.updated_ms";
/* Read in binary format, so the BYTEA columns arrive as raw bytes. */
static const char sql_credential_get[] =
    "SELECT ciphertext, nonce FROM credentials "
    "WHERE workspace_id = $1 AND kind = $2";
static const char sql_credential_delete[] =
    "DELETE FROM credentials WHERE workspace_id = $1 AND kind = $2";

static int pg_credential_put(struct store *base, int64_t ws,
                             const char *kind, const unsigned char *cipher,
                             size_t cipher_len,
                             const unsigned char nonce[SECRET_NONCE_SIZE],
                             struct err *err)
{
    struct store_pg_params p;

    store_pg__params_init(&p);
    store_pg__param_int64(&p, ws);
    store_pg__param_text(&p, kind);
    store_pg__param_bytes(&p, cipher, cipher_len);
    store_pg__param_bytes(&p, nonce, SECRET_NONCE_SIZE);
    store_pg__param_int64(&p, datetime_now_ms());
    return store_pg__run_command(store_pg__from(base), sql_credential_put,
                                 &p, "store credential", err);
}

static const char sql_credential_any[] =
    "SELECT EXISTS (SELECT 1 FROM credentials)";

static int pg_credential_any(struct store *base, bool *out, struct err *err)
{
    PGresult *res;

    *out = false;
    if (!(res = store_pg__run(store_pg__from(base), sql_credential_any, NULL,
                              false, "look for credentials", err)))
        return SYNC_EDB;
    *out = store_pg__bool(res, 0, 0);
    PQclear(res);
    return 0;
}

static int pg_credential_get(struct store *base, int64_t ws,
                             const char *kind, unsigned char **out_cipher,
                             size_t *out_len,
                             unsigned char nonce[SECRET_NONCE_SIZE],
                             struct err *err)
{
    struct store_pg_params p;
    PGresult *res;
    size_t len;
    int rc = 0;

    store_pg__params_init(&p);
    store_pg__param_int64(&p, ws);
    store_pg__param_text(&p, kind);
    if (!(res = store_pg__run(store_pg__from(base), sql_credential_get, &p,
                              true, "get credential", err)))
        return SYNC_EDB;
    if (PQntuples(res) == 0) {
        rc = err_set(err, SYNC_ENOTFOUND, "credential '%s' not found", kind);
        goto out;
    }
    if (PQgetlength(res, 0, 1) != SECRET_NONCE_SIZE) {
        rc = err_set(err, SYNC_EINVALID,
                     "stored credential '%s' has a malformed nonce; store it "
                     "again",
                     kind);
        goto out;
    }
    memcpy(nonce, PQgetvalue(res, 0, 1), SECRET_NONCE_SIZE);
    len = (size_t)PQgetlength(res, 0, 0);
    *out_cipher = xmalloc(len ? len : 1);
    if (len)
        memcpy(*out_cipher, PQgetvalue(res, 0, 0), len);
    *out_len = len;
out:
    PQclear(res);
    return rc;
}

static const char sql_credential_oldest[] =
    "SELECT ciphertext, nonce FROM credentials "
    "ORDER BY updated_ms, workspace_id, kind LIMIT 1";

static int pg_credential_oldest(struct store *base,
                                unsigned char **out_cipher, size_t *out_len,
                                unsigned char nonce[SECRET_NONCE_SIZE],
                                struct err *err)
{
    PGresult *res;
    size_t len;
    int rc = 0;

    if (!(res = store_pg__run(store_pg__from(base), sql_credential_oldest,
                              NULL, true, "get the oldest credential", err)))
        return SYNC_EDB;
    if (PQntuples(res) == 0) {
        rc = err_set(err, SYNC_ENOTFOUND, "the store holds no credential");
        goto out;
    }
    if (PQgetlength(res, 0, 1) != SECRET_NONCE_SIZE) {
        rc = err_set(err, SYNC_EINVALID,
                     "the oldest stored credential has a malformed nonce; "
                     "store it again");
        goto out;
    }
    memcpy(nonce, PQgetvalue(res, 0, 1), SECRET_NONCE_SIZE);
    len = (size_t)PQgetlength(res, 0, 0);
    *out_cipher = xmalloc(len ? len : 1);
    if (len)
        memcpy(*out_cipher, PQgetvalue(res, 0, 0), len);
    *out_len = len;
out:
    PQclear(res);
    return rc;
}

static int pg_credential_delete(struct store *base, int64_t ws,
                                const char *kind, struct err *err)
{
    struct store_pg_params p;

    store_pg__params_init(&p);
    store_pg__param_int64(&p, ws);
    store_pg__param_text(&p, kind);
    return store_pg__run_command(store_pg__from(base), sql_credential_delete,
                                 &p, "delete credential", err);
}

static const struct store_ops pg_ops = {
    .name = "postgresql",
    .close = pg_close,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .workspace_get = pg_workspace_get,
    .workspace_get_by_id = pg_workspace_get_by_id,
    .workspace_set_region = pg_workspace_set_region,
    .setting_get = pg_setting_get,
    .setting_set = pg_setting_set,
    .setting_list = pg_setting_list,
    .contact_insert = store_pg__contact_insert,
    .contact_update = store_pg__contact_update,
    .contact_get = store_pg__contact_get,
    .contact_list = store_pg__contact_list,
    .contact_find_unlinked = store_pg__contact_find_unlinked,
    .contact_unlinked_after = store_pg__contact_unlinked_after,
    .contact_find = store_pg__contact_find,
    .link_get = store_pg__link_get,
    .link_find = store_pg__link_find,
    .link_upsert = store_pg__link_upsert,
    .link_delete = store_pg__link_delete,
    .cursor_get = pg_cursor_get,
    .cursor_set = pg_cursor_set,
    .run_begin = pg_run_begin,
    .run_finish = pg_run_finish,
    .run_progress = pg_run_progress,
    .run_get = pg_run_get,
    .run_list = pg_run_list,
    .run_list_running = store_pg__run_list_running,
    .run_abandon = store_pg__run_abandon,
    .workspace_list = store_pg__workspace_list,
    .workspace_delete = store_pg__workspace_delete,
    .clock_ms = store_pg__clock_ms,
    .lease_take = store_pg__lease_take,
    .lease_renew = store_pg__lease_renew,
    .lease_release = store_pg__lease_release,
    .lease_get = store_pg__lease_get,
    .notify_wait = store_pg__notify_wait,
    .run_set_worker = store_pg__run_set_worker,
    .link_backlinks_set = store_pg__link_backlinks_set,
    .link_backlinks_stale = store_pg__link_backlinks_stale,
    .run_list_page = pg_run_list_page,
    .run_delete = pg_run_delete,
    .sync_error_add = pg_sync_error_add,
    .sync_error_list = pg_sync_error_list,
    .sync_error_clear = pg_sync_error_clear,
    .sync_error_clear_record = pg_sync_error_clear_record,
    .sync_error_retry_all = pg_sync_error_retry_all,
    .sync_error_retry = pg_sync_error_retry,
    .sync_error_list_records = pg_sync_error_list_records,
    .outbox_pending = pg_outbox_pending,
    .outbox_ack = pg_outbox_ack,
    .outbox_requeue = store_pg__outbox_requeue,
    .conflict_add = store_pg__conflict_add,
    .conflict_list = store_pg__conflict_list,
    .intent_put = store_pg__intent_put,
    .intent_get = store_pg__intent_get,
    .intent_delete = store_pg__intent_delete,
    .intent_list = store_pg__intent_list,
    .tombstone_put = store_pg__tombstone_put,
    .tombstone_get = store_pg__tombstone_get,
    .tombstone_delete = store_pg__tombstone_delete,
    .lock_get = store_pg__lock_get,
    .lock_put = store_pg__lock_put,
    .lock_delete = store_pg__lock_delete,
    .lock_take = store_pg__lock_take,
    .lock_drop = store_pg__lock_drop,
    .lock_probe = store_pg__lock_probe,
    .credential_put = pg_credential_put,
    .credential_get = pg_credential_get,
    .credential_delete = pg_credential_delete,
    .credential_any = pg_credential_any,
    .credential_oldest = pg_credential_oldest,
    .oauth_attempt_add = store_pg__oauth_attempt_add,
    .oauth_attempt_take = store_pg__oauth_attempt_take,
    .oauth_attempt_delete_expired = store_pg__oauth_attempt_delete_expired,
    .oauth_attempt_workspace = store_pg__oauth_attempt_workspace,
    .user_add = store_pg__user_add,
    .user_get = store_pg__user_get,
    .user_list = store_pg__user_list,
    .user_delete = store_pg__user_delete,
    .user_set_password = store_pg__user_set_password,
    .api_token_delete_user = store_pg__api_token_delete_user,
    .session_add = store_pg__session_add,
    .session_get = store_pg__session_get,
    .session_touch = store_pg__session_touch,
    .session_delete = store_pg__session_delete,
    .session_delete_idle = store_pg__session_delete_idle,
    .api_token_add = store_pg__api_token_add,
    .api_token_get = store_pg__api_token_get,
    .api_token_touch = store_pg__api_token_touch,
    .sync_error_retry_except = pg_sync_error_retry_except,
    .contact_set_phones = store_pg__contact_set_phones,
};

int store_pg__open(struct store **out, const char *conninfo,
                   const char *display, struct err *err)
{
    struct store_pg *s;
    int rc = 0;

    *out = NULL;
    s = xcalloc(1, sizeof(*s));
    s->base.ops = &pg_ops;
    s->conninfo = xstrdup(conninfo);
    s->display = xstrdup(display);
    hmap_init(&s->stmts, false);
    s->conn = PQconnectdb(conninfo);
    if (!s->conn || PQstatus(s->conn) != CONNECTION_OK) {
        char line[ERR_MSG_MAX];

        store_pg__error_line(s->conn ? PQerrorMessage(s->conn)
                                     : "out of memory",
                             line, sizeof(line));
        rc = store_pg__fail_text(err, line,
                                 "cannot connect to PostgreSQL server '%s'",
                                 display);
        goto out;
    }
    PQsetNoticeProcessor(s->conn, ignore_notice, NULL);
    session_setup(s);
    if ((rc = store_pg__migrate(s, err)) < 0) {
        err_prefix(err, "database '%s'", display);
        goto out;
    }
    store_pg__contact_sql_init(s);
    *out = &s->base;
out:
    if (rc < 0)
        pg_close(&s->base);
    return rc;
}
