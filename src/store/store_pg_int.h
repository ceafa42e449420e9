/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * The internals shared by the files of the PostgreSQL backend: the handle,
 * the prepared-statement cache, parameter lists and the error and
 * transaction helpers. Every statement is prepared once per connection and
 * run with PQexecPrepared; values travel as text except BYTEA, which is
 * sent and read in binary.
 */
#ifndef SFSYNC_STORE_PG_INT_H
#define SFSYNC_STORE_PG_INT_H

#include <libpq-fe.h>

#include "base/hmap.h"
#include "store_int.h"

/* The most parameters one statement of the backend takes. */
#define STORE_PG_PARAMS_MAX 48

struct store_pg {
    struct store base;   /* first, so a struct store * converts */
    PGconn *conn;
    char *conninfo;      /* owned: the target as given, password included */
    char *display;       /* owned: "host:port/dbname", never a password */
    struct hmap stmts;   /* SQL text -> statement name, on this connection */
    int next_stmt;       /* number of the next statement name */
    bool explicit_tx;    /* store_begin opened a transaction */
    bool tx_lost;        /* the connection dropped inside explicit_tx */
    char sqlstate[6];    /* SQLSTATE of the last failed statement, or "" */
    /* The last workspace read by id inside explicit_tx, reused until the
     * transaction ends, because every contact write reads its region. */
    struct store_workspace tx_workspace;
    /* Contact statements, generated from the field table at open. */
    char *sql_contact_insert;
    char *sql_contact_insert_local; /* with its outbox entry and NOTIFY */
    char *sql_contact_update;
    char *sql_contact_get;
    char *sql_contact_get_for_update;
    char *sql_contact_list;
    char *sql_contact_count;
};

/* The parameters of one statement. Text values are borrowed; numbers are
 * formatted into the list itself. */
struct store_pg_params {
    const char *values[STORE_PG_PARAMS_MAX];
    int lengths[STORE_PG_PARAMS_MAX];
    int formats[STORE_PG_PARAMS_MAX];
    char numbers[STORE_PG_PARAMS_MAX][24];
    int count;
};

static inline struct store_pg *store_pg__from(struct store *s)
{
    return (struct store_pg *)s;
}

void store_pg__params_init(struct store_pg_params *p);
/* NULL text is SQL NULL. */
void store_pg__param_text(struct store_pg_params *p, const char *text);
void store_pg__param_int64(struct store_pg_params *p, int64_t value);
void store_pg__param_bool(struct store_pg_params *p, bool value);
void store_pg__param_bytes(struct store_pg_params *p, const void *data,
                           size_t len);

/*
 * Run sql, preparing it on this connection first when needed, with params
 * (NULL for none); binary asks for binary result columns. sql is the cache
 * key and must stay alive as long as the handle. Return the result, which
 * the caller frees with PQclear, or NULL with SYNC_EDB in err naming op.
 * A connection lost before the call is reset once first, unless a
 * transaction was open on it.
 */
PGresult *store_pg__run(struct store_pg *s, const char *sql,
                        const struct store_pg_params *params, bool binary,
                        const char *op, struct err *err);

/* Copy the first line of libpq's message to out, without its newline;
 * message may be NULL. */
void store_pg__error_line(const char *message, char *out, size_t size);

/*
 * Set err to SYNC_EDB with the printf-style context, ": " and detail (a
 * line of libpq or the server), and return SYNC_EDB. A message longer than
 * ERR_MSG_MAX loses the end of the context, marked "...", so that the
 * server's words stay whole.
 */
int store_pg__fail_text(struct err *err, const char *detail, const char *fmt,
                        ...) __attribute__((format(printf, 3, 4)));

/* As store_pg__run for a statement whose result is not needed. */
int store_pg__run_command(struct store_pg *s, const char *sql,
                          const struct store_pg_params *params,
                          const char *op, struct err *err);

/* Run sql text without parameters or caching (BEGIN, SAVEPOINT, DDL). */
int store_pg__exec(struct store_pg *s, const char *sql, const char *op,
                   struct err *err);

/* The rows a command changed (PQcmdTuples). */
int64_t store_pg__changes(PGresult *res);

/* A heap copy of a text column, or NULL for SQL NULL. */
char *store_pg__text(PGresult *res, int row, int column);
int64_t store_pg__int64(PGresult *res, int row, int column);
bool store_pg__bool(PGresult *res, int row, int column);
/* The enum sf_object of a text column, -1 for NULL. */
int store_pg__object(PGresult *res, int row, int column);
/* The text of an enum sf_object for an sf_object column, NULL for -1. */
const char *store_pg__object_column(int object);

/* The LIMIT of a list call: limit, or the largest page for 0 or more. */
int64_t store_pg__list_limit(size_t limit);

