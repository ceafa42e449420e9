/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * The contract between store.c and a backend. store.c checks arguments,
 * prepares contacts, canonicalises Salesforce ids and encrypts credentials.
 * A backend only reads and writes rows, so a new backend (PostgreSQL) is one
 * more table of these functions.
 */
#ifndef SFSYNC_STORE_INT_H
#define SFSYNC_STORE_INT_H

#include "store.h"

#include "secret.h"

/* The kind of a contact lookup: by a phone's E.164 form or by the email,
 * among unarchived contacts or among archived contacts that still have a
 * link. */
enum store_match {
    STORE_MATCH_PHONE,
    STORE_MATCH_EMAIL,
    STORE_MATCH_ARCHIVED_PHONE,
    STORE_MATCH_ARCHIVED_EMAIL,
};

/* The search that store_contact_list passes down, already turned into a
 * LIKE pattern and a digit string. */
struct store__search {
    const char *like;   /* "%smith%" with % _ \ escaped by '\', or NULL */
    const char *digits; /* "4155" to find in phone digits, or NULL */
    /* The pattern of the case-folded term (utf8_fold_case) when the term
     * has letters beyond ASCII, or NULL. A backend whose LIKE ignores the
     * case of ASCII letters only compares it with folded fields. */
    const char *folded_like;
    bool include_archived;
    size_t limit;
    size_t offset;
};

/* The process that recorded a running run. */
struct store_run_owner {
    int64_t run_id;
    int64_t pid;   /* 0 when the run was recorded without an owner */
    int64_t start; /* the owner's start time in clock ticks since boot */
};

struct store_ops {
    const char *name;
    void (*close)(struct store *s);
    int (*begin)(struct store *s, struct err *err);
    int (*commit)(struct store *s, struct err *err);
    int (*rollback)(struct store *s, struct err *err);

    /* create: insert the workspace when name is missing. */
    int (*workspace_get)(struct store *s, const char *name, bool create,
                         struct store_workspace *out, struct err *err);
    int (*workspace_get_by_id)(struct store *s, int64_t id,
                               struct store_workspace *out, struct err *err);
    int (*workspace_set_region)(struct store *s, int64_t id,
                                const char *region, struct err *err);

    int (*setting_get)(struct store *s, int64_t ws, const char *key,
                       char **out_value, struct err *err);
    /* A NULL value deletes the setting. */
    int (*setting_set)(struct store *s, int64_t ws, const char *key,
                       const char *value, struct err *err);
    int (*setting_list)(struct store *s, int64_t ws,
                        struct store_setting **out, size_t *out_count,
                        struct err *err);

    /* c is prepared and validated; digits is its search_digits value. */
    int (*contact_insert)(struct store *s, struct contact *c,
                          const char *digits, enum store_origin origin,
                          struct err *err);
    int (*contact_update)(struct store *s, struct contact *c,
                          const char *digits, enum store_origin origin,
                          struct err *err);
    int (*contact_get)(struct store *s, int64_t ws, int64_t id,
                       struct contact *out, struct err *err);
    int (*contact_list)(struct store *s, int64_t ws,
                        const struct store__search *search,
                        struct store_contact_list *out, struct err *err);
    int (*contact_find_unlinked)(struct store *s, int64_t ws,
                                 enum store_match match, const char *value,
                                 int64_t *ids, size_t max, size_t *out_count,
                                 struct err *err);
    /* As contact_find_unlinked, linked contacts included; a phone match
     * with email not NULL leaves out contacts with another email. */
    int (*contact_find)(struct store *s, int64_t ws, enum store_match match,
                        const char *value, const char *email, int64_t *ids,
                        size_t max, size_t *out_count, struct err *err);

    int (*contact_unlinked_after)(struct store *s, int64_t ws,
                                  int64_t after_id, bool *out_any,
                                  int64_t *out_max_id, struct err *err);
    /* NULL in a backend that keeps its contact indexes during loads. */
    int (*contact_indexes_drop_if_empty)(struct store *s, bool *out_dropped,
                                         struct err *err);
    int (*contact_indexes_build)(struct store *s, struct err *err);

    int (*link_get)(struct store *s, int64_t ws, int64_t contact_id,
                    struct store_link *out, struct err *err);
    /* sf_id is in its 18-character form. */
    int (*link_find)(struct store *s, int64_t ws, const char *sf_id,
                     struct store_link *out, struct err *err);
    /* link->sf_id is canonical; base_json is the encoded base. */
    int (*link_upsert)(struct store *s, const struct store_link *link,
                       const char *base_json, struct err *err);
    int (*link_delete)(struct store *s, int64_t ws, int64_t contact_id,
                       struct err *err);

