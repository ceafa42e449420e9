/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * The local store: workspaces, settings, contacts, their links to
 * Salesforce records, sync cursors, the run log, sync errors, the outbox
 * and encrypted credentials. Callers see one interface; store_open picks the
 * backend from its target (a SQLite file path today). The store does no
 * Salesforce I/O and no merging, which belong to the sync layer.
 *
 * A handle is used by one thread at a time. Every fallible function returns
 * 0 or a negative enum sync_rc and fills err (NULL allowed). A database
 * failure is SYNC_EDB with the backend's message and the operation that
 * failed. Every read and write is scoped to a workspace id, so one
 * workspace never sees another's rows.
 */
#ifndef SFSYNC_STORE_H
#define SFSYNC_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/sfid.h"
#include "model/contact.h"
#include "model/mapping.h"
#include "model/phone.h"

struct err;
struct store;

/* The origin of a contact change. Only local changes are queued in the
 * outbox for the push, so a value pulled from Salesforce is never sent
 * back. */
enum store_origin { STORE_ORIGIN_LOCAL, STORE_ORIGIN_SALESFORCE };

/* Largest page store_contact_list returns, and the page size for limit 0. */
#define STORE_LIST_MAX 1000
#define STORE_LIST_DEFAULT 100

struct store_workspace {
    int64_t id;
    char *name; /* owned */
    char default_region[PHONE_REGION_SIZE]; /* for phones without '+' */
    int64_t created_ms;
};

struct store_setting {
    char *key;   /* owned */
    char *value; /* owned */
};

struct store_contact_query {
    /* Words to find in the names, company or email (ASCII letters match in
     * any case), or phone digits to find in either phone; NULL or "" for
     * every contact. */
    const char *search;
    bool include_archived;
    size_t limit;  /* 0 for STORE_LIST_DEFAULT; at most STORE_LIST_MAX */
    size_t offset; /* matches to skip, in id order */
};

struct store_contact_list {
    struct contact *items; /* owned, count of them, in id order */
    size_t count;
    int64_t total; /* matches of the whole query, not only this page */
};

/* The link of a local contact to its Salesforce record. */
struct store_link {
    int64_t contact_id;
    int64_t workspace_id;
    enum sf_object object;
    char sf_id[SFID_SIZE]; /* 18 characters, case-sensitive */
    /* The mapped values both sides last agreed on, as contact field names
     * and values (contact_fields_to_json). Owned; never NULL after a get. */
    json_t *base;
    int64_t system_modstamp_ms; /* the record's SystemModstamp, or 0 */
    int64_t last_modified_ms;   /* its LastModifiedDate, or 0 */
    int64_t updated_ms;         /* when the store last wrote the link */
};

/* The resume point of one object's pull: the last (SystemModstamp, Id)
 * applied. Both are zero or empty before the first pull. */
struct store_cursor {
    int64_t modstamp_ms;
    char last_id[SFID_SIZE];
};

struct store_run_counts {
    int64_t created;
    int64_t updated;
    int64_t unchanged;
    int64_t skipped;
    int64_t errors;
    int64_t api_calls;
    int64_t pushed;    /* records written to Salesforce */
    int64_t pulled;    /* Salesforce records that changed a local contact */
    int64_t deleted;   /* records deleted on either side */
    int64_t conflicts; /* fields changed on both sides, settled by policy */
};

struct store_run {
    int64_t id;
    int64_t workspace_id;
    char *kind;   /* owned: "pull", "push", ... */
    int object;   /* enum sf_object, or -1 for a run over every object */
    int64_t started_ms;
    int64_t finished_ms; /* 0 while the run is going */
    char *status;        /* owned: "running" until store_run_finish */
    struct store_run_counts counts;
    char *message; /* owned, or NULL */
    char *api;     /* owned: "rest" or "bulk" for a pull, or NULL */
    int64_t expected; /* records the pull expects, or -1 when unknown */
    /* owned: the code of why the run failed or stopped ("auth",
     * "network", ... as docs/api.md lists), or NULL. Runs that ended
     * before schema version 11 have NULL. */
    char *error_code;
};

struct store_sync_error {
    int64_t id;
    int64_t workspace_id;
    int64_t contact_id; /* 0 when no local contact is involved */
    int object;         /* enum sf_object, or -1 */
    char sf_id[SFID_SIZE]; /* "" when no Salesforce record is involved */
    char *code;    /* owned: Salesforce errorCode or a local code */
    char *message; /* owned */
    bool retryable;
    int64_t created_ms;
    int64_t version; /* the contact version that failed, or 0 */
};

/* One field that changed on both sides and how the policy settled it. */
struct store_conflict {
    int64_t id;
    int64_t workspace_id;
    int64_t run_id; /* 0 when no run recorded it */
    int64_t contact_id;
    int object;     /* enum sf_object */
    char sf_id[SFID_SIZE];
    char *field;        /* owned: the contact field name */
    char *local_value;  /* owned; NULL for an empty value */
    char *remote_value; /* owned; NULL for an empty value */
    char *winner;       /* owned: "local", "salesforce" or "delete" */
    char *policy;       /* owned: "newest", "salesforce", "local", ... */
    int64_t created_ms;
};

/* A Salesforce create about to be sent for a local contact. It stays until
 * the contact is linked, so that a create whose reply was lost is looked
 * for in Salesforce before it is sent again. */
struct store_intent {
    int64_t contact_id;
    int64_t workspace_id;
    enum sf_object object;
    char user_id[SFID_SIZE]; /* the integration user that creates it */
    int64_t created_ms;
};

/* The fate of a contact's Salesforce record after the contact lost its
 * link: the record was deleted in Salesforce and the contact kept
 * (survivor_id 0), or it was merged or converted into the record of
 * contact survivor_id. */
