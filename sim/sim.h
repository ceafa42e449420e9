/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * sfsim's shared state: the simulated Salesforce orgs, each with its schema,
 * records, users, tokens, limits and fault switches. The filter in api.c
 * picks the org of each request and holds that org's lock for the whole
 * request, so the functions here assume the caller holds it unless a
 * comment says otherwise.
 */
#ifndef SFSIM_SIM_H
#define SFSIM_SIM_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/hmap.h"
#include "http/http_server.h"

#define SIM_API_VERSION_MIN 31
#define SIM_API_VERSION_MAX 62

enum sim_type {
    SIM_T_ID,
    SIM_T_STRING,
    SIM_T_TEXTAREA,
    SIM_T_EMAIL,
    SIM_T_PHONE,
    SIM_T_URL,
    SIM_T_PICKLIST,
    SIM_T_MULTIPICKLIST,
    SIM_T_COMBOBOX,
    SIM_T_BOOLEAN,
    SIM_T_DATE,
    SIM_T_DATETIME,
    SIM_T_DOUBLE,
    SIM_T_CURRENCY,
    SIM_T_PERCENT,
    SIM_T_INT,
    SIM_T_REFERENCE,
    SIM_T_ADDRESS, /* compound, read-only, built from its parts */
    SIM_T_OTHER    /* location and types sfsim stores as text */
};

struct sim_field {
    char *name;  /* canonical API name, e.g. "LastName" */
    char *label; /* e.g. "Last Name", used in error messages */
    enum sim_type type;
    int length; /* maximum characters for text types, else 0 */
    size_t index;
    bool nillable, createable, updateable, defaulted_on_create;
    bool external_id, id_lookup, unique, custom, calculated;
    bool restricted_picklist;
    char **picklist; /* active values */
    size_t npicklist;
    char *default_value;     /* picklist default, or NULL */
    char *reference_to;      /* first referenced object, or NULL */
    char *relationship_name; /* "Account" for AccountId, or NULL */
    char *compound_name;     /* "Name" for FirstName, or NULL */
    json_t *describe;        /* this field's describe entry (owned) */
};

struct sim_record;

struct sim_object {
    char *name; /* "Contact" */
    char *label;
    char key_prefix[4];
    char pod[4]; /* characters 4 to 6 of the org's ids (sim_org.pod) */
    bool schema_borrowed; /* name, label, fields, the field maps and
                             describe belong to the same object of the
                             first org (sim_org_new_sibling) */
    struct sim_field **fields;
    size_t nfields, fields_cap;
    struct hmap by_name; /* field name, any case -> field */
    struct hmap by_relationship; /* relationship name -> reference field */
    json_t *describe; /* top-level describe without "fields" (owned) */

    struct sim_record **records; /* every record in creation order,
                                    deleted ones included */
    size_t nrecords, records_cap;
    struct hmap by_id; /* 18-character id -> record */
    uint64_t id_counter;

    bool derived; /* records built from the org's users and the org
                     itself (User, Organization): read-only through the
                     API and not saved in the state file */

    /* Indexes of fields that sfsim maintains itself; -1 when absent. */
    int f_id, f_is_deleted, f_master_record_id, f_name, f_first_name,
        f_last_name, f_created_date, f_created_by_id, f_last_modified_date,
        f_last_modified_by_id, f_system_modstamp, f_owner_id;
};

struct sim_record {
    struct sim_object *obj;
    char id[19];
    char **values; /* obj->nfields slots; NULL is null. Text as stored,
                      booleans "true"/"false", numbers in decimal,
                      datetimes as 2024-01-02T03:04:05.000+0000 */
    size_t nvalues;
    int64_t modstamp_ms; /* SystemModstamp, kept for ordering */
    int64_t deleted_ms;  /* when it went to the recycle bin, or 0 */
    size_t seq;          /* position in obj->records */
};

struct sim_user {
    char id[19]; /* 005... */
    char *username;
    char *password; /* for the password grant; NULL for none */
    char *first_name, *last_name, *email;
    bool integration; /* the client-credentials run-as user */
    int64_t created_ms; /* CreatedDate of its User record */
};

struct sim_token {
    char *value;
    struct sim_user *user;
    bool refresh;   /* a refresh token rather than an access token */
    bool revoked;
    int64_t issued_ms;
    int64_t expires_ms; /* 0 for never (refresh tokens) */
    char *scope;
    char *client_id;
    int64_t calls;            /* API calls made with this access token */
    struct sim_token *parent; /* refresh token that issued it, or NULL */
};

