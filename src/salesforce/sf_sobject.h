/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * sObject calls: retrieve one record by id, and the sObject Collections
 * create, update, upsert and delete of up to 200 records with allOrNone
 * false, whose per-record results go back to the caller. Requests go
 * through sf_client_send.
 */
#ifndef SFSYNC_SF_SOBJECT_H
#define SFSYNC_SF_SOBJECT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"
#include "base/sfid.h"
#include "salesforce/sf_client.h"

/* Records per sObject Collections request. */
#define SF_SOBJECT_COLLECTION_MAX 200

/* One error of one record, from errors[] of a save result. */
struct sf_sobject_error {
    char status_code[ERR_CODE_MAX]; /* such as REQUIRED_FIELD_MISSING */
    char *message;                  /* owned */
    char **fields;                  /* owned; field_count entries */
    size_t field_count;
};

/* The result of one record, in request order. */
struct sf_sobject_result {
    char id[SFID_SIZE]; /* "" when the server sent none */
    bool success;
    int created; /* 1 or 0 for upserts, -1 when not reported */
    struct sf_sobject_error *errors; /* owned; error_count entries */
    size_t error_count;
};

struct sf_sobject_results {
    struct sf_sobject_result *items; /* owned */
    size_t count;
    size_t failed; /* items with success false */
};

/* Free the contents of results and leave it empty. */
void sf_sobject_results_release(struct sf_sobject_results *results);

/*
 * GET /sobjects/TYPE/ID, with only fields (NULL-terminated; NULL for all
 * readable fields). Returns 0 with *out set to the record, a new
 * reference. Returns SYNC_ENOTFOUND when there is no such record, and
 * SYNC_EINVALID when type, id or a field name is malformed or the reply is
 * not a JSON object. Other codes come from sf_client_send.
 */
int sf_sobject_retrieve(struct sf_client *c, const char *type, const char *id,
                        const char *const *fields, json_t **out,
                        struct err *err);

/*
 * Create the records of the JSON array records (objects of field values,
 * borrowed; copies get attributes.type = type). The request is not
 * repeated after a failure that may have reached Salesforce, since that
 * could create the records twice. Each function returns 0 when Salesforce
 * replied with one result per record, whatever their success, with out
 * filled (release with sf_sobject_results_release). It returns
 * SYNC_EINVALID for 0 or more than SF_SOBJECT_COLLECTION_MAX records, a
 * malformed name, a record that is not an object, or a reply that is not
 * one result per record, and other codes from sf_client_send.
 */
int sf_sobject_create_many(struct sf_client *c, const char *type,
                           json_t *records, struct sf_sobject_results *out,
                           struct err *err);

/* Update records that each hold "Id" (or "id"). Repeated after a lost
 * reply, since writing the same values twice has the same effect. */
int sf_sobject_update_many(struct sf_client *c, const char *type,
                           json_t *records, struct sf_sobject_results *out,
                           struct err *err);

/* Upsert records on the external id field ext_id_field, which every
 * record must hold. Repeated after a lost reply, since the second request
 * finds the records the first one created. */
int sf_sobject_upsert_many(struct sf_client *c, const char *type,
                           const char *ext_id_field, json_t *records,
                           struct sf_sobject_results *out, struct err *err);

/* Delete the n records of ids (15 or 18 characters). */
int sf_sobject_delete_many(struct sf_client *c, const char *const *ids,
                           size_t n, struct sf_sobject_results *out,
                           struct err *err);

#endif