struct store_tombstone {
    int64_t contact_id;
    int64_t workspace_id;
    enum sf_object object;
    char sf_id[SFID_SIZE]; /* the record the contact was linked to */
    int64_t survivor_id;   /* 0 when the record was deleted */
    int64_t created_ms;
};

/* The description of the process holding a workspace lock, such as
 * "sync", as that process recorded it. */
struct store_lock {
    int64_t workspace_id;
    char name[32];
    int64_t pid;        /* in the holder's own PID namespace */
    int64_t started_ms;
    char host[64];      /* the holder's host name, "" when not recorded */
    char command[96];   /* such as "sfsync sync", "" when not recorded */
};

enum store_outbox_op {
    STORE_OUTBOX_CREATE,
    STORE_OUTBOX_UPDATE,
    STORE_OUTBOX_ARCHIVE
};

/* One local change waiting to be pushed. */
struct store_outbox_entry {
    int64_t id;
    int64_t contact_id;
    int64_t version; /* the contact's version after the change */
    enum store_outbox_op operation;
    int64_t created_ms;
};

/* A user of sfsync serve. */
struct store_user {
    int64_t id;
    int64_t workspace_id;
    char *name;          /* owned */
    char *role;          /* owned: "admin" or "agent" */
    char *password_hash; /* owned: an Argon2id string of crypto_pwhash_str */
    int64_t created_ms;
};

/* A sign-in session. The session id itself is never stored. */
struct store_session {
    char *id_hash;    /* owned: hex SHA-256 of the session id */
    int64_t workspace_id;
    int64_t user_id;
    char *csrf_token; /* owned */
    int64_t created_ms;
    int64_t last_seen_ms;
};

/* An API token for programs. The token itself is never stored. */
struct store_api_token {
    char *token_hash; /* owned: hex SHA-256 of the token */
    int64_t workspace_id;
    int64_t user_id;
    int64_t created_ms;
    int64_t last_used_ms; /* 0 before its first use */
};

/*
 * Open the store at target: a SQLite file path, optionally written
 * "sqlite:PATH", or a PostgreSQL libpq URI (postgresql://, postgres://) or
 * keyword string ("host=... dbname=..."). A SQLite file is created mode
 * 0600 when missing, put in WAL mode with foreign keys on. Either database
 * is migrated to the current schema, each migration in its own
 * transaction. *out receives a handle to free with store_close. Return 0,
 * SYNC_EINVALID for a malformed target, SYNC_EIO when the file cannot be
 * created, or SYNC_EDB, whose message never contains a password.
 */
int store_open(struct store **out, const char *target, struct err *err);

/* Whether target names a SQLite file rather than a database server. */
bool store_target_is_file(const char *target);

/*
 * Return a heap copy of target fit for messages and logs, which the caller
 * frees: a file path as given, a PostgreSQL target as "host:port/dbname"
 * without its user or password.
 */
char *store_target_display(const char *target);

/* Close the handle, rolling back an open transaction; NULL is allowed. */
void store_close(struct store *s);

/* Return the backend's name: "sqlite" or "postgresql". */
const char *store_backend_name(const struct store *s);

/*
 * Start a transaction that groups the following calls, so that a page of
 * pulled records and its cursor are written together or not at all. Calls
 * made outside one are atomic each on their own. Return 0, SYNC_EINVALID
 * when one is already open, or SYNC_EDB.
 */
int store_begin(struct store *s, struct err *err);

/* Commit the transaction. Return 0, SYNC_EINVALID when none is open, or
 * SYNC_EDB, in which case the transaction has been rolled back. */
int store_commit(struct store *s, struct err *err);

/* Roll the transaction back. Return 0, SYNC_EINVALID when none is open, or
 * SYNC_EDB. */
int store_rollback(struct store *s, struct err *err);

/*
 * Fill out with the workspace called name, creating it with default region
 * "US" when there is none. Release out with store_workspace_release.
 * Return 0, SYNC_EINVALID for an empty name, or SYNC_EDB.
 */
int store_workspace_get_or_create(struct store *s, const char *name,
                                  struct store_workspace *out,
                                  struct err *err);

/* As store_workspace_get_or_create, without creating: SYNC_ENOTFOUND. */
int store_workspace_get(struct store *s, const char *name,
                        struct store_workspace *out, struct err *err);

/* As store_workspace_get, by id. Return 0, SYNC_ENOTFOUND or SYNC_EDB. */
int store_workspace_get_by_id(struct store *s, int64_t workspace_id,
                              struct store_workspace *out, struct err *err);

/*
 * Set the region used to normalise phones written without a country code.
 * Contacts already stored keep their E.164 forms until they are next
 * written or store_contact_renormalize_phones runs. Return 0, SYNC_EINVALID for an unsupported region,
 * SYNC_ENOTFOUND, or SYNC_EDB.
 */
int store_workspace_set_region(struct store *s, int64_t workspace_id,
                               const char *region, struct err *err);

/* Free the contents of w; it may be filled again. */
void store_workspace_release(struct store_workspace *w);

/*
 * Compute again the E.164 form and validity of both phones of every
 * contact of the workspace, archived ones too. region is for numbers
 * written without a country code, after the contact's own country, as on
 * every write. Only those columns and the search digits of
 * the contacts whose forms change are written. Their versions, change
 * times and outbox entries stay as they are, since no typed value changes.
 * Run it inside store_begin to change every contact or none.
 * *out_changed receives the number of contacts changed, and
 * *out_invalidated (may be NULL) the number of those with a phone that
 * libphonenumber knew as valid before and not after. Return 0,
 * SYNC_EINVALID for an unsupported region, or SYNC_EDB.
 */
int store_contact_renormalize_phones(struct store *s, int64_t workspace_id,
                                     const char *region, int64_t *out_changed,
                                     int64_t *out_invalidated,
                                     struct err *err);

