/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * The copy of a SQLite store into an empty PostgreSQL store (sfsync
 * migrate). Both schemas have the same tables and column names, so each
 * table is copied by name: every SQLite row becomes one INSERT with the
 * same values, 0/1 turned into BOOLEAN and BLOB into BYTEA.
 */
#include "base/common.h"

#include <sys/stat.h>

#include "base/buf.h"
#include "store_pg_int.h"
#include "store_sqlite_int.h"

/*
 * In foreign-key order, parents first. locks is left out: a lock names a
 * process working on the source file, which is not using the target, and
 * a copied row would make the target look busy to the first sync while
 * that process lives.
 */
static const char *const tables[STORE_COPY_TABLES] = {
    "workspaces", "settings", "contacts", "links", "credentials", "cursors",
    "runs", "sync_errors", "outbox", "conflicts", "create_intents",
    "tombstones", "users", "sessions", "api_tokens",
};

/* The tables whose id is an identity column, whose sequence must follow
 * the copied ids. */
static const char *const identity_tables[] = {
    "workspaces", "contacts", "runs", "sync_errors", "outbox", "conflicts",
    "users",
};

enum column_kind { COLUMN_TEXT, COLUMN_BOOL, COLUMN_BYTES };

struct copy {
    struct store_sqlite *from;
    struct store_pg *to;
};

static int pg_fail(struct copy *c, PGresult *res, const char *what,
                   const char *table, struct err *err)
{
    const char *message = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY)
                              : NULL;

    return err_set(err, SYNC_EDB, "%s of table '%s' failed: %.160s", what,
                   table, message ? message : PQerrorMessage(c->to->conn));
}

/* A query returning one integer, with table as $1 when params is set. */
static int pg_int(struct copy *c, const char *sql, const char *table,
                  bool param, int64_t *out, struct err *err)
{
    PGresult *res = PQexecParams(c->to->conn, sql, param ? 1 : 0, NULL,
                                 param ? &table : NULL, NULL, NULL, 0);
    int rc = 0;

    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
        rc = pg_fail(c, res, "read", table, err);
    else
        *out = store_pg__int64(res, 0, 0);
    PQclear(res);
    return rc;
}

static int sqlite_count(struct copy *c, const char *table, int64_t *out,
                        struct err *err)
{
    char *sql = xasprintf("SELECT count(*) FROM %s", table);
    sqlite3_stmt *st = NULL;
    int rc = 0;

    if (sqlite3_prepare_v2(c->from->db, sql, -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW)
        rc = err_set(err, SYNC_EDB, "count rows of '%s' failed: %s", table,
                     sqlite3_errmsg(c->from->db));
    else
        *out = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    free(sql);
    return rc;
}

/* Reject a target that contains a row in any table. */
static int check_empty(struct copy *c, struct err *err)
{
    for (size_t i = 0; i < ARRAY_SIZE(tables); i++) {
        char *sql = xasprintf("SELECT count(*) FROM %s", tables[i]);
        int64_t rows = 0;
        int rc = pg_int(c, sql, tables[i], false, &rows, err);

        free(sql);
        if (rc < 0)
            return rc;
        if (rows > 0)
            return err_set(err, SYNC_EINVALID,
                           "target database '%s' already contains %lld %s in "
                           "table '%s'; migrate into an empty database",
                           c->to->display, (long long)rows,
                           rows == 1 ? "row" : "rows", tables[i]);
    }
    return 0;
}

static enum column_kind column_kind(struct copy *c, const char *table,
                                    const char *column, struct err *err,
                                    int *rc)
{
    const char *values[2] = {table, column};
    PGresult *res = PQexecParams(
        c->to->conn,
        "SELECT data_type FROM information_schema.columns WHERE "
        "table_schema = current_schema() AND table_name = $1 AND "
        "column_name = $2",
        2, NULL, values, NULL, NULL, 0);
    enum column_kind kind = COLUMN_TEXT;

    *rc = 0;
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        *rc = pg_fail(c, res, "read columns", table, err);
    else if (PQntuples(res) != 1)
        *rc = err_set(err, SYNC_EDB,
                      "column '%s' of table '%s' is missing in the target "
                      "database; both must be at the same schema version",
                      column, table);
    else if (strcmp(PQgetvalue(res, 0, 0), "boolean") == 0)
        kind = COLUMN_BOOL;
    else if (strcmp(PQgetvalue(res, 0, 0), "bytea") == 0)
        kind = COLUMN_BYTES;
    PQclear(res);
    return kind;
}

/* Build the INSERT of table's columns, and find each column's kind. */
static int plan_insert(struct copy *c, const char *table, sqlite3_stmt *st,
                       enum column_kind *kinds, char **out_sql,
                       struct err *err)
{
    int columns = sqlite3_column_count(st);
    struct buf sql;
    int rc = 0;

