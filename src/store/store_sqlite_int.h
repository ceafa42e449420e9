/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * The internals shared by the files of the SQLite backend: the handle, the
 * statement cache and the error and transaction helpers.
 */
#ifndef SFSYNC_STORE_SQLITE_INT_H
#define SFSYNC_STORE_SQLITE_INT_H

#include <sqlite3.h>

#include "base/hmap.h"
#include "store_int.h"

/* Slots of struct store_sqlite.recent, a power of two. */
#define STORE_SQLITE_RECENT_SLOTS 256

/* The page cache: 16 MiB (a negative size counts KiB). */
#define STORE_SQLITE_CACHE_PRAGMA "PRAGMA cache_size = -16384"

struct store_sqlite {
    struct store base;   /* first, so a struct store * converts */
    sqlite3 *db;
    char *path;          /* owned */
    struct hmap stmts;   /* SQL text -> sqlite3_stmt *, prepared once */
    /* The statements of stmts by the address of their SQL text, which is
     * a constant or owned by the store, so a hit hashes no text. */
    struct {
        const char *sql;
        sqlite3_stmt *st;
    } recent[STORE_SQLITE_RECENT_SLOTS];
    bool explicit_tx;    /* store_begin opened a transaction */
    /* Contact statements, generated from the field table at open. */
    char *sql_contact_insert;
    char *sql_contact_update;
    char *sql_contact_get;
    char *sql_contact_list;
    char *sql_contact_count;
};

static inline struct store_sqlite *store_sqlite__from(struct store *s)
{
    return (struct store_sqlite *)s;
}

/*
 * Return the prepared statement for sql, preparing it on first use. sql is
 * the cache key and must stay alive as long as the handle (a literal or a
 * string the handle owns). Return NULL with SYNC_EDB in err naming op.
 */
sqlite3_stmt *store_sqlite__stmt(struct store_sqlite *s, const char *sql,
                                 const char *op, struct err *err);

/*
 * Step st. Return 1 for a row, 0 when done, or SYNC_EDB with the SQLite
 * message and op in err, in which case st has been reset.
 */
int store_sqlite__step(struct store_sqlite *s, sqlite3_stmt *st,
                       const char *op, struct err *err);

/* Reset st and clear its bindings for the next use. */
void store_sqlite__done(sqlite3_stmt *st);

/* Fill err with SYNC_EDB, op and the connection's last SQLite message. */
int store_sqlite__fail(struct store_sqlite *s, const char *op,
                       struct err *err);

/* Run statements that return no rows, outside the cache. */
int store_sqlite__exec(sqlite3 *db, const char *sql, const char *op,
                       struct err *err);

/*
 * Make the next writes atomic: BEGIN IMMEDIATE when no transaction is open
 * (*owned is set), otherwise a savepoint inside the caller's transaction.
 */
int store_sqlite__tx_enter(struct store_sqlite *s, bool *owned,
                           struct err *err);

/*
 * Commit what tx_enter began when rc is 0, roll it back otherwise. Return
 * rc, or SYNC_EDB when the commit fails.
 */
int store_sqlite__tx_leave(struct store_sqlite *s, bool owned, int rc,
                           struct err *err);

/* Binding fails only on a wrong index or out of memory. Both are bugs here,
 * so these abort through BUG() instead of returning. NULL text binds SQL
 * NULL. */
void store_sqlite__bind_text(sqlite3_stmt *st, int index, const char *text);
void store_sqlite__bind_int64(sqlite3_stmt *st, int index, int64_t value);
void store_sqlite__bind_blob(sqlite3_stmt *st, int index, const void *data,
                             size_t len);

/* A heap copy of a text column, or NULL for SQL NULL. */
char *store_sqlite__column_text(sqlite3_stmt *st, int column);

/* The text of an enum sf_object for an sf_object column, NULL for -1, and
 * the reverse (-1 for NULL). */
const char *store_sqlite__object_column(int object);
int store_sqlite__object_from_column(sqlite3_stmt *st, int column);

/* The LIMIT of a list call: limit, or the largest page for 0 or more. */
int64_t store_sqlite__list_limit(size_t limit);

/* Apply every migration the file lacks, each in its own transaction. */
int store_sqlite__migrate(sqlite3 *db, struct err *err);