/* Fill *out_value with a heap copy of the setting's value, which the caller
 * frees. Return 0, SYNC_ENOTFOUND, or SYNC_EDB. */
int store_setting_get(struct store *s, int64_t workspace_id, const char *key,
                      char **out_value, struct err *err);

/* Create or replace a setting. Return 0, SYNC_EINVALID for an empty key or a
 * NULL value, or SYNC_EDB. */
int store_setting_set(struct store *s, int64_t workspace_id, const char *key,
                      const char *value, struct err *err);

/* Remove a setting; removing a missing one is not an error. */
int store_setting_delete(struct store *s, int64_t workspace_id,
                         const char *key, struct err *err);

/* Fill *out with the workspace's settings in key order, *out_count of them;
 * free them with store_settings_free. */
int store_setting_list(struct store *s, int64_t workspace_id,
                       struct store_setting **out, size_t *out_count,
                       struct err *err);

void store_settings_free(struct store_setting *settings, size_t count);

/*
 * Insert c into the workspace c->workspace_id. The store first runs
 * contact_prepare with the workspace's region, so c's E.164 forms are
 * filled, then sets c->id, c->version = 1 and both timestamps. A local
 * insert also queues an outbox create, in the same transaction. Return 0,
 * SYNC_EINVALID when validation fails (nothing is written),
 * SYNC_ENOTFOUND for an unknown workspace, or SYNC_EDB.
 */
int store_contact_insert(struct store *s, struct contact *c,
                         enum store_origin origin, struct err *err);

/*
 * Write c over the stored contact with the same id and workspace, as
 * store_contact_insert prepares it. c->version must be the stored version
 * (the one the caller read), which protects against lost updates. When
 * nothing differs from the stored row, nothing is written and the version
 * stays. Otherwise the version goes up by one, c->version and c->updated_ms
 * follow, and a local change queues an outbox update (archive when c was
 * archived by it). Return 0, SYNC_EINVALID, SYNC_ENOTFOUND, SYNC_ECONFLICT
 * when the stored version differs, or SYNC_EDB.
 */
int store_contact_update(struct store *s, struct contact *c,
                         enum store_origin origin, struct err *err);

/*
 * Fill out (initialised by the caller, old values freed) with the contact.
 * Return 0, SYNC_ENOTFOUND when it does not exist in that workspace, or
 * SYNC_EDB.
 */
int store_contact_get(struct store *s, int64_t workspace_id, int64_t id,
                      struct contact *out, struct err *err);

/*
 * Fill out with one page of the workspace's contacts matching q; release it
 * with store_contact_list_release. Return 0 or SYNC_EDB.
 */
int store_contact_list(struct store *s, int64_t workspace_id,
                       const struct store_contact_query *q,
                       struct store_contact_list *out, struct err *err);

void store_contact_list_release(struct store_contact_list *list);

/*
 * Find the contacts of the workspace that are not archived, have no link,
 * and have e164 as either phone's E.164 form. Up to max ids go to ids in id
 * order, and *out_count receives their number. A caller that needs exactly
 * one match passes max 2. Return 0 or SYNC_EDB.
 */
int store_contact_find_unlinked_by_phone(struct store *s,
                                         int64_t workspace_id,
                                         const char *e164, int64_t *ids,
                                         size_t max, size_t *out_count,
                                         struct err *err);

/*
 * Set *out_any when the workspace has an unarchived contact without a link
 * whose id is above after_id (0 for every contact). Such a contact is one
 * that the matching of a pulled record could pick. Set *out_max_id to the
 * highest contact id of the workspace (0 for none). A pull that saw none skips the matching, and
 * checks again from the id it saw inside each page's transaction. Return
 * 0 or SYNC_EDB.
 */
int store_contact_unlinked_after(struct store *s, int64_t workspace_id,
                                 int64_t after_id, bool *out_any,
                                 int64_t *out_max_id, struct err *err);

/*
 * Drop the indexes of the contacts' phone, mobile phone and email when no
 * workspace of the store has a contact, so that a first pull writes its
 * contacts without updating them, and set *out_dropped. Lookups by phone
 * or email still work meanwhile, by scanning the contacts.
 * store_contact_indexes_build creates them again. The PostgreSQL backend
 * keeps its indexes and only clears *out_dropped. Return 0 or SYNC_EDB.
 */
int store_contact_indexes_drop_if_empty(struct store *s, bool *out_dropped,
                                        struct err *err);

/* Create the indexes that store_contact_indexes_drop_if_empty drops, where
 * they are missing. Return 0 or SYNC_EDB. */
int store_contact_indexes_build(struct store *s, struct err *err);

/* As store_contact_find_unlinked_by_phone, matching the email address in
 * any ASCII letter case. */
int store_contact_find_unlinked_by_email(struct store *s,
                                         int64_t workspace_id,
                                         const char *email, int64_t *ids,
                                         size_t max, size_t *out_count,
                                         struct err *err);

/* As store_contact_find_unlinked_by_phone, linked contacts included.
 * With email not NULL, contacts with another email are left out. */
int store_contact_find_by_phone(struct store *s, int64_t workspace_id,
                                const char *e164, const char *email,
                                int64_t *ids, size_t max, size_t *out_count,
                                struct err *err);

/* As store_contact_find_unlinked_by_email, linked contacts included. */
int store_contact_find_by_email(struct store *s, int64_t workspace_id,
                                const char *email, int64_t *ids, size_t max,
                                size_t *out_count, struct err *err);

/* As store_contact_find_by_phone and store_contact_find_by_email, for the
 * archived contacts that still have a link: a local delete that left the
 * Salesforce record in place (on_local_delete keep, or a delete not pushed
 * yet). */