    int (*cursor_get)(struct store *s, int64_t ws, enum sf_object object,
                      struct store_cursor *out, struct err *err);
    int (*cursor_set)(struct store *s, int64_t ws, enum sf_object object,
                      const struct store_cursor *cursor, struct err *err);

    int (*run_begin)(struct store *s, int64_t ws, const char *kind,
                     int object, int64_t *out_id, struct err *err);
    int (*run_finish)(struct store *s, int64_t ws, int64_t run_id,
                      const char *status,
                      const struct store_run_counts *counts,
                      const char *message, const char *error_code,
                      struct err *err);
    /* api NULL and expected -1 keep the stored values. */
    int (*run_progress)(struct store *s, int64_t ws, int64_t run_id,
                        const char *api, int64_t expected,
                        const struct store_run_counts *counts,
                        struct err *err);
    int (*run_get)(struct store *s, int64_t ws, int64_t run_id,
                   struct store_run *out, struct err *err);
    int (*run_list)(struct store *s, int64_t ws, size_t limit,
                    struct store_run **out, size_t *out_count,
                    struct err *err);
    /* The runs of kind (NULL for every kind), newest first, after
     * skipping offset of them. */
    int (*run_list_page)(struct store *s, int64_t ws, const char *kind,
                         size_t offset, size_t limit, struct store_run **out,
                         size_t *out_count, struct err *err);
    /* Delete the finished run run_id, or with run_id 0 every finished run
     * started before before_ms. Conflicts of a deleted run stay, without
     * their run. */
    int (*run_delete)(struct store *s, int64_t ws, int64_t run_id,
                      int64_t before_ms, size_t *out_count,
                      struct err *err);
    /* The running runs of ws with their owner (pid 0 when none). */
    int (*run_list_running)(struct store *s, int64_t ws,
                            struct store_run_owner **out, size_t *out_count,
                            struct err *err);
    /* Set status and error_code "abandoned", finished_ms and message of
     * run_id if it is still "running", keeping its counts. */
    int (*run_abandon)(struct store *s, int64_t ws, int64_t run_id,
                       const char *message, struct err *err);
    int (*link_backlinks_set)(struct store *s, int64_t ws,
                              const char *const *sf_ids,
                              const char *const *values, size_t n,
                              struct err *err);
    int (*link_backlinks_stale)(struct store *s, int64_t ws,
                                enum sf_object object, const char *prefix,
                                int64_t after_id, size_t limit,
                                struct store_backlink **out,
                                size_t *out_count, struct err *err);

    int (*sync_error_add)(struct store *s, const struct store_sync_error *e,
                          struct err *err);
    int (*sync_error_list)(struct store *s, int64_t ws, int64_t contact_id,
                           size_t limit, struct store_sync_error **out,
                           size_t *out_count, struct err *err);
    int (*sync_error_clear)(struct store *s, int64_t ws, int64_t contact_id,
                            struct err *err);

    int (*sync_error_clear_record)(struct store *s, int64_t ws,
                                   const char *sf_id, struct err *err);
    int (*sync_error_retry_all)(struct store *s, int64_t ws,
                                int64_t *out_count, struct err *err);
    /* Fill out with the row after the change; SYNC_ENOTFOUND when none. */
    int (*sync_error_retry)(struct store *s, int64_t ws, int64_t id,
                            struct store_sync_error *out, struct err *err);
    int (*sync_error_list_records)(struct store *s, int64_t ws, size_t limit,
                                   struct store_sync_error **out,
                                   size_t *out_count, struct err *err);

    /* Entries with an id above after_id, oldest first. */
    int (*outbox_pending)(struct store *s, int64_t ws, int64_t after_id,
                          size_t limit, struct store_outbox_entry **out,
                          size_t *out_count, struct err *err);
    int (*outbox_ack)(struct store *s, int64_t ws, int64_t contact_id,
                      int64_t version, struct err *err);
    int (*outbox_requeue)(struct store *s, int64_t ws, int64_t contact_id,
                          struct err *err);

    int (*conflict_add)(struct store *s, const struct store_conflict *c,
                        struct err *err);
    int (*conflict_list)(struct store *s, int64_t ws, int64_t run_id,
                         size_t limit, struct store_conflict **out,
                         size_t *out_count, struct err *err);

    /* intent->user_id is canonical; the backend sets created_ms. */
    int (*intent_put)(struct store *s, struct store_intent *intent,
                      struct err *err);
    int (*intent_get)(struct store *s, int64_t ws, int64_t contact_id,
                      struct store_intent *out, struct err *err);
    int (*intent_delete)(struct store *s, int64_t ws, int64_t contact_id,
                         struct err *err);
    int (*intent_list)(struct store *s, int64_t ws, enum sf_object object,
                       struct store_intent **out, size_t *out_count,
                       struct err *err);