/* A pending authorization code of the browser flow. */
struct sim_auth_code {
    char *code;
    struct sim_user *user;
    char *client_id, *redirect_uri, *challenge, *challenge_method, *scope;
    int64_t expires_ms;
    bool used;
};

/* Fault switches, set at start-up or through /sim/faults. */
struct sim_faults {
    int latency_ms;          /* added to every API response */
    double unavailable_rate; /* share of API calls answered 503 */
    double lock_rate;        /* share of record writes failing with
                                UNABLE_TO_LOCK_ROW */
    double drop_rate;        /* share of API calls whose connection is
                                closed without a response (after any
                                write has been applied) */
    int64_t expire_after_calls; /* access tokens stop working after this
                                   many API calls each; 0 for off */
    bool refresh_revoked;    /* refresh tokens are rejected */
    int late_commit_seconds; /* writes get a SystemModstamp this far in
                                the past */
    bool same_stamp;         /* every write shares one SystemModstamp */
    int64_t frozen_stamp_ms; /* the stamp shared while same_stamp is on */
    int max_page_size;       /* query pages hold at most this many
                                records; 0 for off */
    double html_rate;        /* share of replies replaced by an HTML
                                page with status 200, as a captive proxy
                                or maintenance page sends */
    double truncate_rate;    /* share of JSON replies cut in half */
    double corrupt_rate;     /* share of JSON replies with one byte made
                                invalid UTF-8 */
    uint64_t rng;            /* state of the fault random generator */
    int64_t seed;            /* the seed last set, or -1 for the built-in
                                one */
};

struct sim_config {
    char *client_id;
    char *client_secret;
    char *instance_url;  /* http://127.0.0.1:PORT */
    int token_lifetime_s; /* access token lifetime */
    int64_t api_limit;    /* daily API allowance */
    bool rotate_refresh;  /* refresh tokens rotate on use */
    char *jwt_public_key_pem; /* for the JWT bearer grant, or NULL */
    size_t max_body;
    int upsert_update_status; /* 200 (current API) or 204 (old API) */
};

struct sim_cursor;

struct sim_org {
    pthread_mutex_t lock;
    unsigned number; /* 1 for the first org of the process, 2, 3, ... */
    char pod[4];     /* characters 4 to 6 of every id of this org: a
                        two-character pod and the reserved character,
                        distinct for each org (sim_org_pod) */
    char org_id[19]; /* 00D... */
    struct sim_config cfg;
    char *owned_client_id, *owned_client_secret; /* cfg strings this org
                                                   allocated, or NULL */
    struct sim_faults faults;

    struct sim_object **objects;
    size_t nobjects, objects_cap;
    struct hmap objects_by_name;  /* any case */
    struct hmap objects_by_prefix; /* key prefix -> object */

    struct sim_user **users;
    size_t nusers, users_cap;

    struct hmap tokens; /* value -> struct sim_token */
    struct hmap codes;  /* code -> struct sim_auth_code */

    struct hmap cursors; /* query locator -> struct sim_cursor */
    uint64_t cursor_counter;

    int64_t api_used; /* API calls counted against api_limit */
    int64_t last_stamp_ms;

    void *state; /* struct sim_state of --state (state.c), or NULL */
    void *bulk;  /* Bulk API query jobs (bulk.c), or NULL before the
                    first */
};

/* The orgs that one sfsim process serves, found by id and credentials.
 * Filled at start-up and read-only while serving. */
struct sim_orgs {
    struct sim_org **orgs; /* orgs[0] is org 1 */
    size_t count;
    struct hmap by_pod;       /* sim_org.pod -> org */
    struct hmap by_client_id; /* connected app client id -> org */
};

/* A Salesforce error: the code, message and fields of one failure. */
struct sim_error {
    char code[64];
    char message[512];
    char fields[4][64];
    size_t nfields;
};

#define SIM_MAX_ERRORS 8

struct sim_errors {
    struct sim_error items[SIM_MAX_ERRORS];
    size_t count;
};

/* org.c: lifecycle, users, the clock and ids. */

/* The maximum number of orgs one process serves. The ids of
 * sim_org_pod would allow more. */
#define SIM_ORGS_MAX 100000

/* Create an empty org 1 with the standard objects loaded. */
struct sim_org *sim_org_new(const struct sim_config *cfg, struct err *err);

/*
 * Create org number (2 to SIM_ORGS_MAX) beside first, which is org 1. The
 * new org shares first's schema, so custom fields are added to first
 * before and never afterwards, and first is freed last. It has its own
 * ids and org id, users, records, tokens, limits and faults. Its client
 * credentials are "<first's client id>-<number>" and
 * "<first's secret>-<number>".
 */