int store_contact_find_archived_by_phone(struct store *s, int64_t workspace_id,
                                         const char *e164, const char *email,
                                         int64_t *ids, size_t max,
                                         size_t *out_count, struct err *err);
int store_contact_find_archived_by_email(struct store *s, int64_t workspace_id,
                                         const char *email, int64_t *ids,
                                         size_t max, size_t *out_count,
                                         struct err *err);

/* Set up an empty link without allocating. */
void store_link_init(struct store_link *link);

/* Free the base; the link is left as after store_link_init. */
void store_link_release(struct store_link *link);

/*
 * Fill out (initialised, old base released) with the link of a contact.
 * Return 0, SYNC_ENOTFOUND when the contact has none, or SYNC_EDB.
 */
int store_link_get(struct store *s, int64_t workspace_id, int64_t contact_id,
                   struct store_link *out, struct err *err);

/*
 * Fill out with the link to the Salesforce record sf_id, given in its 15- or
 * 18-character form. Return 0, SYNC_EINVALID for a malformed id,
 * SYNC_ENOTFOUND, or SYNC_EDB.
 */
int store_link_find(struct store *s, int64_t workspace_id, const char *sf_id,
                    struct store_link *out, struct err *err);

/*
 * Create or replace the link of link->contact_id, with its base (NULL for
 * an empty base) and record stamps; link->updated_ms is ignored. The id is
 * stored in its 18-character form and must have the object's key prefix
 * (003 for Contact, 00Q for Lead). Return 0, SYNC_EINVALID for a malformed
 * id, SYNC_ENOTFOUND when the contact is not in the workspace,
 * SYNC_ECONFLICT when the record is linked to another contact, or
 * SYNC_EDB.
 */
int store_link_upsert(struct store *s, const struct store_link *link,
                      struct err *err);

/* Remove a contact's link; removing a missing one is not an error. */
int store_link_delete(struct store *s, int64_t workspace_id,
                      int64_t contact_id, struct err *err);

/* Fill out with the cursor of object, zero before the first pull. */
int store_cursor_get(struct store *s, int64_t workspace_id,
                     enum sf_object object, struct store_cursor *out,
                     struct err *err);

/* Store the cursor of object; cursor->last_id may be "" or an id. */
int store_cursor_set(struct store *s, int64_t workspace_id,
                     enum sf_object object, const struct store_cursor *cursor,
                     struct err *err);

/*
 * Record the start of a run of kind ("pull", "push", ...) over object (-1
 * for every object) with status "running", and set *out_id. Return 0,
 * SYNC_EINVALID for an empty kind, or SYNC_EDB.
 */
int store_run_begin(struct store *s, int64_t workspace_id, const char *kind,
                    int object, int64_t *out_id, struct err *err);

/*
 * Record the end of a run: its status ("ok", "failed", ...), counts (NULL
 * for zeros), message (NULL for none) and error_code, the stable code of
 * why it failed or stopped (NULL for none). Return 0, SYNC_EINVALID for
 * an empty error_code, SYNC_ENOTFOUND, or SYNC_EDB.
 */
int store_run_finish(struct store *s, int64_t workspace_id, int64_t run_id,
                     const char *status, const struct store_run_counts *counts,
                     const char *message, const char *error_code,
                     struct err *err);

/*
 * Record the progress of a running run: the API it reads through ("rest"
 * or "bulk", NULL to keep the stored one), the records it expects (-1 to
 * keep the stored number) and its counts so far (NULL for zeros). Call it
 * inside the transaction of the writes it counts, so that the counts a
 * reader in another process gets agree with the contacts it reads. Return 0, SYNC_EINVALID
 * for another api, SYNC_ENOTFOUND when no running run has run_id, or
 * SYNC_EDB.
 */
int store_run_progress(struct store *s, int64_t workspace_id, int64_t run_id,
                       const char *api, int64_t expected,
                       const struct store_run_counts *counts, struct err *err);

/* Fill out with a run; release it with store_run_release. */
int store_run_get(struct store *s, int64_t workspace_id, int64_t run_id,
                  struct store_run *out, struct err *err);

/* Fill *out with up to limit runs, newest first; free with
 * store_runs_free. */
int store_run_list(struct store *s, int64_t workspace_id, size_t limit,
                   struct store_run **out, size_t *out_count,
                   struct err *err);

/*
 * Fill *out with up to limit runs of kind ("pull" or "sync", or NULL for
 * every kind), newest first, after skipping the offset newest of them.
 * Free them with store_runs_free.
 */
int store_run_list_page(struct store *s, int64_t workspace_id,
                        const char *kind, size_t offset, size_t limit,
                        struct store_run **out, size_t *out_count,
                        struct err *err);

/*
 * Delete run_id if it is finished, leaving its conflicts without a run.
 * Return 0 (also when it is running or absent) or SYNC_EDB.
 */
int store_run_delete(struct store *s, int64_t workspace_id, int64_t run_id,
                     struct err *err);

/*
 * Delete every finished run started before before_ms, leaving their
 * conflicts without a run, and set *out_count (may be NULL) to the runs
 * deleted. Return 0 or SYNC_EDB.
 */
int store_run_prune(struct store *s, int64_t workspace_id, int64_t before_ms,
                    size_t *out_count, struct err *err);

void store_run_release(struct store_run *run);
void store_runs_free(struct store_run *runs, size_t count);

/*
 * Mark "abandoned", with the error code "abandoned", every run of the
 * workspace still "running" whose
 * recording process has ended, judged by the workspace's "sync" lock
 * (see store_lock_acquire), which every pull and sync round holds. While
 * another store holds it, no run is marked. While it is free, or this
 * store holds it, every running run of another process is marked. Runs of
 * this process and runs recorded without an owner stay as they are. Set
 * *out_count (may be NULL) to the runs marked. Return 0 or SYNC_EDB.
 */