    /* t->sf_id is canonical; the backend sets created_ms. */
    int (*tombstone_put)(struct store *s, struct store_tombstone *t,
                         struct err *err);
    int (*tombstone_get)(struct store *s, int64_t ws, int64_t contact_id,
                         struct store_tombstone *out, struct err *err);
    int (*tombstone_delete)(struct store *s, int64_t ws, int64_t contact_id,
                            struct err *err);

    int (*lock_get)(struct store *s, int64_t ws, const char *name,
                    struct store_lock *out, struct err *err);
    /* Insert or replace the row of lock->workspace_id and lock->name. */
    int (*lock_put)(struct store *s, const struct store_lock *lock,
                    struct err *err);
    int (*lock_delete)(struct store *s, int64_t ws, const char *name,
                       int64_t pid, struct err *err);
    /* Take the lock that store_lock_acquire describes, without waiting:
     * 0 with *out_fd set (-1 when the backend needs no descriptor), or
     * SYNC_ECONFLICT while another store or process holds it. */
    int (*lock_take)(struct store *s, int64_t ws, const char *name,
                     int *out_fd, struct err *err);
    /* Let go of a lock that lock_take took. */
    void (*lock_drop)(struct store *s, int64_t ws, const char *name, int fd);
    /* Set *out_held to whether a store other than this one holds the
     * lock, without taking it. */
    int (*lock_probe)(struct store *s, int64_t ws, const char *name,
                      bool *out_held, struct err *err);

    int (*credential_put)(struct store *s, int64_t ws, const char *kind,
                          const unsigned char *cipher, size_t cipher_len,
                          const unsigned char nonce[SECRET_NONCE_SIZE],
                          struct err *err);
    /* *out_cipher is heap memory the caller frees. */
    int (*credential_get)(struct store *s, int64_t ws, const char *kind,
                          unsigned char **out_cipher, size_t *out_len,
                          unsigned char nonce[SECRET_NONCE_SIZE],
                          struct err *err);
    int (*credential_delete)(struct store *s, int64_t ws, const char *kind,
                             struct err *err);
    /* Whether any workspace has a credential. */
    int (*credential_any)(struct store *s, bool *out, struct err *err);
    /* Read the least recently stored credential of any workspace, or
     * return SYNC_ENOTFOUND. *out_cipher is heap memory the caller
     * frees. */
    int (*credential_oldest)(struct store *s, unsigned char **out_cipher,
                             size_t *out_len,
                             unsigned char nonce[SECRET_NONCE_SIZE],
                             struct err *err);

    /* cipher contains the verifier, a NUL byte and the client secret;
     * a->verifier and a->client_secret are not read. Then delete the
     * attempts that expired before a->created_ms and all but the keep
     * newest. */
    int (*oauth_attempt_add)(struct store *s,
                             const struct store_oauth_attempt *a,
                             const unsigned char *cipher, size_t cipher_len,
                             const unsigned char nonce[SECRET_NONCE_SIZE],
                             size_t keep, struct err *err);
    /* Delete the row and fill out without its secrets; *out_cipher is
     * heap memory the caller frees. */
    int (*oauth_attempt_take)(struct store *s, int64_t ws,
                              const char *state_hash,
                              struct store_oauth_attempt *out,
                              unsigned char **out_cipher, size_t *out_len,
                              unsigned char nonce[SECRET_NONCE_SIZE],
                              struct err *err);
    int (*oauth_attempt_delete_expired)(struct store *s, int64_t ws,
                                        int64_t before_ms, int64_t *out_count,
                                        struct err *err);
    int (*oauth_attempt_workspace)(struct store *s, const char *state_hash,
                                   int64_t *out_ws, struct err *err);

    int (*user_add)(struct store *s, struct store_user *u, struct err *err);
    /* By name when name is not NULL, else by id. */
    int (*user_get)(struct store *s, int64_t ws, const char *name,
                    int64_t id, struct store_user *out, struct err *err);
    int (*user_list)(struct store *s, int64_t ws, struct store_user **out,
                     size_t *out_count, struct err *err);
    int (*user_delete)(struct store *s, int64_t ws, const char *name,
                       struct err *err);
    /* Replace the hash and delete the user's sessions in one transaction. */
    int (*user_set_password)(struct store *s, int64_t ws, const char *name,
                             const char *password_hash, struct err *err);
    int (*api_token_delete_user)(struct store *s, int64_t ws,
                                 int64_t user_id, int64_t *out_count,
                                 struct err *err);
    int (*session_add)(struct store *s, const struct store_session *session,
                       struct err *err);
    int (*session_get)(struct store *s, int64_t ws, const char *id_hash,
                       struct store_session *out, struct err *err);
    int (*session_touch)(struct store *s, int64_t ws, const char *id_hash,
                         int64_t last_seen_ms, struct err *err);
    int (*session_delete)(struct store *s, int64_t ws, const char *id_hash,
                          struct err *err);
    int (*session_delete_idle)(struct store *s, int64_t ws,
                               int64_t before_ms, int64_t *out_count,
                               struct err *err);
    int (*api_token_add)(struct store *s, const struct store_api_token *t,
                         struct err *err);
    int (*api_token_get)(struct store *s, int64_t ws, const char *token_hash,
                         struct store_api_token *out, struct err *err);
    int (*api_token_touch)(struct store *s, int64_t ws,
                           const char *token_hash, int64_t last_used_ms,
                           struct err *err);

