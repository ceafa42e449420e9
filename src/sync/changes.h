/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * Local changes to contacts, as the command line and the HTTP API make
 * them: add, update and delete (archive). Each is one store write with
 * STORE_ORIGIN_LOCAL, so the store bumps the version and queues the outbox
 * entry that the push sends later, whatever the settings and whether or
 * not a Salesforce connection exists. Nothing here talks to Salesforce.
 */
#ifndef SFSYNC_CHANGES_H
#define SFSYNC_CHANGES_H

#include <stdbool.h>
#include <stdint.h>

#include "model/contact.h"
#include "store/store.h"

struct err;

/*
 * Check c as every local change is checked before it is written. Each text
 * value must be valid UTF-8 and within its field's maximum length, and a
 * message about a length names the field, quotes the value and gives the
 * limit. The email must be well formed, and the owner the 15- or
 * 18-character id of a User (005) or a Queue (00G). A contact needs at least a
 * last name, a company, an email or a phone (either phone field), so that none
 * is empty. Return 0, or SYNC_EINVALID with err listing every problem,
 * separated by "; ", in a message of valid UTF-8.
 */
int changes_validate(const struct contact *c, struct err *err);

/*
 * Trim the spaces, tabs and line breaks around the text values of the
 * fields in mask of c (a value left empty is cleared), as every local
 * change does with the values it sets before changes_validate. Return 0, or SYNC_EINVALID with err naming the first
 * field that holds a control character (a line break inside the street is
 * allowed); the message lists every such field.
 */
int changes_clean(struct contact *c, uint32_t mask, struct err *err);

/* Maximum contacts sharing one phone that changes_find_by_phone reads. */
#define CHANGES_PHONE_CANDIDATES_MAX 64

/*
 * Find the stored, unarchived contacts other than c (by its id) that have
 * e164 as either phone's E.164 form and that contact_phone_match_agrees
 * with c. Those have the same email or, without an email on both sides,
 * the same last name and no other first name. Up to max ids go to ids in
 * id order, and *out_count receives their number. A phone that
 * CHANGES_PHONE_CANDIDATES_MAX or more contacts share matches none,
 * because the ones past that are not read and could be another match.
 * Return 0 or SYNC_EDB.
 */
int changes_find_by_phone(struct store *s, const struct contact *c,
                          const char *e164, int64_t *ids, size_t max,
                          size_t *out_count, struct err *err);

/* Flags of changes_add. */
enum changes_add_flags {
    /* Add the contact even when it matches a stored one. */
    CHANGES_ADD_ALLOW_DUPLICATE = 1 << 0,
};

/* Bytes of changes_duplicate.value: an email of 80 characters of up to 4
 * bytes each in UTF-8, or an E.164 number, and the NUL. */
#define CHANGES_DUPLICATE_VALUE_SIZE (4 * 80 + 1)

/* The stored contact that a new or updated contact duplicates. */
struct changes_duplicate {
    int64_t contact_id;       /* 0 when none matched */
    enum contact_field field; /* the new contact's field that matched */
    char value[CHANGES_DUPLICATE_VALUE_SIZE]; /* the email or E.164 form
                                                 that matched */
    /* The matched contact is archived but still linked: its record and
     * the record's object, set only then. */
    bool archived;
    enum sf_object object;
    char sf_id[SFID_SIZE];
};

/*
 * Insert c into the workspace c->workspace_id as a new local contact after
 * changes_clean and changes_validate. Unless flags has
 * CHANGES_ADD_ALLOW_DUPLICATE, a contact that matches a stored, unarchived
 * one is rejected, by the rule a contacts import matches its rows with. A
 * match is the same email in any ASCII letter case, or the E.164 form of
 * either phone on a contact that changes_find_by_phone accepts. Unless
 * on_local_delete is delete, an archived contact whose Salesforce record
 * is kept (its link remains) matches too, because the push would create a
 * second record. That check runs in a
 * transaction of its own, so the caller must not have one open. On success
 * c->id, c->version (1) and the timestamps are set and one outbox create is
 * queued. out_duplicate (NULL allowed) receives the matched contact, or a
 * contact_id of 0. Return 0, SYNC_EINVALID (nothing is written),
 * SYNC_ECONFLICT for a duplicate (nothing is written; err names the
 * contact, the field and what to do), SYNC_ENOTFOUND for an unknown
 * workspace, or SYNC_EDB.
 */
