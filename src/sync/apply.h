/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * Applying pulled Salesforce records to the local store, shared by the
 * manual pull and the sync engine: the three-way merge into linked
 * contacts, matching and creating for unlinked records, and deletes, merges
 * and Lead conversions. Each function writes inside the caller's store
 * transaction and sends nothing to Salesforce: a caller that needs a
 * converted Lead's Contact fetches it first.
 */
#ifndef SFSYNC_APPLY_H
#define SFSYNC_APPLY_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "merge.h"
#include "model/mapping.h"
#include "model/phone.h"
#include "store/store.h"

/* The local contact of an unresolved create intent, for matching. */
struct apply_intent {
    struct store_intent intent;
    struct contact contact;
};

/* The settings for applying records of one object. The caller fills the
 * fields after apply_init, and pointers are borrowed for the life of the
 * context. */
struct apply_ctx {
    struct store *store;
    int64_t ws;
    int64_t run_id; /* the run conflicts belong to, or 0 */
    enum sf_object object;
    const struct mapping *mapping;
    uint32_t from_sf; /* fields of object that flow from Salesforce */
    char region[PHONE_REGION_SIZE];
    enum merge_policy policy;
    bool archive_on_delete; /* on_salesforce_delete is archive */
    bool delete_on_local_delete; /* on_local_delete is delete */
    /* An external id field (Sfsync_Id__c) whose values are
     * "<ext_id_prefix>-<contact id>", or NULL when none is configured. */
    const char *ext_id_field;
    const char *ext_id_prefix;
    /* The Company that the push sends for a Lead without one, or NULL. A
     * Lead Company equal to it counts as empty while the contact has no
     * company. */
    const char *default_company;
    struct apply_intent *intents; /* owned; from apply_load_intents */
    size_t intent_count;
    struct store_run_counts *counts; /* incremented as records apply */
    /* The workspace has no unlinked contact to match (see
     * store_contact_unlinked_after), so new records skip the lookups. */
    bool skip_match;
    /* The workspace has no sync error (see apply_check_sync_errors), so no
     * record's pull error needs removing. */
    bool no_sync_errors;
};

/* Set up ctx for records of object with policy SALESFORCE and archive on
 * delete, reading the workspace's phone region. */
void apply_init(struct apply_ctx *ctx, struct store *s, int64_t ws,
                enum sf_object object, const struct mapping *mapping,
                struct store_run_counts *counts);

/*
 * Set ctx->no_sync_errors when the workspace has no sync error, so that
 * apply_record skips removing the earlier errors of each record. Call it
 * inside the transaction of the records. Return 0 or SYNC_EDB.
 */
int apply_check_sync_errors(struct apply_ctx *ctx, struct err *err);

/* Free what apply_load_intents loaded. */
void apply_release(struct apply_ctx *ctx);

/*
 * Load the workspace's unresolved create intents for ctx->object with
 * their contacts, so that an unlinked record created by an earlier push
 * whose reply was lost is linked to its contact instead of copied. Return
 * 0 or SYNC_EDB.
 */
int apply_load_intents(struct apply_ctx *ctx, struct err *err);

/*
 * Apply one record of ctx->object as a REST query returns it. A record
 * with IsDeleted true unlinks its contact (and archives it when
 * ctx->archive_on_delete), or moves the link to MasterRecordId after a
 * merge. A Lead with IsConverted true moves its contact's link to the
 * Contact it became. converted is that Contact's record, or NULL when it
 * could not be read, and then the link moves with the Lead's base.
 * A live linked record is merged field by field; a live unlinked one is
 * linked to the contact that created it, matched by phone or email, or
 * created. A record that cannot be stored is recorded as a sync error and
 * counted, and 0 is returned; only store failures return a negative code.
 */
int apply_record(struct apply_ctx *ctx, const json_t *rec,
                 const json_t *converted, struct err *err);

/*
 * Move the contact linked to the Lead lead_id to the Contact record rec,
 * with ctx->object SF_OBJECT_CONTACT, merging rec into it against the
 * Lead's base. Set *out_done when the Lead was linked and the conversion
 * applied, so that rec needs no other handling. Return 0 or a negative
 * code from the store.
 */
int apply_conversion(struct apply_ctx *ctx, const char *lead_id,
                     const json_t *rec, bool *out_done, struct err *err);

/*
 * Read the mapped fields of rec, a record sf_id of object, into out (an
 * initialised contact), with phones normalised and values validated.
 * Return 0, or -1 with reason filled and naming the record.
 */
int apply_parse(struct apply_ctx *ctx, enum sf_object object,
                const json_t *rec, const char *sf_id, struct contact *out,
                struct err *reason);

/*
 * Whether rec, whose mapped values are in, is the record that the create
 * intent ai sent. Such a record was created by the intent's user no
 * earlier than a minute before the intent. It has the contact's last
 * name, and its email or one of its phones when the contact has either. A
 * phone counts only as contact_phone_match_agrees allows.
 */
bool apply_intent_matches(const struct apply_intent *ai, const json_t *rec,
                          const struct contact *in);

/*
 * Link contact_id to the record sf_id of ctx->object that its own push
 * created, and drop its create intent. The base becomes the record's
 * values and the contact keeps its own, so that changes made since the
 * create are sent. Only its empty fields are filled from the record.
 * Return 0 or a negative code from the store.
 */
int apply_link_own(struct apply_ctx *ctx, int64_t contact_id,
                   const char *sf_id, const struct contact *in,
                   const json_t *rec, struct err *err);

/* The time of a datetime field of rec, or 0 when it is missing. */
int64_t apply_record_stamp(const json_t *rec, const char *field);

/* The checkbox fields of object that a pull may select (the mapped ones,
 * IsDeleted and IsConverted), which Bulk API CSV writes as true and false,
 * so that sf_bulk turns them into JSON booleans as REST returns them. A
 * NULL-terminated array borrowing m's names; the caller frees the array. */
const char **apply_boolean_fields(const struct mapping *m,
                                  enum sf_object object);

struct apply_prepared;

/* The contacts of a page of records, mapped and prepared (phones
 * normalised, values validated) by a second thread ahead of the pull's
 * thread, which prepares records itself whenever it catches up. */
struct apply_prefetch {
    pthread_t thread;
    bool started;
    atomic_bool stop;
    struct apply_ctx *ctx;
    const json_t *records;
    size_t count;
    atomic_size_t next;           /* index of the next record to claim */
    struct apply_prepared *items; /* one per record */
};

/*
 * Start a thread that runs apply_parse on each record of records (a JSON
 * array) that apply_record would parse, and keeps the contacts for
 * apply_prefetch_record. The phones are thus normalised on a second core
 * while the pull's thread writes earlier records. ctx and records must stay
 * unchanged until apply_prefetch_finish. When the thread cannot be started,
 * apply_prefetch_record prepares every record itself.
 */
void apply_prefetch_start(struct apply_prefetch *p, struct apply_ctx *ctx,
                          const json_t *records);

/*
 * Apply record index of the prefetch's records as apply_record does with
 * converted NULL, using the contact prepared for it. Apply each record
 * once at most. Return as apply_record.
 */
int apply_prefetch_record(struct apply_prefetch *p, size_t index,
                          struct err *err);

/* Stop and join the thread of apply_prefetch_start, and free the contacts
 * that were not applied. */
void apply_prefetch_finish(struct apply_prefetch *p);

/* Whether the boolean field of rec is true. */
bool apply_record_flag(const json_t *rec, const char *field);

#endif