/* Build the contact statements of s from the field table. */
void store_sqlite__contact_sql_init(struct store_sqlite *s);
void store_sqlite__contact_sql_release(struct store_sqlite *s);

/* Backend operations on contacts and links (store_sqlite_contact.c). */
int store_sqlite__contact_insert(struct store *s, struct contact *c,
                                 const char *digits, enum store_origin origin,
                                 struct err *err);
int store_sqlite__contact_update(struct store *s, struct contact *c,
                                 const char *digits, enum store_origin origin,
                                 struct err *err);
int store_sqlite__contact_get(struct store *s, int64_t ws, int64_t id,
                              struct contact *out, struct err *err);
int store_sqlite__contact_list(struct store *s, int64_t ws,
                               const struct store__search *search,
                               struct store_contact_list *out,
                               struct err *err);
int store_sqlite__contact_indexes_drop_if_empty(struct store *s,
                                                bool *out_dropped,
                                                struct err *err);
int store_sqlite__contact_indexes_build(struct store *s, struct err *err);
int store_sqlite__contact_unlinked_after(struct store *s, int64_t ws,
                                         int64_t after_id, bool *out_any,
                                         int64_t *out_max_id,
                                         struct err *err);
int store_sqlite__contact_find_unlinked(struct store *s, int64_t ws,
                                        enum store_match match,
                                        const char *value, int64_t *ids,
                                        size_t max, size_t *out_count,
                                        struct err *err);
int store_sqlite__contact_find(struct store *s, int64_t ws,
                               enum store_match match, const char *value,
                               const char *email, int64_t *ids, size_t max,
                               size_t *out_count, struct err *err);
int store_sqlite__link_get(struct store *s, int64_t ws, int64_t contact_id,
                           struct store_link *out, struct err *err);
int store_sqlite__link_find(struct store *s, int64_t ws, const char *sf_id,
                            struct store_link *out, struct err *err);
int store_sqlite__link_upsert(struct store *s, const struct store_link *link,
                              const char *base_json, struct err *err);
int store_sqlite__link_delete(struct store *s, int64_t ws,
                              int64_t contact_id, struct err *err);
int store_sqlite__outbox_requeue(struct store *s, int64_t ws,
                                 int64_t contact_id, struct err *err);

/* The write of recomputed phone forms (store_sqlite_region.c). */
int store_sqlite__contact_set_phones(struct store *s, const struct contact *c,
                                     const char *digits, struct err *err);

/* Backend operations on conflicts and create intents
 * (store_sqlite_sync.c). */
int store_sqlite__conflict_add(struct store *s, const struct store_conflict *c,
                               struct err *err);
int store_sqlite__conflict_list(struct store *s, int64_t ws, int64_t run_id,
                                size_t limit, struct store_conflict **out,
                                size_t *out_count, struct err *err);
int store_sqlite__intent_put(struct store *s, struct store_intent *intent,
                             struct err *err);
int store_sqlite__intent_get(struct store *s, int64_t ws, int64_t contact_id,
                             struct store_intent *out, struct err *err);
int store_sqlite__intent_delete(struct store *s, int64_t ws,
                                int64_t contact_id, struct err *err);
int store_sqlite__intent_list(struct store *s, int64_t ws,
                              enum sf_object object,
                              struct store_intent **out, size_t *out_count,
                              struct err *err);

/* Backend operations on tombstones and locks
 * (store_sqlite_tombstone.c). */
int store_sqlite__tombstone_put(struct store *s, struct store_tombstone *t,
                                struct err *err);
int store_sqlite__tombstone_get(struct store *s, int64_t ws,
                                int64_t contact_id,
                                struct store_tombstone *out, struct err *err);
int store_sqlite__tombstone_delete(struct store *s, int64_t ws,
                                   int64_t contact_id, struct err *err);
int store_sqlite__lock_get(struct store *s, int64_t ws, const char *name,
                           struct store_lock *out, struct err *err);
int store_sqlite__lock_take(struct store *s, int64_t ws, const char *name,
                            int *out_fd, struct err *err);
void store_sqlite__lock_drop(struct store *s, int64_t ws, const char *name,
                             int fd);
int store_sqlite__lock_probe(struct store *s, int64_t ws, const char *name,
                             bool *out_held, struct err *err);