    /* Every workspace in id order. */
    int (*workspace_list)(struct store *s, struct store_workspace **out,
                          size_t *out_count, struct err *err);
    /* Delete every row of ws, counts in store__workspace_tables order;
     * SYNC_ENOTFOUND when the workspaces table had no row ws. */
    int (*workspace_delete)(struct store *s, int64_t ws,
                            struct store_table_count *counts,
                            struct err *err);
    /* The worker's calls (store_leases.c); NULL on SQLite. */
    int (*clock_ms)(struct store *s, int64_t *out_ms, struct err *err);
    int (*lease_take)(struct store *s, int64_t ws, const char *owner,
                      int64_t synced_before_ms, int64_t until_ms,
                      int64_t *out_ws, struct err *err);
    int (*lease_renew)(struct store *s, int64_t ws, const char *owner,
                       int64_t until_ms, struct err *err);
    int (*lease_release)(struct store *s, int64_t ws, const char *owner,
                         int64_t synced_ms, struct err *err);
    int (*lease_get)(struct store *s, int64_t ws, struct store_lease *out,
                     struct err *err);
    int (*notify_wait)(struct store *s, int timeout_ms, int64_t *out_ws,
                       struct err *err);
    int (*run_set_worker)(struct store *s, int64_t ws, int64_t run_id,
                          const char *worker, struct err *err);
    /* codes is a comma-separated list of error codes. */
    int (*sync_error_retry_except)(struct store *s, int64_t ws,
                                   const char *codes, int64_t *out_retried,
                                   int64_t *out_skipped, struct err *err);
    /* Write only c's E.164 forms, validity flags and the search digits. */
    int (*contact_set_phones)(struct store *s, const struct contact *c,
                              const char *digits, struct err *err);
};

/* Load the key of encrypted credentials on first use. Return 0,
 * SYNC_EINVALID or SYNC_EIO. */
int store__ensure_key(struct store *s, struct err *err);

/*
 * Set *pid and *start to the identity of this process that run_begin
 * records with a run; *start is 0 when /proc cannot tell it.
 */
void store__process_identity(int64_t *pid, int64_t *start);

/* The part of every handle that store.c reads; a backend's handle starts
 * with it. */
/* A workspace lock this store holds. */
struct store_held_lock {
    int64_t workspace_id;
    char name[32];
    int fd; /* the SQLite backend's lock file, or -1 */
};

#define STORE_HELD_LOCKS 8

struct store {
    const struct store_ops *ops;
    char *key_path;          /* owned: the key file, or NULL for none */
    struct secret_key key;   /* valid when key_loaded */
    bool key_loaded;
    char *run_worker; /* owned: store_set_run_worker's name, or NULL */
    struct store_held_lock held[STORE_HELD_LOCKS];
    size_t held_count;
    /* Set when a lost database connection took the held locks with it;
     * every store call fails until they are released. */
    bool locks_lost;
};

/* Whether this store holds the lock name of ws. */
bool store__lock_held(const struct store *s, int64_t ws, const char *name);

/* Let go of every lock the store holds, before it closes. */
void store__locks_drop_all(struct store *s);

/*
 * Open a SQLite store at path. *out receives the handle with base.ops set;
 * the caller fills key_path. Return 0, SYNC_EIO or SYNC_EDB.
 */
int store_sqlite__open(struct store **out, const char *path,
                       struct err *err);

/*
 * Open a PostgreSQL store with a libpq connection string or URI. display is
 * the server as error messages name it, without the password. *out receives
 * the handle with base.ops set; the caller fills key_path. Return 0 or
 * SYNC_EDB.
 */
int store_pg__open(struct store **out, const char *conninfo,
                   const char *display, struct err *err);

/* The tables that store_workspace_delete empties of a workspace, in the
 * order it deletes them: rows that reference others first. */
extern const char *const store__workspace_tables[STORE_WORKSPACE_TABLES];

/* Return the name of an outbox operation as the outbox table stores it, and
 * the reverse (-1 when unknown). */
int store__outbox_op_parse(const char *name);

#endif
