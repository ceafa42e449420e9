/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * The state of one sync round, shared by engine.c, incremental.c and
 * push.c. Nothing outside the sync engine includes this header.
 */
#ifndef SFSYNC_ENGINE_INT_H
#define SFSYNC_ENGINE_INT_H

#include "apply.h"
#include "engine.h"
#include "merge.h"
#include "settings.h"

struct sync_engine {
    struct connection *conn;
    struct store *store;
    int64_t ws;
    int64_t run_id;
    struct mapping mapping;
    struct store_run_counts *counts; /* the result's counts */
    uint64_t calls_before; /* the connection's API calls before the round */
    int batch_size;
    enum sync_direction direction;
    bool enabled[SF_OBJECT_COUNT];
    enum merge_policy policy;
    bool archive_on_delete;       /* on_salesforce_delete=archive */
    bool delete_on_local_delete;  /* on_local_delete=delete */
    enum sf_object new_contacts_as;
    char *default_company;        /* owned */
    char region[PHONE_REGION_SIZE]; /* default_region */
    char *ext_id_field;           /* owned, NULL when none is configured */
    char *ext_id_prefix;          /* owned, set with ext_id_field */
    /* The record field that gets the contact's page address, and the
     * public_url it starts with; both owned, NULL unless both are set. */
    char *backlink_field;
    char *backlink_base;
    char user_id[SFID_SIZE];      /* the integration user, or "" */
    int64_t overlap_ms;
    long budget_percent;
    bool stopped;                 /* the API budget was reached */
    int64_t recovered;            /* see sync_result.recovered */
    /* Where the push step's re-reads of converted or deleted records
     * count, so that a record the push sends is counted once; NULL
     * outside the push step. */
    struct store_run_counts *reread_counts;
    /* Set for sync_push_linked: the push sends only linked contacts,
     * checks the stamps whatever the direction, and adds what it sent to
     * pushed. NULL in a round. */
    struct sync_pushed *pushed;
    /* A round's sync_options.between_pages, its payload, and the records
     * whose older versions the round's pull skips; NULL when unset. */
    void (*between_pages)(void *payload);
    void *between_payload;
    const struct sync_pushed *pushed_between;
};

/*
 * Check the API budget before a request: return 0, or SYNC_ESTOP with err
 * naming the usage and the setting once the org's usage from the last
 * Sforce-Limit-Info is at or above api_budget_percent of its allowance, in
 * which case e->stopped is set. Before the first reply of a round the
 * usage is unknown and the request goes ahead.
 */
int sync__check_budget(struct sync_engine *e, struct err *err);

/*
 * Write the round's counts so far into its run row. Call it inside the
 * transaction of the writes it counts, so that a round killed after that
 * commit leaves an abandoned run with the counts of what it committed.
 * Return 0, SYNC_ENOTFOUND when the run is no longer running, or
 * SYNC_EDB.
 */
int sync__save_progress(struct sync_engine *e, struct err *err);

/* Set up ctx to apply records of object with the round's settings. */
void sync__apply_init(struct sync_engine *e, struct apply_ctx *ctx,
                      enum sf_object object);

/*
 * Pull every enabled object (Leads first, so that a conversion moves its
 * contact before the Contact arrives), after reading again the records
 * whose sync errors were marked retryable. Return 0 or a negative code,
 * SYNC_ESTOP when the budget stopped it.
 */
int sync__pull(struct sync_engine *e, struct err *err);

/*
 * Read the records ids (n of them, 18 characters) of object with queryAll
 * and apply them as the pull does, without moving the cursor. Return 0 or
 * a negative code.
 */
int sync__reread(struct sync_engine *e, enum sf_object object,
                 const char *const *ids, size_t n, struct err *err);

/*
 * Run the SOQL query soql (queryAll when all) and append every record to
 * the JSON array out. Checks the budget before each page. Return 0 or a
 * negative code.
 */
int sync__query_records(struct sync_engine *e, const char *soql, bool all,
                        json_t *out, struct err *err);

/* Push the pending outbox, or with e->pushed set only the entries of
 * linked contacts. Return 0 or a negative code, SYNC_ESTOP when the
 * budget stopped it. */
int sync__push(struct sync_engine *e, struct err *err);

/* Set *out to whether a linked contact has pending outbox entries. Return
 * 0 or SYNC_EDB. */
int sync__linked_pending(struct sync_engine *e, bool *out, struct err *err);

/*
 * Record what Salesforce holds in backlink_field for the records of a
 * pulled page (a JSON array of records with Id), inside the page's
 * transaction. Does nothing unless a back link is configured. Return 0 or
 * SYNC_EDB.
 */
int sync__backlinks_seen(struct sync_engine *e, json_t *records,
                         struct err *err);

/*
 * Write the back link into every linked record of the enabled objects
 * whose recorded value differs, 200 records a request, and record the
 * values Salesforce accepted. Return 0 or a negative code, SYNC_ESTOP when
 * the budget stopped it.
 */
int sync__backlinks_push(struct sync_engine *e, struct err *err);

#endif
