/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * The two-way sync round: an incremental pull of every enabled object,
 * then a push of the outbox, as the workspace's settings direct, recorded
 * as one run. The pull is in incremental.c, the push in push.c and the
 * record merging in apply.c. This module reads the settings, records the
 * run and enforces the API budget.
 */
#ifndef SFSYNC_ENGINE_H
#define SFSYNC_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "base/err.h"
#include "connection.h"
#include "store/store.h"

struct sync_options {
    int batch_size; /* records per query page; 0 for 2000 */
    /* Called by the round's pull after each committed page that is not
     * the last of its object, with nothing open, so that it may push
     * between pages (sync_push_linked). May be NULL. */
    void (*between_pages)(void *payload);
    void *payload;
    /* The records that between_pages pushed, whose older versions the
     * pull skips, or NULL. */
    const struct sync_pushed *pushed;
};

struct sync_result {
    int64_t run_id;
    /* Both steps together, as the run records them. */
    struct store_run_counts counts;
    /* The step that read Salesforce and the one that wrote it. Each
     * counts its own records, conflicts and errors, and api_calls stays
     * 0 in both. */
    struct store_run_counts pull_counts;
    struct store_run_counts push_counts;
    /* Contacts that the push linked by a lookup to the record an earlier
     * create made before its reply was lost. Neither step counts them. */
    int64_t recovered;
    /* Contacts whose record was deleted in Salesforce and that were only
     * unlinked (on_salesforce_delete keep). The pull step counts them in
     * pulled but not in deleted. */
    int64_t unlinked;
    /* Contacts with pending local changes that a from-salesforce round
     * left for a later push; 0 in the other directions. */
    int64_t held_back;
    bool stopped; /* the API budget stopped the round early */
    /* "ok", "partial" (finished, but some records or contacts failed),
     * "stopped" or "failed", as the run records */
    char status[16];
    char message[ERR_MSG_MAX]; /* why it stopped or failed, or "" */
};

/* The error code of a run that the API budget stopped. */
#define SYNC_RUN_BUDGET "budget"

/*
 * Return the error code that a run records when it ends with rc and err
 * (may be NULL), or NULL for rc >= 0. The codes are "auth", "api_limit",
 * "network" (no HTTP reply), "salesforce" (an HTTP error reply), "store",
 * "stopped" and "other". API clients match on them, as docs/api.md lists.
 */
const char *sync_run_error_code(int rc, const struct err *err);

/*
 * Run one sync round over conn. Refused with SYNC_EINVALID, before any
 * request and without a run, when the setting 'enabled' is false. With
 * direction both, the pull runs first, so that the push never overwrites a
 * Salesforce change it has not merged. from-salesforce only pulls, and
 * to-salesforce only pushes. Only the objects of the setting 'objects'
 * sync. When the org's API usage reaches api_budget_percent of its daily
 * allowance, the round stops before its next request with everything done
 * so far committed: out->stopped is set, the run's status is "stopped" and
 * 0 is returned. Records and contacts that fail on their own are counted
 * in out->counts.errors and recorded as sync errors, and the round goes
 * on; it then ends with the status "partial". Return 0, or a negative code with err filled when a request or the
 * store failed as a whole; out is filled either way.
 */
int sync_run(struct connection *conn, const struct sync_options *opts,
             struct sync_result *out, struct err *err);

/*
 * The records that pushes between the pages of a running pull updated or
 * deleted. A page read before such a push (the page read ahead, or a Bulk
 * results page, whose rows Salesforce may have produced when the job ran)
 * contains the values that the push replaced, so the pull skips those
 * older versions.
 */
struct sync_pushed {
    /* 18-character Id -> the record's SystemModstamp in ms when the push
     * sent it, or INT64_MAX for a record the push deleted */
    json_t *stamps;
    /* 18-character Id -> the SystemModstamp read right after such a push
     * updated the record, so that a later push between the pages of the
     * same pull can distinguish that write from a Salesforce change */
    json_t *written;
};

void sync_pushed_init(struct sync_pushed *pushed);
void sync_pushed_release(struct sync_pushed *pushed);

/* Whether rec, a record as a query returns it, is a version of a record
 * in pushed from before the push: its SystemModstamp is at or before the
 * stamp recorded there. */
bool sync_pushed_is_stale(const struct sync_pushed *pushed, const json_t *rec);

/*
 * Push the pending changes and deletes of linked contacts while a pull of
 * the same workspace runs, between its pages: the push step of a round,
 * without a pull, without creates and without back links. The caller holds
 * the workspace's sync lock for the pull, and conn must not be the pull's
 * connection, because the pull reads its next page through that one
 * meanwhile.
 *
 * A record changed in Salesforce since its link's last pull stays pending,
 * since a later page of the pull brings that change to merge first, and so
 * does a record found deleted or converted. New contacts stay pending
 * because the pull may still bring the record they match. They and the
 * deferred records go out with the next round.
 *
 * Every record sent is added to pushed. Does nothing, without a run, when
 * the integration is disabled, the direction is from-salesforce or no
 * linked contact has a pending change; out->run_id is then 0. Otherwise
 * the push is recorded as a run of kind "push". Return 0, or a negative
 * code with err filled when a request or the store failed as a whole.
 */
int sync_push_linked(struct connection *conn, struct sync_pushed *pushed,
                     struct sync_result *out, struct err *err);

/* Whether code is one of the notices MERGED_INTO_LINKED_RECORD and
 * CONVERTED_CONTACT_LINKED: an expected outcome kept in the error list,
 * which no round counts as an error. */
bool sync_error_is_notice(const char *code);

/*
 * Mark the workspace's permanent sync errors retryable, so that the next
 * round tries them again. The notices MERGED_INTO_LINKED_RECORD and
 * CONVERTED_CONTACT_LINKED stay as they are, because they name a contact
 * archived after a merge or lead conversion in Salesforce made it one with
 * another, so there is nothing to retry. *out_retried receives the number marked and *out_skipped the
 * number of such notices. Return 0 or SYNC_EDB.
 */
int sync_retry_errors(struct store *s, int64_t workspace_id,
                      int64_t *out_retried, int64_t *out_skipped,
                      struct err *err);

/*
 * Check field, the external_id_field setting, against the describe of
 * each object that syncs for conn's workspace: it must exist and be marked
 * External ID. An empty field, or one already checked for the same
 * objects, passes without a request; a field that passes is remembered in
 * the setting sync.external_id_checked. Return 0,
 * SYNC_EINVALID with err naming the field, the object and the fix, or the
 * code of a failed request.
 */
int sync_check_external_id_field(struct connection *conn, const char *field,
                                 struct err *err);

/* The end of the messages of a bad external_id_field, which names no tool,
 * because rounds run in the command line, serve and workers alike. */
#define SYNC_EXTERNAL_ID_CLEAR "clear the setting 'external_id_field'"

/* Append " with HOW" to err when its message ends in
 * SYNC_EXTERNAL_ID_CLEAR, where how is the caller's way to clear it, such
 * as "'sfsync config set external_id_field \"\"'". */
void sync_external_id_advice(struct err *err, const char *how);

/*
 * Check field against the describe of each object in objects, a
 * normalized value of the setting 'objects' such as "contacts,leads",
 * before that value is stored. It always sends the describe requests and
 * leaves sync.external_id_checked as it is. Return 0, SYNC_EINVALID with
 * err naming the field, the object and the fix, or the code of a failed
 * request.
 */
int sync_check_external_id_objects(struct connection *conn,
                                   const char *field, const char *objects,
                                   struct err *err);

#endif
