/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * Workspace locks of the PostgreSQL backend: a session-level advisory lock
 * of the two-key form, (class, workspace id), on the store's connection.
 * The server releases it when that session ends, also when the holder's
 * host dies and its connection times out, so no process guesses whether a
 * holder still lives. The two-key form never conflicts with the one-key
 * locks that migrations take.
 */
#include "base/common.h"

#include "store_pg_int.h"

/* One class per lock name: the 31-bit FNV-1a hash of the name, so that a
 * class is never negative and pg_locks.classid compares as given. */
static int64_t lock_class(const char *name)
{
    uint32_t hash = 2166136261u;

    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        hash ^= *p;
        hash *= 16777619u;
    }
    return (int64_t)(hash & 0x7fffffffu);
}

/* The second key is an int4, so a workspace id keeps its low 31 bits.
 * NOTE: workspaces whose ids differ by a multiple of 2^31 share a lock. */
static int64_t lock_key(int64_t ws)
{
    return ws & 0x7fffffff;
}

static const char sql_lock_take[] =
    "SELECT pg_try_advisory_lock($1::int4, $2::int4)";
static const char sql_lock_drop[] =
    "SELECT pg_advisory_unlock($1::int4, $2::int4)";
/* Held by another session of this database: objsubid 2 marks the
 * two-key form. */
static const char sql_lock_probe[] =
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
    "AND database = (SELECT oid FROM pg_database "
    "WHERE datname = current_database()) "
    "AND classid = $1::bigint::oid AND objid = $2::bigint::oid "
    "AND objsubid = 2 AND granted AND pid <> pg_backend_pid()";

static PGresult *run_lock(struct store *base, const char *sql, int64_t ws,
                          const char *name, const char *op, struct err *err)
{
    struct store_pg_params p;

    store_pg__params_init(&p);
    store_pg__param_int64(&p, lock_class(name));
    store_pg__param_int64(&p, lock_key(ws));
    return store_pg__run(store_pg__from(base), sql, &p, false, op, err);
}

int store_pg__lock_take(struct store *base, int64_t ws, const char *name,
                        int *out_fd, struct err *err)
{
    PGresult *res = run_lock(base, sql_lock_take, ws, name, "take lock", err);
    bool taken;

    *out_fd = -1;
    if (!res)
        return SYNC_EDB;
    taken = store_pg__bool(res, 0, 0);
    PQclear(res);
    return taken ? 0 : SYNC_ECONFLICT;
}

void store_pg__lock_drop(struct store *base, int64_t ws, const char *name,
                         int fd)
{
    struct err err;
    PGresult *res;

    (void)fd;
    res = run_lock(base, sql_lock_drop, ws, name, "release lock", &err);
    if (!res)
        log_warn("store", "releasing the advisory lock failed",
                 "workspace=%lld lock=%s error=%s", (long long)ws, name,
                 err.msg);
    PQclear(res);
}

int store_pg__lock_probe(struct store *base, int64_t ws, const char *name,
                         bool *out_held, struct err *err)
{
    PGresult *res = run_lock(base, sql_lock_probe, ws, name, "test lock",
                             err);

    *out_held = false;
    if (!res)
        return SYNC_EDB;
    *out_held = store_pg__int64(res, 0, 0) > 0;
    PQclear(res);
    return 0;
}