    if (columns > STORE_PG_PARAMS_MAX)
        return err_set(err, SYNC_EDB, "table '%s' has %d columns, more than "
                       "%d", table, columns, STORE_PG_PARAMS_MAX);
    buf_init(&sql, 0);
    buf_printf(&sql, "INSERT INTO %s (", table);
    for (int i = 0; i < columns && rc == 0; i++) {
        const char *name = sqlite3_column_name(st, i);

        kinds[i] = column_kind(c, table, name, err, &rc);
        buf_printf(&sql, "%s%s", i ? ", " : "", name);
    }
    buf_puts(&sql, ") VALUES (");
    for (int i = 0; i < columns; i++)
        buf_printf(&sql, "%s$%d", i ? ", " : "", i + 1);
    buf_puts(&sql, ")");
    if (rc < 0) {
        buf_release(&sql);
        return rc;
    }
    *out_sql = buf_detach(&sql);
    return 0;
}

static void row_params(sqlite3_stmt *st, const enum column_kind *kinds,
                       struct store_pg_params *p)
{
    store_pg__params_init(p);
    for (int i = 0; i < sqlite3_column_count(st); i++) {
        if (sqlite3_column_type(st, i) == SQLITE_NULL) {
            store_pg__param_text(p, NULL);
        } else if (kinds[i] == COLUMN_BOOL) {
            store_pg__param_bool(p, sqlite3_column_int64(st, i) != 0);
        } else if (kinds[i] == COLUMN_BYTES) {
            store_pg__param_bytes(p, sqlite3_column_blob(st, i),
                                  (size_t)sqlite3_column_bytes(st, i));
        } else {
            store_pg__param_text(p,
                                 (const char *)sqlite3_column_text(st, i));
        }
    }
}

static int copy_table(struct copy *c, const char *table, struct err *err)
{
    enum column_kind kinds[STORE_PG_PARAMS_MAX];
    char *select = xasprintf("SELECT * FROM %s ORDER BY rowid", table);
    char *insert = NULL;
    sqlite3_stmt *st = NULL;
    PGresult *res;
    int step, rc = 0;

    if (sqlite3_prepare_v2(c->from->db, select, -1, &st, NULL) != SQLITE_OK) {
        rc = err_set(err, SYNC_EDB, "read table '%s' failed: %s", table,
                     sqlite3_errmsg(c->from->db));
        goto out;
    }
    if ((rc = plan_insert(c, table, st, kinds, &insert, err)) < 0)
        goto out;
    res = PQprepare(c->to->conn, "", insert, 0, NULL);
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        rc = pg_fail(c, res, "prepare copy", table, err);
    PQclear(res);
    while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_pg_params p;

        row_params(st, kinds, &p);
        res = PQexecPrepared(c->to->conn, "", p.count, p.values, p.lengths,
                             p.formats, 0);
        if (PQresultStatus(res) != PGRES_COMMAND_OK)
            rc = pg_fail(c, res, "copy", table, err);
        PQclear(res);
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = err_set(err, SYNC_EDB, "read table '%s' failed: %s", table,
                     sqlite3_errmsg(c->from->db));
out:
    sqlite3_finalize(st);
    free(select);
    free(insert);
    return rc;
}

/* Move each identity sequence past the copied ids, so that the next
 * insert does not reuse one. */
static int advance_sequences(struct copy *c, struct err *err)
{
    for (size_t i = 0; i < ARRAY_SIZE(identity_tables); i++) {
        char *sql = xasprintf("SELECT setval(pg_get_serial_sequence('%s', "
                              "'id'), coalesce(max(id), 0) + 1, false) "
                              "FROM %s",
                              identity_tables[i], identity_tables[i]);
        int64_t next;
        int rc = pg_int(c, sql, identity_tables[i], false, &next, err);

        free(sql);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int verify_counts(struct copy *c,
                         struct store_copy_count counts[STORE_COPY_TABLES],
                         struct err *err)
{
    for (size_t i = 0; i < ARRAY_SIZE(tables); i++) {
        char *sql = xasprintf("SELECT count(*) FROM %s", tables[i]);
        int64_t have = 0, want = 0;
        int rc = sqlite_count(c, tables[i], &want, err);

        if (rc == 0)
            rc = pg_int(c, sql, tables[i], false, &have, err);
        free(sql);
        if (rc < 0)
            return rc;
        if (have != want)
            return err_set(err, SYNC_EDB,
                           "table '%s' has %lld rows in the target but %lld "
                           "in the source; nothing was migrated",
                           tables[i], (long long)have, (long long)want);
        counts[i].table = tables[i];
        counts[i].rows = have;
    }
    return 0;
}

static int open_both(struct store **from, struct store **to,
                     const char *source, const char *target, struct err *err)
{
    struct stat st;
    int rc;

    *from = *to = NULL;
    if (!store_target_is_file(source))
        return err_set(err, SYNC_EINVALID,
                       "the source store must be a SQLite file; give its "
                       "path with --db");
    if (store_target_is_file(target))
        return err_set(err, SYNC_EINVALID,
                       "migration target '%s' is not a PostgreSQL URI; give "
                       "postgresql://user@host/dbname",
                       target);
    if (stat(source, &st) < 0)
        return err_set(err, SYNC_ENOTFOUND,
                       "no database at '%s'; give the SQLite store to copy "
                       "with --db",
                       source);
    if ((rc = store_open(from, source, err)) < 0)
        return rc;
    return store_open(to, target, err);
}

int store_copy_to_postgres(const char *source, const char *target,
                           struct store_copy_count counts[STORE_COPY_TABLES],
                           struct err *err)
{
    struct store *from = NULL, *to = NULL;
    struct copy c;
    int rc;

    memset(counts, 0, STORE_COPY_TABLES * sizeof(*counts));
    if ((rc = open_both(&from, &to, source, target, err)) < 0)
        goto out;
    c.from = store_sqlite__from(from);
    c.to = store_pg__from(to);
    /* The source is read inside one transaction, so a sync running
     * meanwhile cannot make the copy inconsistent. */
    if ((rc = store_sqlite__exec(c.from->db, "BEGIN", "begin read", err)) < 0)
        goto out;
    if ((rc = store_pg__exec(c.to, "BEGIN", "begin migration", err)) < 0)
        goto out;
    /* Another migration or process writing the target waits for this
     * one, and the emptiness check stays true until the commit. */
    rc = store_pg__exec(c.to,
                        "LOCK TABLE workspaces, settings, contacts, links, "
                        "credentials, cursors, runs, sync_errors, outbox, "
                        "conflicts, create_intents, tombstones, users, "
                        "sessions, api_tokens IN EXCLUSIVE MODE",
                        "lock target tables", err);
    if (rc == 0)
        rc = check_empty(&c, err);
    for (size_t i = 0; rc == 0 && i < ARRAY_SIZE(tables); i++)
        rc = copy_table(&c, tables[i], err);
    if (rc == 0)
        rc = advance_sequences(&c, err);
    if (rc == 0)
        rc = verify_counts(&c, counts, err);
    if (rc == 0)
        rc = store_pg__exec(c.to, "COMMIT", "commit migration", err);
    else
        PQclear(PQexec(c.to->conn, "ROLLBACK"));
    sqlite3_exec(c.from->db, "ROLLBACK", NULL, NULL, NULL);
out:
    store_close(to);
    store_close(from);
    return rc;
}