struct sim_org *sim_org_new_sibling(const struct sim_org *first,
                                    unsigned number);
void sim_org_free(struct sim_org *org);

/* Write the pod characters of org number to out: "Hn0" for org 1, then
 * "Ho0", "Hp0" ... counting in base 62 through the two pod characters
 * first. */
void sim_org_pod(unsigned number, char out[4]);
struct sim_object *sim_org_object(const struct sim_org *org,
                                  const char *name);
struct sim_user *sim_org_add_user(struct sim_org *org, const char *username,
                                  const char *password);
struct sim_user *sim_org_user_by_name(const struct sim_org *org,
                                      const char *username);
struct sim_user *sim_org_user_by_id(const struct sim_org *org,
                                    const char *id);
struct sim_user *sim_org_integration_user(const struct sim_org *org);

/*
 * Rebuild the records of the derived objects from org->users and the org:
 * one User record per user with the user's id, and one Organization record
 * with the org id. sim_org_add_user calls it; call it again after changing
 * users' ids, names or the org id (as loading a state file does).
 */
void sim_org_sync_derived(struct sim_org *org);

/* The SystemModstamp for a write now, with the fault switches applied. */
int64_t sim_org_stamp(struct sim_org *org);

/* A uniform random number in [0, 1) from the fault generator. */
double sim_org_random(struct sim_org *org);

/* id.c: record ids. */

/* Fill out with the 18-character form of a 15- or 18-character id. Return
 * 0, or -1 when id is not a well-formed record id. */
int sim_id_to18(const char *id, char out[19]);

/* Make the next id for obj. */
void sim_id_next(struct sim_object *obj, char out[19]);

/* schema.c: objects and fields. */

/* Load an object from a describe document; the reference is borrowed. */
struct sim_object *sim_schema_load(struct sim_org *org, json_t *describe,
                                   struct err *err);

/* Add a custom field from a spec "Object.Name__c:type[:length][:extid]". */
int sim_schema_add_custom(struct sim_org *org, const char *spec,
                          struct err *err);
struct sim_field *sim_object_field(const struct sim_object *obj,
                                   const char *name);

/* The describe document of obj, built fresh; the caller owns it. */
json_t *sim_object_describe(const struct sim_org *org,
                            const struct sim_object *obj, const char *version);

/* record.c: validated writes. */

enum sim_write_flags {
    SIM_WRITE_SEED = 1 << 0, /* allow read-only fields and skip faults */
    SIM_WRITE_LOCKED = 1 << 1, /* the caller drew the lock fault already
                                  (sim_record_lock) */
};

/*
 * Check a JSON object of field values for a create (rec NULL) or an update
 * of rec, without changing anything. Return 0 or -1 with errs filled.
 */
int sim_record_validate(struct sim_org *org, struct sim_object *obj,
                        struct sim_record *rec, json_t *fields,
                        unsigned flags, struct sim_errors *errs);

/* Validate and create a record as user. */
int sim_record_create(struct sim_org *org, struct sim_object *obj,
                      json_t *fields, const struct sim_user *user,
                      unsigned flags, struct sim_record **out,
                      struct sim_errors *errs);

/* Validate and update rec as user. */
int sim_record_update(struct sim_org *org, struct sim_record *rec,
                      json_t *fields, const struct sim_user *user,
                      unsigned flags, struct sim_errors *errs);

/* Move rec to the recycle bin. */
int sim_record_delete(struct sim_org *org, struct sim_record *rec,
                      const struct sim_user *user, struct sim_errors *errs);

/* The record with this 15- or 18-character id in any object, or NULL. */
struct sim_record *sim_record_find(const struct sim_org *org, const char *id);

/* The value of field i, or NULL. */
const char *sim_record_get(const struct sim_record *rec, size_t i);

/* Store a copy of value (NULL for null) in field i without validation. */
void sim_record_set(struct sim_record *rec, size_t i, const char *value);

/* Make an empty record of obj with a new id, not yet in the org. */
struct sim_record *sim_record_new(struct sim_object *obj);

/* Add rec to its object and save it to the state file. */
void sim_record_insert(struct sim_org *org, struct sim_record *rec);

/* Stamp rec as written now by user and save it to the state file. */
void sim_record_touch(struct sim_org *org, struct sim_record *rec,
                      const struct sim_user *user);

/* The JSON value of field i as REST returns it (a new reference). */
json_t *sim_record_json_value(const struct sim_record *rec, size_t i);