/*
 * Make the next writes atomic: BEGIN when no transaction is open (*owned is
 * set). Inside the caller's transaction, take a savepoint when savepoint is
 * set, so that a failed statement undoes only this operation and the
 * transaction stays usable. Without one, a failed statement aborts the
 * caller's transaction, whose commit then fails, which saves two round
 * trips for operations whose failure is a database error anyway.
 */
int store_pg__tx_enter(struct store_pg *s, bool *owned, bool savepoint,
                       struct err *err);

/* Commit what tx_enter began when rc is 0, roll it back otherwise. Return
 * rc, or SYNC_EDB when the commit fails. savepoint is tx_enter's. */
int store_pg__tx_leave(struct store_pg *s, bool owned, bool savepoint,
                       int rc, struct err *err);

/* Apply every migration the database lacks, each in its own transaction
 * under an advisory lock (store_pg_schema.c). */
int store_pg__migrate(struct store_pg *s, struct err *err);

/* Build the contact statements of s from the field table. */
void store_pg__contact_sql_init(struct store_pg *s);
void store_pg__contact_sql_release(struct store_pg *s);

/* Backend operations on contacts, links and outbox (store_pg_contact.c). */
int store_pg__contact_insert(struct store *s, struct contact *c,
                             const char *digits, enum store_origin origin,
                             struct err *err);
int store_pg__contact_update(struct store *s, struct contact *c,
                             const char *digits, enum store_origin origin,
                             struct err *err);
int store_pg__contact_get(struct store *s, int64_t ws, int64_t id,
                          struct contact *out, struct err *err);
int store_pg__contact_list(struct store *s, int64_t ws,
                           const struct store__search *search,
                           struct store_contact_list *out, struct err *err);
int store_pg__contact_find_unlinked(struct store *s, int64_t ws,
                                    enum store_match match, const char *value,
                                    int64_t *ids, size_t max,
                                    size_t *out_count, struct err *err);
int store_pg__contact_unlinked_after(struct store *s, int64_t ws,
                                     int64_t after_id, bool *out_any,
                                     int64_t *out_max_id, struct err *err);
int store_pg__link_get(struct store *s, int64_t ws, int64_t contact_id,
                       struct store_link *out, struct err *err);
int store_pg__link_find(struct store *s, int64_t ws, const char *sf_id,
                        struct store_link *out, struct err *err);
int store_pg__link_upsert(struct store *s, const struct store_link *link,
                          const char *base_json, struct err *err);
int store_pg__link_delete(struct store *s, int64_t ws, int64_t contact_id,
                          struct err *err);
int store_pg__outbox_requeue(struct store *s, int64_t ws, int64_t contact_id,
                             struct err *err);

/* The write of recomputed phone forms (store_pg_region.c). */
int store_pg__contact_set_phones(struct store *s, const struct contact *c,
                                 const char *digits, struct err *err);

/* Backend operations on conflicts and create intents (store_pg_sync.c). */
int store_pg__conflict_add(struct store *s, const struct store_conflict *c,
                           struct err *err);
int store_pg__conflict_list(struct store *s, int64_t ws, int64_t run_id,
                            size_t limit, struct store_conflict **out,
                            size_t *out_count, struct err *err);
int store_pg__intent_put(struct store *s, struct store_intent *intent,
                         struct err *err);
int store_pg__intent_get(struct store *s, int64_t ws, int64_t contact_id,
                         struct store_intent *out, struct err *err);
int store_pg__intent_delete(struct store *s, int64_t ws, int64_t contact_id,
                            struct err *err);
int store_pg__intent_list(struct store *s, int64_t ws, enum sf_object object,
                          struct store_intent **out, size_t *out_count,
                          struct err *err);

/* Backend operations on users, sessions and API tokens
 * (store_pg_users.c). */
int store_pg__user_add(struct store *s, struct store_user *u,
                       struct err *err);
int store_pg__user_get(struct store *s, int64_t ws, const char *name,
                       int64_t id, struct store_user *out, struct err *err);
int store_pg__user_list(struct store *s, int64_t ws, struct store_user **out,
                        size_t *out_count, struct err *err);
int store_pg__user_delete(struct store *s, int64_t ws, const char *name,
                          struct err *err);
int store_pg__user_set_password(struct store *s, int64_t ws,
                                const char *name, const char *password_hash,
                                struct err *err);
int store_pg__api_token_delete_user(struct store *s, int64_t ws,
                                    int64_t user_id, int64_t *out_count,
                                    struct err *err);
int store_pg__session_add(struct store *s,
                          const struct store_session *session,
                          struct err *err);
int store_pg__session_get(struct store *s, int64_t ws, const char *id_hash,
                          struct store_session *out, struct err *err);
int store_pg__session_touch(struct store *s, int64_t ws, const char *id_hash,
                            int64_t last_seen_ms, struct err *err);
int store_pg__session_delete(struct store *s, int64_t ws,
                             const char *id_hash, struct err *err);