int store_run_abandon_dead(struct store *s, int64_t workspace_id,
                           size_t *out_count, struct err *err);

/* A linked record whose back link Salesforce may not hold. */
struct store_backlink {
    int64_t contact_id;
    char sf_id[SFID_SIZE];
};

/*
 * Record for the n linked records sf_ids the back link text that
 * Salesforce holds now: values[i] as the caller composes it, or NULL for
 * unknown. Records without a link are skipped. Return 0 or SYNC_EDB.
 */
int store_link_backlinks_set(struct store *s, int64_t workspace_id,
                             const char *const *sf_ids,
                             const char *const *values, size_t n,
                             struct err *err);

/*
 * Fill *out with up to limit links to records of object whose recorded
 * back link is not prefix followed by the contact id in decimal (NULL
 * counts as different), in contact id order after after_id. Free *out
 * with free(). Return 0 or SYNC_EDB.
 */
int store_link_backlinks_stale(struct store *s, int64_t workspace_id,
                               enum sf_object object, const char *prefix,
                               int64_t after_id, size_t limit,
                               struct store_backlink **out,
                               size_t *out_count, struct err *err);

/* Record a sync error, stamped with the current time. e->id is 0 for a
 * new id, or the id of an error deleted before in the same transaction,
 * to keep it; e->created_ms is ignored. */
int store_sync_error_add(struct store *s, const struct store_sync_error *e,
                         struct err *err);

/*
 * Fill *out with up to limit sync errors of the workspace, newest first,
 * only those of contact_id unless it is 0; free with store_sync_errors_free.
 */
int store_sync_error_list(struct store *s, int64_t workspace_id,
                          int64_t contact_id, size_t limit,
                          struct store_sync_error **out, size_t *out_count,
                          struct err *err);

/* Remove the sync errors of a contact, once it has synced. */
int store_sync_error_clear(struct store *s, int64_t workspace_id,
                           int64_t contact_id, struct err *err);

/*
 * Remove the sync errors of the Salesforce record sf_id that name no local
 * contact (a record the pull could not store), once it has been stored.
 * Return 0, SYNC_EINVALID for a malformed id, or SYNC_EDB.
 */
int store_sync_error_clear_record(struct store *s, int64_t workspace_id,
                                  const char *sf_id, struct err *err);

/*
 * Mark every permanent sync error of the workspace retryable, so that the
 * next sync tries those contacts and records again. *out_count, when not
 * NULL, receives the number marked. Return 0 or SYNC_EDB.
 */
int store_sync_error_retry_all(struct store *s, int64_t workspace_id,
                               int64_t *out_count, struct err *err);

/*
 * Mark the sync error id retryable, as store_sync_error_retry_all marks
 * every one, and fill *out (may be NULL) with it; the caller frees
 * out->code and out->message. Marking a retryable error again changes
 * nothing. Return 0, SYNC_ENOTFOUND for an id not in the workspace, or
 * SYNC_EDB.
 */
int store_sync_error_retry(struct store *s, int64_t workspace_id, int64_t id,
                           struct store_sync_error *out, struct err *err);

/*
 * As store_sync_error_retry_all, but the permanent errors whose code is one
 * of the count codes stay permanent. *out_retried receives the number
 * marked and *out_skipped the number of permanent errors left with those
 * codes; either may be NULL. Return 0, SYNC_EINVALID for an empty code or
 * one with a comma, or SYNC_EDB.
 */
int store_sync_error_retry_except(struct store *s, int64_t workspace_id,
                                  const char *const *codes, size_t count,
                                  int64_t *out_retried, int64_t *out_skipped,
                                  struct err *err);

/*
 * Fill *out with up to limit retryable sync errors that name a Salesforce
 * record but no local contact, oldest first; free with
 * store_sync_errors_free. Return 0 or SYNC_EDB.
 */
int store_sync_error_list_records(struct store *s, int64_t workspace_id,
                                  size_t limit,
                                  struct store_sync_error **out,
                                  size_t *out_count, struct err *err);

void store_sync_errors_free(struct store_sync_error *errors, size_t count);

/* Fill *out with up to limit pending outbox entries, oldest first; the
 * caller frees the array with free(). */
int store_outbox_pending(struct store *s, int64_t workspace_id, size_t limit,
                         struct store_outbox_entry **out, size_t *out_count,
                         struct err *err);

/* Mark a contact's pending entries up to version as sent. */
int store_outbox_ack(struct store *s, int64_t workspace_id,
                     int64_t contact_id, int64_t version, struct err *err);

/*
 * Queue an outbox update of the contact at its current version without
 * changing it, so that the next push sends its state: the sync does this
 * when a local value won a merge that the local side did not change.
 * Return 0, SYNC_ENOTFOUND, or SYNC_EDB.
 */
int store_outbox_requeue(struct store *s, int64_t workspace_id,
                         int64_t contact_id, struct err *err);

/* As store_outbox_pending, for the entries with an id above after_id, so
 * that a caller can page through an outbox of any length. */
int store_outbox_pending_after(struct store *s, int64_t workspace_id,
                               int64_t after_id, size_t limit,
                               struct store_outbox_entry **out,
                               size_t *out_count, struct err *err);

/* Record a conflict; c->id and c->created_ms are ignored. Return 0,
 * SYNC_EINVALID for an empty field, winner or policy, or SYNC_EDB. */
int store_conflict_add(struct store *s, const struct store_conflict *c,
                       struct err *err);

/*
 * Fill *out with up to limit conflicts of the workspace, newest first, only
 * those of run_id unless it is 0; free with store_conflicts_free. Return 0
 * or SYNC_EDB.
 */
int store_conflict_list(struct store *s, int64_t workspace_id,
                        int64_t run_id, size_t limit,
                        struct store_conflict **out, size_t *out_count,
                        struct err *err);

