/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * The manual pull: read every Contact or every Lead of the org, page by
 * page, into the local contact store. Each page is applied in one store
 * transaction together with a resume point, so an interrupted pull goes on
 * where it stopped and a repeated pull changes nothing.
 */
#ifndef SFSYNC_PULL_H
#define SFSYNC_PULL_H

#include <stdint.h>

#include "connection.h"
#include "model/mapping.h"
#include "store/store.h"

struct sync_pushed;

/* Called after each page with the records done so far and the total. */
typedef void (*pull_progress_fn)(long long done, long long total,
                                 void *payload);

struct pull_options {
    enum sf_object object;
    int batch_size;            /* 0 for 2000, the REST maximum */
    /* Called after each page's commit, with nothing open, so it may push
     * between pages (sync_push_linked). May be NULL. */
    pull_progress_fn progress;
    void *payload;
    /* The records that the progress callback pushed, whose older versions
     * the pull skips, or NULL. */
    const struct sync_pushed *pushed;
};

struct pull_result {
    struct store_run_counts counts;
    int64_t run_id;
    long long total;  /* records Salesforce reported */
    bool resumed;     /* went on from an interrupted pull */
};

/*
 * Pull opts->object over conn into the workspace. Refused with
 * SYNC_EINVALID when the integration or the object is disabled. A Contact
 * pull first moves the links of pulled Leads that Salesforce converted to
 * their Contacts, which costs one query more once Leads were pulled. A
 * field changed on both sides since the link's base takes the Salesforce
 * value and is recorded as a conflict, except that do_not_call and
 * email_opt_out keep true (see merge_fields). Records
 * that cannot be stored (a value too long for the local field, invalid
 * UTF-8) are skipped, counted in errors and recorded as sync errors; the
 * rest are applied. Return 0 or a negative code with err filled; out is
 * filled either way, and the run is recorded in the run log.
 */
int pull_run(struct connection *conn, const struct pull_options *opts,
             struct pull_result *out, struct err *err);

/* The Lightning URL of a record: INSTANCE/lightning/r/OBJECT/ID/view.
 * The caller frees it. */
char *pull_record_url(const char *instance_url, enum sf_object object,
                      const char *sf_id);

#endif