int store_pg__session_delete_idle(struct store *s, int64_t ws,
                                  int64_t before_ms, int64_t *out_count,
                                  struct err *err);
int store_pg__api_token_add(struct store *s, const struct store_api_token *t,
                            struct err *err);
int store_pg__api_token_get(struct store *s, int64_t ws,
                            const char *token_hash,
                            struct store_api_token *out, struct err *err);
int store_pg__api_token_touch(struct store *s, int64_t ws,
                              const char *token_hash, int64_t last_used_ms,
                              struct err *err);

/* Run owners and back links (store_pg_owners.c). */
int store_pg__run_list_running(struct store *s, int64_t ws,
                               struct store_run_owner **out,
                               size_t *out_count, struct err *err);
int store_pg__run_abandon(struct store *s, int64_t ws, int64_t run_id,
                          const char *message, struct err *err);
int store_pg__link_backlinks_set(struct store *s, int64_t ws,
                                 const char *const *sf_ids,
                                 const char *const *values, size_t n,
                                 struct err *err);
int store_pg__link_backlinks_stale(struct store *s, int64_t ws,
                                   enum sf_object object, const char *prefix,
                                   int64_t after_id, size_t limit,
                                   struct store_backlink **out,
                                   size_t *out_count, struct err *err);
/* Backend operations on tombstones and locks, and the contact lookups that
 * include linked contacts (store_pg_tombstone.c). */
int store_pg__contact_find(struct store *s, int64_t ws,
                           enum store_match match, const char *value,
                           const char *email, int64_t *ids, size_t max,
                           size_t *out_count, struct err *err);
int store_pg__tombstone_put(struct store *s, struct store_tombstone *t,
                            struct err *err);
int store_pg__tombstone_get(struct store *s, int64_t ws, int64_t contact_id,
                            struct store_tombstone *out, struct err *err);
int store_pg__tombstone_delete(struct store *s, int64_t ws,
                               int64_t contact_id, struct err *err);
/* Inside a transaction, also lock the row until the transaction ends. */
int store_pg__lock_get(struct store *s, int64_t ws, const char *name,
                       struct store_lock *out, struct err *err);
int store_pg__lock_take(struct store *s, int64_t ws, const char *name,
                        int *out_fd, struct err *err);
void store_pg__lock_drop(struct store *s, int64_t ws, const char *name,
                         int fd);
int store_pg__lock_probe(struct store *s, int64_t ws, const char *name,
                         bool *out_held, struct err *err);
int store_pg__lock_put(struct store *s, const struct store_lock *lock,
                       struct err *err);
int store_pg__lock_delete(struct store *s, int64_t ws, const char *name,
                          int64_t pid, struct err *err);

/* The worker's calls (store_pg_leases.c). */
int store_pg__workspace_list(struct store *s, struct store_workspace **out,
                             size_t *out_count, struct err *err);
int store_pg__clock_ms(struct store *s, int64_t *out_ms, struct err *err);
int store_pg__lease_take(struct store *s, int64_t ws, const char *owner,
                         int64_t synced_before_ms, int64_t until_ms,
                         int64_t *out_ws, struct err *err);
int store_pg__lease_renew(struct store *s, int64_t ws, const char *owner,
                          int64_t until_ms, struct err *err);
int store_pg__lease_release(struct store *s, int64_t ws, const char *owner,
                            int64_t synced_ms, struct err *err);
int store_pg__lease_get(struct store *s, int64_t ws, struct store_lease *out,
                        struct err *err);
int store_pg__notify_wait(struct store *s, int timeout_ms, int64_t *out_ws,
                          struct err *err);
int store_pg__run_set_worker(struct store *s, int64_t ws, int64_t run_id,
                             const char *worker, struct err *err);

/* Pending OAuth sign-in attempts (store_pg_oauth.c). */
int store_pg__oauth_attempt_add(struct store *s,
                                const struct store_oauth_attempt *a,
                                const unsigned char *cipher, size_t cipher_len,
                                const unsigned char nonce[SECRET_NONCE_SIZE],
                                size_t keep, struct err *err);
int store_pg__oauth_attempt_take(struct store *s, int64_t ws,
                                 const char *state_hash,
                                 struct store_oauth_attempt *out,
                                 unsigned char **out_cipher, size_t *out_len,
                                 unsigned char nonce[SECRET_NONCE_SIZE],
                                 struct err *err);
int store_pg__oauth_attempt_workspace(struct store *s, const char *state_hash,
                                      int64_t *out_ws, struct err *err);
int store_pg__oauth_attempt_delete_expired(struct store *s, int64_t ws,
                                           int64_t before_ms,
                                           int64_t *out_count, struct err *err);
/* The removal of a workspace (store_pg_workspaces.c). */
int store_pg__workspace_delete(struct store *s, int64_t ws,
                               struct store_table_count *counts,
                               struct err *err);

#endif