void store_conflicts_free(struct store_conflict *conflicts, size_t count);

/*
 * Record, or replace, the create intent of intent->contact_id with the
 * current time, which is written back to intent->created_ms. Return 0,
 * SYNC_EINVALID for a malformed user id, SYNC_ENOTFOUND for an unknown
 * contact, or SYNC_EDB.
 */
int store_intent_put(struct store *s, struct store_intent *intent,
                     struct err *err);

/* Fill out with a contact's create intent. Return 0, SYNC_ENOTFOUND or
 * SYNC_EDB. */
int store_intent_get(struct store *s, int64_t workspace_id,
                     int64_t contact_id, struct store_intent *out,
                     struct err *err);

/* Remove a contact's create intent; removing a missing one is not an
 * error. */
int store_intent_delete(struct store *s, int64_t workspace_id,
                        int64_t contact_id, struct err *err);

/* Fill *out with the workspace's create intents for object, oldest first;
 * the caller frees the array with free(). Return 0 or SYNC_EDB. */
int store_intent_list(struct store *s, int64_t workspace_id,
                      enum sf_object object, struct store_intent **out,
                      size_t *out_count, struct err *err);

/*
 * Record, or replace, the tombstone of t->contact_id with the current
 * time, written back to t->created_ms. Return 0, SYNC_EINVALID for a
 * malformed Salesforce id, SYNC_ENOTFOUND for an unknown contact, or
 * SYNC_EDB.
 */
int store_tombstone_put(struct store *s, struct store_tombstone *t,
                        struct err *err);

/* Fill out with a contact's tombstone. Return 0, SYNC_ENOTFOUND or
 * SYNC_EDB. */
int store_tombstone_get(struct store *s, int64_t workspace_id,
                        int64_t contact_id, struct store_tombstone *out,
                        struct err *err);

/* Remove a contact's tombstone; removing a missing one is not an error. */
int store_tombstone_delete(struct store *s, int64_t workspace_id,
                           int64_t contact_id, struct err *err);

/*
 * Take the workspace's lock name (at most 31 bytes of [a-z0-9_-]) for this
 * store and describe the holder in its row of locks: pid, this host's name,
 * command (such as "sfsync sync") and the time. On PostgreSQL the lock is a
 * session-level advisory lock of the store's connection; on SQLite it is an
 * OFD write lock on a byte of the file DATABASE.NAME.lock beside the
 * database. The server or the kernel releases it when the connection or
 * the process ends, so a lock is never taken from a live holder, whatever
 * host or PID namespace it runs in. A lock held by another store fails
 * with SYNC_ECONFLICT, *holder filled from its row and err naming its
 * command, host and pid. Taking a lock this store holds already succeeds.
 * Return 0, SYNC_ECONFLICT, SYNC_EINVALID, SYNC_EIO or SYNC_EDB.
 * NOTE: on PostgreSQL a lost connection loses the lock: every later call
 * of the store then fails until store_lock_release, so the round that held
 * it stops instead of running on unlocked.
 */
int store_lock_acquire(struct store *s, int64_t workspace_id,
                       const char *name, int64_t pid, const char *command,
                       struct store_lock *holder, struct err *err);

/* Release the lock name if this store holds it, deleting its row. Return 0
 * or SYNC_EDB. */
int store_lock_release(struct store *s, int64_t workspace_id,
                       const char *name, int64_t pid, struct err *err);

/*
 * Encrypt secret under the store's key and store it as the workspace's
 * credential of kind ("refresh_token", ...), replacing any previous one.
 * The key comes from SFSYNC_SECRET_KEY or the key file <database>.key,
 * created on first use. Return 0, SYNC_EINVALID for a bad key or key file,
 * SYNC_EIO, or SYNC_EDB.
 */
int store_credential_put(struct store *s, int64_t workspace_id,
                         const char *kind, const char *secret,
                         struct err *err);

/*
 * Decrypt the credential of kind into *out_secret, which the caller frees
 * with free_secret. Return 0, SYNC_ENOTFOUND, SYNC_EINVALID when the key
 * changed since it was stored, SYNC_EIO, or SYNC_EDB.
 */
int store_credential_get(struct store *s, int64_t workspace_id,
                         const char *kind, char **out_secret,
                         struct err *err);

/* Remove a credential; removing a missing one is not an error. */
int store_credential_delete(struct store *s, int64_t workspace_id,
                            const char *kind, struct err *err);

/*
 * A pending sign-in to Salesforce through the authorization code flow: an
 * admin of sfsync serve starts it, and the OAuth callback finishes it,
 * maybe in another serve process of the same database. The store keeps
 * verifier and client_secret encrypted as credentials are.
 */
struct store_oauth_attempt {
    int64_t workspace_id;
    char *state_hash;    /* owned: hex SHA-256 of the one-use state value */
    int64_t user_id;     /* the admin who started it */
    char *login_url;     /* owned */
    char *client_id;     /* owned */
    char *redirect_uri;  /* owned */
    char *verifier;      /* owned secret: the PKCE code verifier */
    char *client_secret; /* owned secret, or NULL when none was given */
    int64_t created_ms;
    int64_t expires_ms;
};

/*
 * Store attempt a, then delete the workspace's attempts that expired
 * before a->created_ms and all but the keep newest. Return 0,
 * SYNC_EINVALID for an empty field or a bad key, SYNC_ECONFLICT when
 * the state hash is stored already, SYNC_EIO, or SYNC_EDB.
 */
int store_oauth_attempt_add(struct store *s,
                            const struct store_oauth_attempt *a, size_t keep,
                            struct err *err);

