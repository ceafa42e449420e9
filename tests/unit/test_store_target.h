/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * The database behind a unit test's store. With SFSYNC_TEST_PG set to a
 * PostgreSQL URI (postgresql://user@127.0.0.1:PORT/postgres), each test
 * database is a new database t_<random> on that server, dropped at the
 * end; otherwise it is a SQLite file in a new temporary directory. Either
 * way the test gets a directory of its own for other files, and the
 * credentials key lives in that directory.
 */
#ifndef SFSYNC_TEST_STORE_TARGET_H
#define SFSYNC_TEST_STORE_TARGET_H

#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <sqlite3.h>

#include "base/xalloc.h"

#define TEST_PG_ENV "SFSYNC_TEST_PG"

struct test_db {
    char *dir;      /* owned: a new temporary directory */
    char *target;   /* owned: what store_open takes */
    char *key_path; /* owned: the key file the store uses */
    char *admin;    /* owned: the server's URI from SFSYNC_TEST_PG, or NULL */
    char *name;     /* owned: the PostgreSQL database name, or NULL */
};

static inline bool test_db_is_pg(void)
{
    const char *uri = getenv(TEST_PG_ENV);

    return uri && *uri;
}

static inline int test_db_remove_entry(const char *path,
                                       const struct stat *st, int flag,
                                       struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* Run sql on the server's admin database; abort the test run on failure,
 * since no test can go on without its database. */
static inline void test_db_admin_exec(const struct test_db *db,
                                      const char *sql)
{
    PGconn *conn = PQconnectdb(db->admin);
    PGresult *res = NULL;

    if (PQstatus(conn) == CONNECTION_OK)
        res = PQexec(conn, sql);
    if (!res || PQresultStatus(res) != PGRES_COMMAND_OK) {
        fprintf(stderr, "'%s' on %s failed: %s", sql, TEST_PG_ENV,
                PQerrorMessage(conn));
        abort();
    }
    PQclear(res);
    PQfinish(conn);
}

/* The URI of the server with its database path replaced by name. */
static inline char *test_db_uri_for(const char *admin, const char *name)
{
    const char *scheme = strstr(admin, "://");
    const char *path = scheme ? strchr(scheme + 3, '/') : NULL;
    const char *query = strchr(admin, '?');

    if (!path || (query && query < path))
        path = query ? query : admin + strlen(admin);
    return xasprintf("%.*s/%s%s", (int)(path - admin), admin, name,
                     query ? query : "");
}

/* Make a fresh database for one test. prefix names the temporary
 * directory, as "sfsync-store". */
static inline void test_db_init(struct test_db *db, const char *prefix)
{
    const char *base = getenv("TMPDIR");
    static unsigned counter;

    memset(db, 0, sizeof(*db));
    db->dir = xasprintf("%s/%s-XXXXXX", base ? base : "/tmp", prefix);
    if (!mkdtemp(db->dir)) {
        perror("mkdtemp");
        abort();
    }
    if (!test_db_is_pg()) {
        db->target = xasprintf("%s/sfsync.db", db->dir);
        db->key_path = xasprintf("%s.key", db->target);
        return;
    }
    db->admin = xstrdup(getenv(TEST_PG_ENV));
    db->name = xasprintf("t_%ld_%u_%ld", (long)getpid(), counter++,
                         (long)time(NULL) % 100000);
    {
        char *sql = xasprintf("CREATE DATABASE %s", db->name);

        test_db_admin_exec(db, sql);
        free(sql);
    }
    db->target = test_db_uri_for(db->admin, db->name);
    /* A PostgreSQL store takes its key file from the environment. */
    db->key_path = xasprintf("%s/sfsync.key", db->dir);
    setenv("SFSYNC_SECRET_KEY_FILE", db->key_path, 1);
}

/* Drop the database and remove the directory. Every store on it must be
 * closed first. */
static inline void test_db_release(struct test_db *db)
{
    if (db->name) {
        char *sql = xasprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)",
                              db->name);

        test_db_admin_exec(db, sql);
        free(sql);
        unsetenv("SFSYNC_SECRET_KEY_FILE");
    }
    if (db->dir)
        nftw(db->dir, test_db_remove_entry, 8, FTW_DEPTH | FTW_PHYS);
    free(db->dir);
    free(db->target);
    free(db->key_path);
    free(db->admin);
    free(db->name);
    memset(db, 0, sizeof(*db));
}

/* Run sql on a separate connection. Return 0, or -1 after printing the
 * failure when quiet is false. */
static inline int test_db_exec_sql(const struct test_db *db, const char *sql,
                                   bool quiet)
{
    int rc = 0;

    if (db->name) {
        PGconn *conn = PQconnectdb(db->target);
        PGresult *res = PQexec(conn, sql);

        if (PQresultStatus(res) != PGRES_COMMAND_OK &&
            PQresultStatus(res) != PGRES_TUPLES_OK)
            rc = -1;
        if (rc < 0 && !quiet)
            fprintf(stderr, "'%s' failed: %s", sql, PQerrorMessage(conn));
        PQclear(res);
        PQfinish(conn);
        return rc;
    }
    {
        sqlite3 *conn = NULL;

        sqlite3_open_v2(db->target, &conn, SQLITE_OPEN_READWRITE, NULL);
        if (sqlite3_exec(conn, sql, NULL, NULL, NULL) != SQLITE_OK)
            rc = -1;
        if (rc < 0 && !quiet)
            fprintf(stderr, "'%s' failed: %s\n", sql, sqlite3_errmsg(conn));
        sqlite3_close(conn);
    }
    return rc;
}

/* Run a query returning one integer on a separate connection; -1 when it
 * fails. */
static inline long long test_db_query_int(const struct test_db *db,
                                          const char *sql)
{
    long long value = -1;

    if (db->name) {
        PGconn *conn = PQconnectdb(db->target);
        PGresult *res = PQexec(conn, sql);

        if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
            value = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
        else
            fprintf(stderr, "query '%s' failed: %s", sql,
                    PQerrorMessage(conn));
        PQclear(res);
        PQfinish(conn);
        return value;
    }
    {
        sqlite3 *conn = NULL;
        sqlite3_stmt *st = NULL;

        if (sqlite3_open_v2(db->target, &conn, SQLITE_OPEN_READWRITE, NULL) ==
                SQLITE_OK &&
            sqlite3_prepare_v2(conn, sql, -1, &st, NULL) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW)
            value = sqlite3_column_int64(st, 0);
        else
            fprintf(stderr, "query '%s' failed: %s\n", sql,
                    sqlite3_errmsg(conn));
        sqlite3_finalize(st);
        sqlite3_close(conn);
    }
    return value;
}

#endif