int changes_add(struct store *s, struct contact *c, unsigned flags,
                struct changes_duplicate *out_duplicate, struct err *err);

/*
 * Set the fields in mask of contact id to their values in values. Other
 * fields of values are not read, and an empty text clears a field. The
 * contact is read first. An expected_version of 0 accepts the version
 * read, and any other value must equal it, as when a caller shows a
 * contact and saves the user's edit later. out (initialised by the
 * caller, old values freed) receives the contact as stored afterwards.
 * *out_changed receives the fields whose values changed. It is 0 when
 * every given value was already stored: then nothing is written, and the
 * version and outbox stay as they were. Return 0, SYNC_ENOTFOUND,
 * SYNC_EINVALID for an invalid result or an archived contact,
 * SYNC_ECONFLICT when the contact is not at expected_version or changed
 * between the read and the write (nothing is written, and the message in err
 * asks to read it again), or SYNC_EDB. It does not check for duplicates
 * (changes_update_unique does).
 */
int changes_update(struct store *s, int64_t workspace_id, int64_t id,
                   const struct contact *values, uint32_t mask,
                   int64_t expected_version, struct contact *out,
                   uint32_t *out_changed, struct err *err);

/*
 * As changes_update, and unless flags has CHANGES_ADD_ALLOW_DUPLICATE, an
 * update that changes the email or a phone is rejected when the result
 * matches another stored, unarchived contact by the rule of changes_add.
 * The check and the write share a transaction, so the caller must not
 * have one open. out_duplicate (NULL allowed) receives the matched
 * contact, or a contact_id of 0. Returns what changes_update returns, and
 * SYNC_ECONFLICT with out_duplicate set for a duplicate (nothing is
 * written; err names the contact, the field and what to do).
 */
/* Whether the push keeps the Salesforce record of a contact archived here
 * (on_local_delete keep), so that the record can be matched again. */
bool changes_records_kept(struct store *s, int64_t workspace_id);

/*
 * Reject c, whose push would create a Salesforce record, when it matches a
 * contact archived here whose record is kept, by the rule of changes_add:
 * SYNC_ECONFLICT, err naming the contact and the record and ending with
 * advice. Call it only when changes_records_kept. c's phones must be
 * prepared. Return 0 when there is no such match, or SYNC_EDB.
 */
int changes_check_kept_record(struct store *s, const struct contact *c,
                              const char *advice, struct err *err);

int changes_update_unique(struct store *s, int64_t workspace_id, int64_t id,
                          const struct contact *values, uint32_t mask,
                          int64_t expected_version, unsigned flags,
                          struct changes_duplicate *out_duplicate,
                          struct contact *out, uint32_t *out_changed,
                          struct err *err);

/*
 * Archive contact id, the local delete: it leaves the default contact list
 * and an outbox archive entry is queued. expected_version and out are as
 * in changes_update. *out_changed is false when it was archived already.
 * Return 0, SYNC_ENOTFOUND, SYNC_ECONFLICT or SYNC_EDB.
 */
int changes_archive(struct store *s, int64_t workspace_id, int64_t id,
                    int64_t expected_version, struct contact *out,
                    bool *out_changed, struct err *err);

/*
 * Let contact id create its Salesforce record again: forget that its
 * record was deleted in Salesforce (kept with on_salesforce_delete=keep)
 * and queue its current state, in one transaction, so that the next push
 * creates a new record. Return 0, SYNC_ENOTFOUND, SYNC_EINVALID when the
 * contact is archived or has no deleted record, or SYNC_EDB.
 */
int changes_relink(struct store *s, int64_t workspace_id, int64_t id,
                   struct err *err);

/*
 * Count the pending outbox entries of contact c, as read from the store,
 * into *out_count: the local changes not yet pushed. Return 0 or SYNC_EDB.
 */
int changes_pending_count(struct store *s, const struct contact *c,
                          int64_t *out_count, struct err *err);

/*
 * As changes_pending_count for count contacts of the workspace at once, in
 * one pass over the outbox: out_counts[i] receives the count of
 * contacts[i]. Return 0 or SYNC_EDB, in which case out_counts is not
 * complete.
 */
int changes_pending_counts(struct store *s, int64_t workspace_id,
                           const struct contact *contacts, size_t count,
                           int64_t *out_counts, struct err *err);

#endif