/*
 * Take the attempt of state_hash: fill out and delete the row in one
 * statement, so that two callbacks with one state never both get it.
 * Expired attempts are returned too; the caller checks expires_ms.
 * Release out with store_oauth_attempt_release. Return 0, SYNC_ENOTFOUND,
 * SYNC_EINVALID when the key changed since it was stored, SYNC_EIO, or
 * SYNC_EDB.
 */
int store_oauth_attempt_take(struct store *s, int64_t workspace_id,
                             const char *state_hash,
                             struct store_oauth_attempt *out, struct err *err);

/* Delete the attempts that expired before before_ms; *out_count, when not
 * NULL, receives their number. Return 0 or SYNC_EDB. */
int store_oauth_attempt_delete_expired(struct store *s, int64_t workspace_id,
                                       int64_t before_ms, int64_t *out_count,
                                       struct err *err);

/*
 * Set *out_workspace_id to the workspace whose pending attempt has
 * state_hash, without taking it, so that a server of every workspace can
 * send the callback to the right one. Return 0, SYNC_ENOTFOUND or SYNC_EDB.
 */
int store_oauth_attempt_workspace(struct store *s, const char *state_hash,
                                  int64_t *out_workspace_id, struct err *err);

/* Free the fields of a, wiping the secrets. */
void store_oauth_attempt_release(struct store_oauth_attempt *a);

/* The rows of one table that store_copy_to_postgres copied. */
struct store_copy_count {
    const char *table; /* static */
    int64_t rows;
};

#define STORE_COPY_TABLES 15

/*
 * Copy every row of the SQLite store at source, every workspace included,
 * into the PostgreSQL store at target, in one PostgreSQL transaction. Both
 * are first migrated to the current schema. Ids, versions, link bases,
 * cursors and the outbox are kept as they are, and credentials stay
 * encrypted under the source's key, so the target must be given the same
 * key (SFSYNC_SECRET_KEY, or SFSYNC_SECRET_KEY_FILE naming the source's
 * key file). The copy is rejected when the target contains any row, and the
 * row count of every table is compared at the end. counts receives
 * STORE_COPY_TABLES entries. Return 0, SYNC_EINVALID for a target that is
 * not PostgreSQL, a source that is not a SQLite file or a target that is
 * not empty, SYNC_ENOTFOUND for a missing source file, or SYNC_EDB.
 */
int store_copy_to_postgres(const char *source, const char *target,
                           struct store_copy_count counts[STORE_COPY_TABLES],
                           struct err *err);
/*
 * Insert user u into u->workspace_id; u->id and u->created_ms are set.
 * Return 0, SYNC_EINVALID for an empty name, a role other than admin or
 * agent, or an empty hash, SYNC_ECONFLICT when the name exists, or
 * SYNC_EDB.
 */
int store_user_add(struct store *s, struct store_user *u, struct err *err);

/* Fill out with the user called name; release with store_user_release.
 * Return 0, SYNC_ENOTFOUND or SYNC_EDB. */
int store_user_get(struct store *s, int64_t workspace_id, const char *name,
                   struct store_user *out, struct err *err);

/* As store_user_get, by id. */
int store_user_get_by_id(struct store *s, int64_t workspace_id, int64_t id,
                         struct store_user *out, struct err *err);

/* Fill *out with the workspace's users in name order; free with
 * store_users_free. Return 0 or SYNC_EDB. */
int store_user_list(struct store *s, int64_t workspace_id,
                    struct store_user **out, size_t *out_count,
                    struct err *err);

/* Delete a user with its sessions and API tokens. Return 0,
 * SYNC_ENOTFOUND or SYNC_EDB. */
int store_user_delete(struct store *s, int64_t workspace_id, const char *name,
                      struct err *err);

/*
 * Replace the password hash of the user called name and delete that
 * user's sessions, so that every browser signs in again. Return 0,
 * SYNC_EINVALID for an empty name or hash, SYNC_ENOTFOUND or SYNC_EDB.
 * NOTE: users exist only in the SQLite backend; on PostgreSQL this
 * returns SYNC_EINVALID.
 */
int store_user_set_password(struct store *s, int64_t workspace_id,
                            const char *name, const char *password_hash,
                            struct err *err);

/* Delete every API token of user_id and set *out_count (may be NULL) to
 * their number. Return 0 or SYNC_EDB; SYNC_EINVALID on PostgreSQL, which
 * has no users. */
int store_api_token_delete_user(struct store *s, int64_t workspace_id,
                                int64_t user_id, int64_t *out_count,
                                struct err *err);

void store_user_release(struct store_user *u);
void store_users_free(struct store_user *users, size_t count);

/* Insert a session; every field must be set. Return 0, SYNC_EINVALID for
 * an empty hash or CSRF token, or SYNC_EDB. */
int store_session_add(struct store *s, const struct store_session *session,
                      struct err *err);

/* Fill out with the session of id_hash; release with
 * store_session_release. Return 0, SYNC_ENOTFOUND or SYNC_EDB. */
int store_session_get(struct store *s, int64_t workspace_id,
                      const char *id_hash, struct store_session *out,
                      struct err *err);

/* Set a session's last request time. Return 0, SYNC_ENOTFOUND or
 * SYNC_EDB. */
int store_session_touch(struct store *s, int64_t workspace_id,
                        const char *id_hash, int64_t last_seen_ms,
                        struct err *err);

/* Delete a session; deleting a missing one is not an error. */
int store_session_delete(struct store *s, int64_t workspace_id,
                         const char *id_hash, struct err *err);

/* Delete the sessions whose last request was before before_ms.
 * *out_count, when not NULL, receives the number deleted. */
int store_session_delete_idle(struct store *s, int64_t workspace_id,
                              int64_t before_ms, int64_t *out_count,
                              struct err *err);

void store_session_release(struct store_session *session);

/* Insert an API token; last_used_ms is ignored. Return 0, SYNC_EINVALID
 * for an empty hash, SYNC_ENOTFOUND for an unknown user, or SYNC_EDB. */