/* attributes {type, url} for rec under API version. */
json_t *sim_record_attributes(const struct sim_record *rec,
                              const char *version);

/* The whole record as REST returns it; fields NULL for all. */
json_t *sim_record_json(const struct sim_record *rec, const char *version,
                        const struct sim_field **fields, size_t nfields);

/*
 * Draw the UNABLE_TO_LOCK_ROW fault for a write to the record id. Return 0,
 * or -1 with the error added to errs. Writes that validate a batch first
 * draw it for every record, then write with SIM_WRITE_LOCKED.
 */
int sim_record_lock(struct sim_org *org, const char *id,
                    struct sim_errors *errs);

/*
 * Find the live records of obj whose field f matches value (any case for
 * text, numerically for numbers, an id in 15 or 18 characters for Id).
 * Store up to max of them in out and return how many match in all.
 */
size_t sim_record_lookup(const struct sim_object *obj,
                         const struct sim_field *f, const char *value,
                         struct sim_record **out, size_t max);

/*
 * Resolve the field names (a JSON array of strings, any case) of a
 * retrieve, without duplicates and with Id added last when missing.
 * Return an array the caller frees, with its size in *out_n, or NULL with
 * INVALID_FIELD in errs.
 */
const struct sim_field **sim_record_select(const struct sim_object *obj,
                                           json_t *names, size_t *out_n,
                                           struct sim_errors *errs);