int store_sqlite__lock_put(struct store *s, const struct store_lock *lock,
                           struct err *err);
int store_sqlite__lock_delete(struct store *s, int64_t ws, const char *name,
                              int64_t pid, struct err *err);
/* Backend operations on users, sessions and API tokens
 * (store_sqlite_users.c). */
int store_sqlite__user_add(struct store *s, struct store_user *u,
                           struct err *err);
int store_sqlite__user_get(struct store *s, int64_t ws, const char *name,
                           int64_t id, struct store_user *out,
                           struct err *err);
int store_sqlite__user_list(struct store *s, int64_t ws,
                            struct store_user **out, size_t *out_count,
                            struct err *err);
int store_sqlite__user_set_password(struct store *s, int64_t ws,
                                    const char *name,
                                    const char *password_hash,
                                    struct err *err);
int store_sqlite__api_token_delete_user(struct store *s, int64_t ws,
                                        int64_t user_id, int64_t *out_count,
                                        struct err *err);
int store_sqlite__user_delete(struct store *s, int64_t ws, const char *name,
                              struct err *err);
int store_sqlite__session_add(struct store *s,
                              const struct store_session *session,
                              struct err *err);
int store_sqlite__session_get(struct store *s, int64_t ws,
                              const char *id_hash, struct store_session *out,
                              struct err *err);
int store_sqlite__session_touch(struct store *s, int64_t ws,
                                const char *id_hash, int64_t last_seen_ms,
                                struct err *err);
int store_sqlite__session_delete(struct store *s, int64_t ws,
                                 const char *id_hash, struct err *err);
int store_sqlite__session_delete_idle(struct store *s, int64_t ws,
                                      int64_t before_ms, int64_t *out_count,
                                      struct err *err);
int store_sqlite__api_token_add(struct store *s,
                                const struct store_api_token *t,
                                struct err *err);
int store_sqlite__api_token_get(struct store *s, int64_t ws,
                                const char *token_hash,
                                struct store_api_token *out, struct err *err);
int store_sqlite__api_token_touch(struct store *s, int64_t ws,
                                  const char *token_hash,
                                  int64_t last_used_ms, struct err *err);

/* Run owners and back links (store_sqlite_owners.c). */
int store_sqlite__run_list_running(struct store *s, int64_t ws,
                                   struct store_run_owner **out,
                                   size_t *out_count, struct err *err);
int store_sqlite__run_abandon(struct store *s, int64_t ws, int64_t run_id,
                              const char *message, struct err *err);
int store_sqlite__link_backlinks_set(struct store *s, int64_t ws,
                                     const char *const *sf_ids,
                                     const char *const *values, size_t n,
                                     struct err *err);
int store_sqlite__link_backlinks_stale(struct store *s, int64_t ws,
                                       enum sf_object object,
                                       const char *prefix, int64_t after_id,
                                       size_t limit,
                                       struct store_backlink **out,
                                       size_t *out_count, struct err *err);

/* Pending OAuth sign-in attempts (store_sqlite_oauth.c). */
int store_sqlite__oauth_attempt_add(
    struct store *s, const struct store_oauth_attempt *a,
    const unsigned char *cipher, size_t cipher_len,
    const unsigned char nonce[SECRET_NONCE_SIZE], size_t keep, struct err *err);
int store_sqlite__oauth_attempt_take(
    struct store *s, int64_t ws, const char *state_hash,
    struct store_oauth_attempt *out, unsigned char **out_cipher,
    size_t *out_len, unsigned char nonce[SECRET_NONCE_SIZE], struct err *err);
int store_sqlite__oauth_attempt_workspace(struct store *s,
                                          const char *state_hash,
                                          int64_t *out_ws, struct err *err);
int store_sqlite__oauth_attempt_delete_expired(struct store *s, int64_t ws,
                                               int64_t before_ms,
                                               int64_t *out_count,
                                               struct err *err);
/* Workspaces (store_sqlite_workspaces.c). */
int store_sqlite__workspace_list(struct store *s,
                                 struct store_workspace **out,
                                 size_t *out_count, struct err *err);
int store_sqlite__workspace_delete(struct store *s, int64_t ws,
                                   struct store_table_count *counts,
                                   struct err *err);

#endif