int store_api_token_add(struct store *s, const struct store_api_token *t,
                        struct err *err);

/* Fill out with the token of token_hash; release with
 * store_api_token_release. Return 0, SYNC_ENOTFOUND or SYNC_EDB. */
int store_api_token_get(struct store *s, int64_t workspace_id,
                        const char *token_hash, struct store_api_token *out,
                        struct err *err);

/* Set a token's last use time. Return 0, SYNC_ENOTFOUND or SYNC_EDB. */
int store_api_token_touch(struct store *s, int64_t workspace_id,
                          const char *token_hash, int64_t last_used_ms,
                          struct err *err);

void store_api_token_release(struct store_api_token *t);

/* Return "create", "update" or "archive". */
const char *store_outbox_op_name(enum store_outbox_op op);

/*
 * Fill *out with every workspace of the store in id order, *out_count of
 * them; free with store_workspaces_free. Return 0 or SYNC_EDB.
 */
int store_workspace_list(struct store *s, struct store_workspace **out,
                         size_t *out_count, struct err *err);
void store_workspaces_free(struct store_workspace *list, size_t count);

/* The maximum length of a workspace name that store_workspace_check_name
 * accepts. */
#define STORE_WORKSPACE_NAME_MAX 64

/*
 * Check a name for a new workspace: 1 to STORE_WORKSPACE_NAME_MAX ASCII
 * letters, digits, '.', '_' and '-', starting with a letter or digit, so
 * that it can be typed in a shell and a sign-in form unquoted. Return 0 or
 * SYNC_EINVALID naming the value and the characters allowed.
 */
int store_workspace_check_name(const char *name, struct err *err);

/* The rows of one table that store_workspace_delete deleted. */
struct store_table_count {
    const char *table; /* static */
    int64_t rows;
};

/* The tables that hold rows of a workspace, the workspaces table last. */
#define STORE_WORKSPACE_TABLES 18

/*
 * Delete the workspace workspace_id and every row of it in every table, in
 * one transaction (a savepoint inside the caller's). counts receives
 * STORE_WORKSPACE_TABLES entries, the rows deleted from each table. The
 * caller checks that no process is syncing the workspace, such as by
 * taking its "sync" lock first. That lock row is deleted with the rest.
 * Return 0, SYNC_ENOTFOUND, or SYNC_EDB with nothing deleted.
 */
int store_workspace_delete(struct store *s, int64_t workspace_id,
                           struct store_table_count
                               counts[STORE_WORKSPACE_TABLES],
                           struct err *err);

/*
 * Leases let many sfsync worker processes share one PostgreSQL store:
 * a worker syncs a workspace only while it holds the workspace's lease,
 * and a lease that is not renewed expires, so that a killed worker's
 * workspaces pass to the others. SQLite has no leases: these calls return
 * SYNC_EINVALID there. Lease times are milliseconds of the store's clock
 * (store_clock_ms), so that workers whose machine clocks differ agree on
 * when a lease expires.
 *
 * Take the lease of workspace_id (0 for any workspace) for owner until
 * until_ms, when no owner has it (or its owner let it expire) and its
 * last round ended before synced_before_ms, the least recently synced
 * first. Rows are locked with SKIP LOCKED, so that concurrent takers never
 * wait for each other and never take one lease twice. Set *out_ws to the
 * workspace taken, 0 when none is free. Return 0 or SYNC_EDB.
 */
int store_lease_take(struct store *s, int64_t workspace_id,
                     const char *owner, int64_t synced_before_ms,
                     int64_t until_ms, int64_t *out_ws, struct err *err);

/* Set *out_ms to the store's clock in milliseconds since the epoch: the
 * database server's clock on PostgreSQL, this machine's on SQLite. Return
 * 0 or SYNC_EDB. */
int store_clock_ms(struct store *s, int64_t *out_ms, struct err *err);

/* Extend owner's lease of workspace_id to until_ms. Return 0,
 * SYNC_ENOTFOUND when owner no longer has it, or SYNC_EDB. */
int store_lease_renew(struct store *s, int64_t workspace_id,
                      const char *owner, int64_t until_ms, struct err *err);

/* Give up owner's lease of workspace_id and record synced_ms as the end of
 * its last round. Return 0, SYNC_ENOTFOUND when owner did not hold it, or
 * SYNC_EDB. */
int store_lease_release(struct store *s, int64_t workspace_id,
                        const char *owner, int64_t synced_ms,
                        struct err *err);

/* The state of a workspace's lease as store_lease_get reads it. */
struct store_lease {
    bool held;          /* an owner holds it and it has not expired */
    int64_t synced_ms;  /* end of the last round of a worker, 0 for none */
    int64_t now_ms;     /* the store's clock when it was read */
};

/* Fill out with the lease of workspace_id; a workspace that no worker has
 * looked at yet has a lease that is free and never synced. Return 0,
 * SYNC_EINVALID on SQLite, or SYNC_EDB. */
int store_lease_get(struct store *s, int64_t workspace_id,
                    struct store_lease *out, struct err *err);

/*
 * Wait up to timeout_ms for a notification that a workspace's outbox has a
 * new entry (LISTEN sfsync_outbox; the first call starts listening, and
 * entries committed after it wake later calls). Set *out_ws to the
 * workspace notified, 0 when the time ran out or a signal interrupted the
 * wait. Return 0, SYNC_EINVALID on SQLite, or SYNC_EDB.
 */
int store_notify_wait(struct store *s, int timeout_ms, int64_t *out_ws,
                      struct err *err);

/* Record worker (copied; NULL for none) as the lease owner of every run
 * that store_run_begin records from now on, in the runs' worker column. */
void store_set_run_worker(struct store *s, const char *worker);

#endif