/* errors: building the shapes of Salesforce errors. */
void sim_errors_add(struct sim_errors *errs, const char *code,
                    const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* [{"message","errorCode","fields"}] as REST calls return. */
json_t *sim_errors_rest_json(const struct sim_errors *errs);

/* [{"statusCode","message","fields"}] as collections return. */
json_t *sim_errors_save_json(const struct sim_errors *errs);

/* Answer with one REST error. */
void sim_reply_error(struct http_resp *resp, int status, const char *code,
                     const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/*
 * Parse the JSON body of req (any JSON value). Return a new reference, or
 * NULL after replying 400 JSON_PARSER_ERROR to an empty or malformed
 * body.
 */
json_t *sim_request_json(struct http_req *req, struct http_resp *resp);

/* The length of a UTF-8 byte-order mark at the start of a body: 3 or 0. */
size_t sim_body_skip_bom(const char *body, size_t len);

/* utf8.c: UTF-8 checks, repair and case folding. */

/* Whether s[0..len) is well-formed UTF-8 without NUL characters. */
bool sim_utf8_valid(const char *s, size_t len);

/* A copy of s with every byte that starts no well-formed UTF-8 character
 * replaced by U+FFFD; the caller frees it. */
char *sim_utf8_repair(const char *s);

/* Repair s in place as sim_utf8_repair does, within the size bytes of its
 * buffer, cutting at a character boundary when the result is longer. */
void sim_utf8_repair_in(char *s, size_t size);

/* The lower-case form of a code point in ASCII, Latin-1 Supplement, Latin
 * Extended-A, Greek and Cyrillic; other code points are returned as they
 * are. */
uint32_t sim_utf8_fold(uint32_t cp);

/* Read one character at *s, advance *s past it and return it folded; 0 at
 * the end. A byte that starts no character is returned as 0x110000 plus
 * the byte, which sorts after every character. */
uint32_t sim_utf8_next_folded(const char **s);

/* Compare two strings by folded code point: <0, 0 or >0. */
int sim_utf8_casecmp(const char *a, const char *b);

/*
 * Write up to size bytes of the folded UTF-8 form of s to out and return
 * how many were written. *complete is set when that is all of it.
 * Comparing these bytes orders strings as sim_utf8_casecmp does.
 */
size_t sim_utf8_fold_prefix(const char *s, unsigned char *out, size_t size,
                            bool *complete);

/* state.c: persistence of --state FILE in SQLite. */

/*
 * Open the state file at path, creating it with mode 0600 when missing,
 * and attach it to org. An existing file is loaded into org (records, id
 * counters, users by username, unexpired tokens, API usage). A file with
 * no records then receives the records org holds now. Return 0 or a
 * negative code with err filled.
 */
int sim_state_open(struct sim_org *org, const char *path, struct err *err);

/* Save rec (write-through); a no-op without a state file. A failed write
 * is logged, not returned. */
void sim_state_save_record(struct sim_org *org, const struct sim_record *rec);

/* Save one token or user as it changes; no-ops without a state file. */
void sim_state_save_token(struct sim_org *org, const struct sim_token *tok);
void sim_state_save_user(struct sim_org *org, const struct sim_user *user);

/*
 * Group the writes that follow into one transaction, which makes bulk
 * loads fast and lets a failed seed leave nothing behind. Pairs nest.
 * No-ops without a state file.
 */
void sim_state_begin(struct sim_org *org);
int sim_state_commit(struct sim_org *org, struct err *err);
void sim_state_rollback(struct sim_org *org);

/* Save the org id, API usage, id counters, users and all tokens. */
int sim_state_sync(struct sim_org *org, struct err *err);

/* Sync, finalise the statements and close; a no-op without a file. */
void sim_state_close(struct sim_org *org);

/* Whether the state file held no records when it was opened; true
 * without a state file. */
bool sim_state_was_empty(const struct sim_org *org);

/* oauth.c: tokens. */

/*
 * The live access token of an API request, from "Authorization: Bearer" or
 * the oauth_token query argument (as identity URL calls send it). NULL when
 * it is missing, unknown, expired or revoked. Counts the call against the
 * token for the expire-after-calls fault.
 */
struct sim_token *sim_oauth_authenticate(struct sim_org *org,
                                         struct http_req *req);

/* seed.c and generate.c: loading data. */

/*
 * Import an sObject-tree plan (the format of "sf data import tree"): the
 * plan lists record files per object, records refer to earlier ones with
 * "@Ref" values and field names may be in any case. Objects sfsim does not
 * model are skipped with a warning. Return 0 or a negative code with err
 * filled; on failure nothing is kept.
 */
int sim_seed_plan(struct sim_org *org, const char *plan_path,
                  struct err *err);

/*
 * Generate a deterministic org from "contacts=N,leads=M,accounts=K" (any
 * subset, in any order) and a seed. Return 0 or a negative code.
 */
int sim_generate(struct sim_org *org, const char *spec, uint64_t seed,
                 struct err *err);

/* The request context every API handler gets. */
struct sim_call {
    struct sim_org *org;
    struct sim_user *user;   /* the token's user, NULL before auth */
    struct sim_token *token;
    char version[8];         /* "60.0" */
    bool api;                /* a /services/data/vNN.0 call */
    bool locked;             /* org->lock is held for this request */
    bool drop;               /* close the connection after the handler */
};

/* api.c: install the filter every request passes through. */
void sim_api_server_opts(struct sim_orgs *orgs, struct http_server_opts *opts);

/* The org of the request being handled, which the filter chose. */
struct sim_org *sim_request_org(const struct http_req *req);

/* orgs.c: the orgs of the process and the org of a request. */

/* Add org to orgs, which then owns it. */
void sim_orgs_add(struct sim_orgs *orgs, struct sim_org *org);

/* Free every org, org 1 last, and the indexes. */
void sim_orgs_release(struct sim_orgs *orgs);

/* The org whose id (15 or 18 characters) is id, or NULL. */
struct sim_org *sim_orgs_by_id(const struct sim_orgs *orgs, const char *id);

/*
 * Find the org that req addresses, the way Salesforce finds it. An access
 * token starts with its org id, the token and authorize endpoints take a
 * client id, a revoke names a token of one org and a record page a record
 * id. A /sim/ request names the org in the org query argument or the
 * X-Sfsim-Org header, as a number from 1 or an org id. Return org 1 when
 * the request names no org. Return NULL, with a message in why, for an
 * org argument that names no org of this process. The only org locks
 * taken are each org's in turn, briefly, while a revoke looks for its
 * refresh token.
 */
struct sim_org *sim_orgs_for_request(struct sim_orgs *orgs,
                                     const struct http_req *req,
                                     char *why, size_t why_size);

/* Whether host, an IPv4 address as --listen takes it, is a loopback
 * address (127.0.0.0/8), which only this machine can reach. */
bool sim_host_is_loopback(const char *host);

/* query.c: free every open query cursor (at shutdown). */
void sim_query_release_cursors(struct sim_org *org);

/* bulk.c: free the org's Bulk API query jobs (at shutdown). */
void sim_bulk_release(struct sim_org *org);

/* control.c: set one fault switch by its command-line name. */
int sim_faults_set(struct sim_org *org, const char *name, const char *value,
                   struct err *err);

/* Route tables of the modules; each adds its routes to r. The handlers
 * take their org from sim_request_org. */
void sim_api_routes(struct http_router *r);
void sim_oauth_routes(struct http_router *r);
void sim_query_routes(struct http_router *r);
void sim_rest_routes(struct http_router *r);
void sim_composite_routes(struct http_router *r);
void sim_control_routes(struct http_router *r);
void sim_view_routes(struct http_router *r);
void sim_bulk_routes(struct http_router *r);

#endif
