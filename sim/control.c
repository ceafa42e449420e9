/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * Simulator-only control endpoints under /sim/, which are not part of
 * Salesforce: the fault switches, lead conversion and record merge (which
 * Salesforce offers only in its UI and through Apex).
 */
#include "base/common.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <strings.h>

#include "base/datetime.h"
#include "sim.h"

/* The values that /sim/faults and --fault set, staged in a copy so that a
 * request with one bad value changes nothing. */
struct fault_values {
    struct sim_faults faults;
    int64_t api_limit, api_used;
};

enum fault_kind { FAULT_RATE, FAULT_COUNT, FAULT_SWITCH };

/* Upper bounds of the count faults; the lower bound is 0 for all. */
#define LATENCY_MAX_MS 60000
#define LATE_COMMIT_MAX_S (30 * 86400)
#define PAGE_SIZE_MAX 2000

static const struct fault_spec {
    const char *name;
    enum fault_kind kind;
    int64_t max; /* counts only */
} fault_specs[] = {
    {"latency", FAULT_COUNT, LATENCY_MAX_MS},
    {"unavailable", FAULT_RATE, 0},
    {"lock", FAULT_RATE, 0},
    {"drop", FAULT_RATE, 0},
    {"expire-after", FAULT_COUNT, INT64_MAX},
    {"refresh-revoked", FAULT_SWITCH, 0},
    {"late-commit", FAULT_COUNT, LATE_COMMIT_MAX_S},
    {"same-stamp", FAULT_SWITCH, 0},
    {"max-page-size", FAULT_COUNT, PAGE_SIZE_MAX},
    {"html", FAULT_RATE, 0},
    {"truncate", FAULT_RATE, 0},
    {"corrupt", FAULT_RATE, 0},
    {"api-limit", FAULT_COUNT, INT64_MAX},
    {"api-used", FAULT_COUNT, INT64_MAX},
    {"seed", FAULT_COUNT, INT64_MAX},
};

static const struct fault_spec *find_fault(const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(fault_specs); i++)
        if (strcmp(fault_specs[i].name, name) == 0)
            return &fault_specs[i];
    return NULL;
}

/* A decimal rate from 0 to 1: digits, a point and an exponent only, so
 * that "nan" and "inf" are rejected. */
static int parse_rate(const char *value, double *out)
{
    char *end;
    double d;

    if (!*value || strspn(value, "0123456789.eE+-") != strlen(value))
        return -1;
    d = strtod(value, &end);
    if (*end || !isfinite(d) || d < 0 || d > 1)
        return -1;
    *out = d;
    return 0;
}

static int parse_count(const char *value, int64_t max, int64_t *out)
{
    char *end;
    long long n;

    if (!isdigit((unsigned char)*value))
        return -1;
    errno = 0;
    n = strtoll(value, &end, 10);
    if (errno || *end || n < 0 || n > max)
        return -1;
    *out = n;
    return 0;
}

static int parse_switch(const char *value, bool *out)
{
    if (strcmp(value, "1") == 0 || strcasecmp(value, "true") == 0 ||
        strcasecmp(value, "on") == 0)
        *out = true;
    else if (strcmp(value, "0") == 0 || strcasecmp(value, "false") == 0 ||
             strcasecmp(value, "off") == 0)
        *out = false;
    else
        return -1;
    return 0;
}

static void store_rate(struct fault_values *fv, const char *name, double d)
{
    struct sim_faults *f = &fv->faults;
    double *slots[] = {&f->unavailable_rate, &f->lock_rate, &f->drop_rate,
                       &f->html_rate, &f->truncate_rate, &f->corrupt_rate};
    const char *names[] = {"unavailable", "lock", "drop",
                           "html", "truncate", "corrupt"};

    for (size_t i = 0; i < ARRAY_SIZE(names); i++)
        if (strcmp(name, names[i]) == 0)
            *slots[i] = d;
}

static void store_count(struct fault_values *fv, const char *name, int64_t n)
{
    struct sim_faults *f = &fv->faults;

    /* The bounds in fault_specs keep the int fields from wrapping. */
    if (strcmp(name, "latency") == 0)
        f->latency_ms = (int)n;
    else if (strcmp(name, "expire-after") == 0)
        f->expire_after_calls = n;
    else if (strcmp(name, "late-commit") == 0)
        f->late_commit_seconds = (int)n;
    else if (strcmp(name, "max-page-size") == 0)
        f->max_page_size = (int)n;
    else if (strcmp(name, "api-limit") == 0)
        fv->api_limit = n;
    else if (strcmp(name, "api-used") == 0)
        fv->api_used = n;
    else if (strcmp(name, "seed") == 0)
        f->seed = n;
    if (strcmp(name, "seed") == 0)
        f->rng = (uint64_t)n;
}

static void store_switch(struct fault_values *fv, const char *name, bool on)
{
    struct sim_faults *f = &fv->faults;

    if (strcmp(name, "refresh-revoked") == 0) {
        f->refresh_revoked = on;
    } else {
        f->same_stamp = on;
        f->frozen_stamp_ms = 0;
    }
}

/* Parse value for the fault name and store it in fv; fill err and return
 * a negative code when either is invalid. */
static int stage_fault(struct fault_values *fv, const char *name,
                       const char *value, struct err *err)
{
    const struct fault_spec *spec = find_fault(name);
    int64_t n;
    double d;
    bool on;

    if (!spec)
        return err_set(err, SYNC_EINVALID,
                       "unknown fault '%s': use latency, unavailable, lock, "
                       "drop, expire-after, refresh-revoked, late-commit, "
                       "same-stamp, max-page-size, html, truncate, corrupt, "
                       "api-limit, api-used or seed",
                       name);
    switch (spec->kind) {
    case FAULT_RATE:
        if (parse_rate(value, &d) < 0)
            return err_set(err, SYNC_EINVALID,
                           "invalid value '%s' for fault '%s': give a rate "
                           "from 0 to 1",
                           value, name);
        store_rate(fv, name, d);
        break;
    case FAULT_COUNT:
        if (parse_count(value, spec->max, &n) < 0)
            return err_set(err, SYNC_EINVALID,
                           "invalid value '%s' for fault '%s': give a whole "
                           "number from 0 to %lld",
                           value, name, (long long)spec->max);
        store_count(fv, name, n);
        break;
    case FAULT_SWITCH:
        if (parse_switch(value, &on) < 0)
            return err_set(err, SYNC_EINVALID,
                           "invalid value '%s' for fault '%s': give 1 or 0 "
                           "(true or false)",
                           value, name);
        store_switch(fv, name, on);
        break;
    }
    return 0;
}

static void stage_begin(const struct sim_org *org, struct fault_values *fv)
{
    fv->faults = org->faults;
    fv->api_limit = org->cfg.api_limit;
    fv->api_used = org->api_used;
}

static void stage_commit(struct sim_org *org, const struct fault_values *fv)
{
    org->faults = fv->faults;
    org->cfg.api_limit = fv->api_limit;
    org->api_used = fv->api_used;
}

int sim_faults_set(struct sim_org *org, const char *name, const char *value,
                   struct err *err)
{
    struct fault_values fv;
    int rc;

    stage_begin(org, &fv);
    if ((rc = stage_fault(&fv, name, value, err)) < 0)
        return rc;
    stage_commit(org, &fv);
    log_info("sim", "fault set", "name=%s value=%s", name, value);
    return 0;
}

static json_t *faults_json(const struct sim_org *org)
{
    const struct sim_faults *f = &org->faults;

    return json_pack("{s:i, s:f, s:f, s:f, s:I, s:b, s:i, s:b, s:i, s:f,"
                     " s:f, s:f, s:I, s:I, s:o}",
                     "latency", f->latency_ms, "unavailable",
                     f->unavailable_rate, "lock", f->lock_rate, "drop",
                     f->drop_rate, "expire-after",
                     (json_int_t)f->expire_after_calls, "refresh-revoked",
                     f->refresh_revoked, "late-commit",
                     f->late_commit_seconds, "same-stamp", f->same_stamp,
                     "max-page-size", f->max_page_size, "html", f->html_rate,
                     "truncate", f->truncate_rate, "corrupt",
                     f->corrupt_rate, "api-limit",
                     (json_int_t)org->cfg.api_limit, "api-used",
                     (json_int_t)org->api_used, "seed",
                     f->seed < 0 ? json_null() : json_integer(f->seed));
}

static void reply_sim_error(struct http_resp *resp, int status,
                            const char *msg)
{
    /* A message may echo request text or be cut inside a character. */
    char *text = sim_utf8_repair(msg);

    http_resp_json(resp, status, json_pack("{s:s}", "error", text));
    free(text);
}

static json_t *parse_body(struct http_req *req, struct http_resp *resp)
{
    size_t skip = sim_body_skip_bom(req->body, req->body_len);
    json_error_t jerr;
    json_t *body;
    char msg[300];

    if (req->body_len == skip)
        return json_object();
    body = json_loadb(req->body + skip, req->body_len - skip,
                      JSON_DECODE_ANY, &jerr);
    if (json_is_object(body))
        return body;
    if (body)
        snprintf(msg, sizeof(msg), "the body must be a JSON object, not %s",
                 json_is_array(body) ? "an array" : "a scalar value");
    else
        snprintf(msg, sizeof(msg),
                 "the body must be a JSON object: %s at line %d column %d",
                 jerr.text, jerr.line, jerr.column);
    sim_utf8_repair_in(msg, sizeof(msg));
    reply_sim_error(resp, 400, msg);
    json_decref(body);
    return NULL;
}

static int get_faults(struct http_req *req, struct http_resp *resp,
                      void *payload)
{
    (void)payload;
    http_resp_json(resp, 200, faults_json(sim_request_org(req)));
    return 0;
}

/* The shortest decimal text that reads back as d. */
static char *format_real(double d)
{
    char buf[40];

    for (int precision = 1; precision <= 17; precision++) {
        snprintf(buf, sizeof(buf), "%.*g", precision, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    return xstrdup(buf);
}

/* The text of a fault value in a JSON body, as the client wrote it. */
static char *fault_text(json_t *v)
{
    char *text;

    if (json_is_string(v))
        return xstrdup(json_string_value(v));
    if (json_is_real(v))
        return format_real(json_real_value(v));
    text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    return text ? text : xstrdup("?");
}

static int put_faults(struct http_req *req, struct http_resp *resp,
                      void *payload)
{
    struct sim_org *org = sim_request_org(req);
    json_t *body = parse_body(req, resp), *v;
    struct fault_values fv;
    const char *key;
    struct err err;

    (void)payload;
    if (!body)
        return 0;
    stage_begin(org, &fv);
    json_object_foreach(body, key, v)
    {
        char *text = fault_text(v);
        int rc = stage_fault(&fv, key, text, &err);

        free(text);
        if (rc < 0) {
            reply_sim_error(resp, 400, err.msg);
            json_decref(body);
            return 0;
        }
    }
    stage_commit(org, &fv);
    json_object_foreach(body, key, v)
    {
        char *text = fault_text(v);

        log_info("sim", "fault set", "name=%s value=%s", key, text);
        free(text);
    }
    json_decref(body);
    http_resp_json(resp, 200, faults_json(org));
    return 0;
}

/* The user a control action runs as: "username" in the body, else the
 * first user added with --user, else the integration user. */
static struct sim_user *acting_user(struct sim_org *org, json_t *body)
{
    const char *name = json_string_value(json_object_get(body, "username"));

    if (name)
        return sim_org_user_by_name(org, name);
    for (size_t i = 0; i < org->nusers; i++)
        if (!org->users[i]->integration)
            return org->users[i];
    return sim_org_integration_user(org);
}

static void set_field(struct sim_record *rec, const char *name,
                      const char *value)
{
    struct sim_field *f = sim_object_field(rec->obj, name);

    if (f)
        sim_record_set(rec, f->index, value);
}

static const char *get_field(const struct sim_record *rec, const char *name)
{
    struct sim_field *f = sim_object_field(rec->obj, name);

    return f ? sim_record_get(rec, f->index) : NULL;
}

/* Lead fields copied to the Contact a conversion creates or fills. */
static const char *const lead_to_contact[][2] = {
    {"FirstName", "FirstName"},
    {"LastName", "LastName"},
    {"Salutation", "Salutation"},
    {"Title", "Title"},
    {"Email", "Email"},
    {"Phone", "Phone"},
    {"MobilePhone", "MobilePhone"},
    {"Fax", "Fax"},
    {"LeadSource", "LeadSource"},
    {"Description", "Description"},
    {"DoNotCall", "DoNotCall"},
    {"HasOptedOutOfEmail", "HasOptedOutOfEmail"},
    {"HasOptedOutOfFax", "HasOptedOutOfFax"},
    {"Street", "MailingStreet"},
    {"City", "MailingCity"},
    {"State", "MailingState"},
    {"PostalCode", "MailingPostalCode"},
    {"Country", "MailingCountry"},
};

static struct sim_record *find_live(struct sim_org *org, json_t *body,
                                    const char *key, const char *object,
                                    struct http_resp *resp)
{
    const char *id = json_string_value(json_object_get(body, key));
    struct sim_record *rec;
    char msg[160];

    if (!id)
        return NULL;
    rec = sim_record_find(org, id);
    if (!rec || rec->deleted_ms || strcmp(rec->obj->name, object) != 0) {
        snprintf(msg, sizeof(msg), "%s '%s' is not a live %s record", key,
                 id, object);
        reply_sim_error(resp, 400, msg);
        return (struct sim_record *)-1;
    }
    return rec;
}

static struct sim_record *new_record(struct sim_org *org, const char *object,
                                     const struct sim_user *user)
{
    struct sim_record *rec = sim_record_new(sim_org_object(org, object));

    set_field(rec, "OwnerId", user->id);
    set_field(rec, "IsDeleted", "false");
    return rec;
}

/* The keys a conversion body takes. */
static const char *const convert_keys[] = {"accountId", "contactId",
                                           "convertedStatus", "username"};

/* Check that body has only convert_keys, each a string or null. Reply 400
 * and return -1 otherwise. */
static int check_convert_body(json_t *body, struct http_resp *resp)
{
    const char *key;
    json_t *v;
    char msg[300];

    json_object_foreach(body, key, v)
    {
        bool known = false;

        for (size_t i = 0; i < ARRAY_SIZE(convert_keys); i++)
            known = known || strcmp(key, convert_keys[i]) == 0;
        if (!known)
            snprintf(msg, sizeof(msg),
                     "unknown key '%s' in the conversion body: use "
                     "accountId, contactId, convertedStatus or username",
                     key);
        else if (!json_is_string(v) && !json_is_null(v))
            snprintf(msg, sizeof(msg), "'%s' must be a string", key);
        else
            continue;
        reply_sim_error(resp, 400, msg);
        return -1;
    }
    return 0;
}

/* The converted status of a conversion: convertedStatus, which must be a
 * value of the Lead Status picklist, or "Closed - Converted". NULL after
 * replying 400. */
static const char *converted_status(const struct sim_record *lead,
                                    json_t *body, struct http_resp *resp)
{
    const char *status =
        json_string_value(json_object_get(body, "convertedStatus"));
    const struct sim_field *f = sim_object_field(lead->obj, "Status");
    char msg[300];

    if (!status)
        return "Closed - Converted";
    for (size_t i = 0; f && i < f->npicklist; i++)
        if (strcmp(f->picklist[i], status) == 0)
            return status;
    snprintf(msg, sizeof(msg),
             "convertedStatus '%s' is not a value of the Lead Status "
             "picklist, such as 'Closed - Converted'",
             status);
    reply_sim_error(resp, 400, msg);
    return NULL;
}

/*
 * Resolve the Account and Contact a conversion goes into. A given Contact
 * must belong to the given Account, as Salesforce requires; without
 * accountId the Contact's own Account is used. Either may come back NULL
 * (create one). Return -1 after replying 400.
 */
static int convert_targets(struct sim_org *org, json_t *body,
                           struct sim_record **account,
                           struct sim_record **contact,
                           struct http_resp *resp)
{
    const char *owner;
    char msg[300];

    *account = find_live(org, body, "accountId", "Account", resp);
    *contact = find_live(org, body, "contactId", "Contact", resp);
    if (*account == (void *)-1 || *contact == (void *)-1)
        return -1;
    if (!*contact)
        return 0;
    owner = get_field(*contact, "AccountId");
    if (*account && (!owner || strcmp(owner, (*account)->id) != 0)) {
        snprintf(msg, sizeof(msg),
                 "contactId '%s' belongs to %s%s, not to accountId '%s'; "
                 "give a Contact of that Account",
                 (*contact)->id, owner ? "Account " : "no Account",
                 owner ? owner : "", (*account)->id);
        reply_sim_error(resp, 400, msg);
        return -1;
    }
    if (!*account && owner)
        *account = sim_record_find(org, owner);
    if (!*account || (*account)->deleted_ms) {
        snprintf(msg, sizeof(msg),
                 "contactId '%s' belongs to no live Account; give a Contact "
                 "of an Account, and that Account as accountId",
                 (*contact)->id);
        reply_sim_error(resp, 400, msg);
        return -1;
    }
    return 0;
}

/* Create the records a conversion needs and fill the Contact from lead;
 * *contact may be NULL or an existing Contact. */
static void convert_into(struct sim_org *org, const struct sim_user *user,
                         const struct sim_record *lead,
                         struct sim_record **account,
                         struct sim_record **contact)
{
    bool new_contact = !*contact;

    if (!*account) {
        const char *company = get_field(lead, "Company");

        *account = new_record(org, "Account", user);
        set_field(*account, "Name", company ? company : "[not provided]");
        sim_record_touch(org, *account, user);
        sim_record_insert(org, *account);
    }
    if (new_contact) {
        *contact = new_record(org, "Contact", user);
        set_field(*contact, "AccountId", (*account)->id);
    }
    /* Conversion into an existing Contact fills only its empty fields. */
    for (size_t i = 0; i < ARRAY_SIZE(lead_to_contact); i++) {
        const char *v = get_field(lead, lead_to_contact[i][0]);

        if (v && (new_contact || !get_field(*contact, lead_to_contact[i][1])))
            set_field(*contact, lead_to_contact[i][1], v);
    }
    sim_record_touch(org, *contact, user);
    if (new_contact)
        sim_record_insert(org, *contact);
}

static int post_convert(struct http_req *req, struct http_resp *resp,
                        void *payload)
{
    struct sim_org *org = sim_request_org(req);
    struct sim_record *lead, *account, *contact;
    const struct sim_user *user;
    const char *status;
    char today[DATETIME_LEN];
    json_t *body = parse_body(req, resp);

    (void)payload;
    if (!body)
        return 0;
    if (check_convert_body(body, resp) < 0)
        goto out;
    user = acting_user(org, body);
    lead = sim_record_find(org, req->params[0]);
    if (!user || !lead || lead->deleted_ms ||
        strcmp(lead->obj->name, "Lead") != 0) {
        reply_sim_error(resp, user ? 404 : 400,
                        user ? "no live Lead has that id"
                             : "unknown username");
        goto out;
    }
    if (strcmp(get_field(lead, "IsConverted"), "true") == 0) {
        reply_sim_error(resp, 400, "the Lead is already converted");
        goto out;
    }
    status = converted_status(lead, body, resp);
    if (!status || convert_targets(org, body, &account, &contact, resp) < 0)
        goto out;
    convert_into(org, user, lead, &account, &contact);
    date_format(datetime_now_ms() / 86400000, today);
    set_field(lead, "IsConverted", "true");
    set_field(lead, "Status", status);
    set_field(lead, "ConvertedDate", today);
    set_field(lead, "ConvertedAccountId", account->id);
    set_field(lead, "ConvertedContactId", contact->id);
    sim_record_touch(org, lead, user);
    log_info("sim", "lead converted", "lead=%s contact=%s account=%s",
             lead->id, contact->id, account->id);
    http_resp_json(resp, 200,
                   json_pack("{s:s, s:s, s:s}", "leadId", lead->id,
                             "contactId", contact->id, "accountId",
                             account->id));
out:
    json_decref(body);
    return 0;
}

static bool is_converted(const struct sim_record *rec)
{
    const char *v = get_field(rec, "IsConverted");

    return v && strcmp(v, "true") == 0;
}

/*
 * Read and check the records of a merge: masterId, and ids naming one or
 * two other live records of the same mergeable object, each once. Lead
 * merges take no converted Lead, as in Salesforce. Return how many losers
 * there are, or 0 after replying 400.
 */
static size_t merge_records(struct sim_org *org, json_t *body,
                            struct sim_record **master,
                            struct sim_record *losers[2],
                            struct http_resp *resp)
{
    json_t *ids = json_object_get(body, "ids");
    size_t n = json_array_size(ids);

    *master = sim_record_find(
        org, json_string_value(json_object_get(body, "masterId")));
    if (!*master || (*master)->deleted_ms || n < 1 || n > 2) {
        reply_sim_error(resp, 400,
                        "give masterId (a live record) and ids (one or two "
                        "records of the same object to merge into it)");
        return 0;
    }
    if (!json_is_true(json_object_get((*master)->obj->describe,
                                      "mergeable"))) {
        reply_sim_error(resp, 400, "records of this object cannot be merged");
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        losers[i] = sim_record_find(
            org, json_string_value(json_array_get(ids, i)));
        if (!losers[i] || losers[i]->deleted_ms ||
            losers[i]->obj != (*master)->obj || losers[i] == *master) {
            reply_sim_error(resp, 400,
                            "every id must be a live record of the master's "
                            "object other than the master");
            return 0;
        }
        if (i == 1 && losers[1] == losers[0]) {
            reply_sim_error(resp, 400, "ids names the same record twice");
            return 0;
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (is_converted(*master) || is_converted(losers[i])) {
            reply_sim_error(resp, 400,
                            "a converted Lead cannot be merged, as in "
                            "Salesforce");
            return 0;
        }
    }
    return n;
}

/*
 * Point the live records that refer to a loser through a child
 * relationship of the object (an Account's Contacts, converted Leads and
 * child Accounts) at the master, as Salesforce re-parents them. A master
 * that referred to a loser is cleared, since a record cannot refer to
 * itself that way. Return how many records changed.
 */
static size_t reparent_children(struct sim_org *org,
                                const struct sim_user *user,
                                struct sim_record *master,
                                struct sim_record *const *losers, size_t n)
{
    json_t *rels = json_object_get(master->obj->describe,
                                   "childRelationships");
    size_t i, count = 0;
    json_t *rel;

    json_array_foreach(rels, i, rel)
    {
        struct sim_object *child = sim_org_object(
            org, json_string_value(json_object_get(rel, "childSObject")));
        const char *name = json_string_value(json_object_get(rel, "field"));
        struct sim_field *f = child && name ? sim_object_field(child, name)
                                            : NULL;

        if (!f || strcmp(f->name, "MasterRecordId") == 0)
            continue;
        for (size_t j = 0; j < child->nrecords; j++) {
            struct sim_record *rec = child->records[j];
            const char *v = rec->values[f->index];
            bool points = false;

            for (size_t k = 0; v && k < n; k++)
                points = points || strcmp(v, losers[k]->id) == 0;
            if (!points || rec->deleted_ms ||
                (rec != master && (rec == losers[0] ||
                                   (n > 1 && rec == losers[1]))))
                continue;
            sim_record_set(rec, f->index, rec == master ? NULL : master->id);
            sim_record_touch(org, rec, user);
            count++;
        }
    }
    return count;
}

static int post_merge(struct http_req *req, struct http_resp *resp,
                      void *payload)
{
    struct sim_org *org = sim_request_org(req);
    json_t *body = parse_body(req, resp);
    struct sim_record *master, *losers[2];
    const struct sim_user *user;
    size_t n, moved;

    (void)payload;
    if (!body)
        return 0;
    user = acting_user(org, body);
    if (!user) {
        reply_sim_error(resp, 400, "unknown username");
        goto out;
    }
    n = merge_records(org, body, &master, losers, resp);
    if (!n)
        goto out;
    moved = reparent_children(org, user, master, losers, n);
    for (size_t i = 0; i < n; i++) {
        /* A merge is not an API write, so the fault switches that fail
         * writes do not apply to it. */
        losers[i]->deleted_ms = datetime_now_ms();
        set_field(losers[i], "MasterRecordId", master->id);
        set_field(losers[i], "IsDeleted", "true");
        sim_record_touch(org, losers[i], user);
        log_info("sim", "record merged", "master=%s loser=%s", master->id,
                 losers[i]->id);
    }
    sim_record_touch(org, master, user);
    if (moved)
        log_info("sim", "merge re-parented records", "master=%s records=%zu",
                 master->id, moved);
    http_resp_json(resp, 200,
                   json_pack("{s:s, s:O}", "masterId", master->id,
                             "mergedIds", json_object_get(body, "ids")));
out:
    json_decref(body);
    return 0;
}

/* Text of a JSON scalar as sfsim stores it, or NULL for null. */
static char *raw_text(json_t *v)
{
    if (json_is_string(v))
        return xstrdup(json_string_value(v));
    if (json_is_boolean(v))
        return xstrdup(json_is_true(v) ? "true" : "false");
    if (json_is_integer(v))
        return xasprintf("%" JSON_INTEGER_FORMAT, json_integer_value(v));
    if (json_is_real(v))
        return format_real(json_real_value(v));
    return NULL;
}

/* Fields that sfsim maintains itself and no raw edit may set: the stamps
 * (CreatedDate, LastModifiedDate, SystemModstamp) are not among them. */
static bool is_maintained(const struct sim_object *obj,
                          const struct sim_field *f)
{
    static const char *const names[] = {
        "Id",           "IsDeleted",          "MasterRecordId",
        "CreatedById",  "LastModifiedById",   "IsConverted",
        "ConvertedDate", "ConvertedAccountId", "ConvertedContactId",
        "ConvertedOpportunityId"};

    for (size_t i = 0; i < ARRAY_SIZE(names); i++)
        if (strcmp(f->name, names[i]) == 0)
            return true;
    /* The compound address and the Name of a Contact or Lead are built
     * from other fields. */
    return f->type == SIM_T_ADDRESS ||
           ((int)f->index == obj->f_name && obj->f_last_name >= 0 &&
            !f->createable);
}

/* Whether text is a whole number in the int64 range. */
static bool is_integer_text(const char *text)
{
    char *end;

    errno = 0;
    strtoll(text, &end, 10);
    return *text && !*end && !errno &&
           (isdigit((unsigned char)*text) || *text == '-' || *text == '+');
}

/* Whether text is a finite decimal number. */
static bool is_decimal_text(const char *text)
{
    char *end;
    double d;

    if (!*text || strspn(text, "0123456789+-.eE") != strlen(text))
        return false;
    d = strtod(text, &end);
    return !*end && isfinite(d);
}

/*
 * Convert the stored text of a raw edit to the form of its field type, so
 * that the record still renders: booleans, numbers, dates and ids must
 * parse. Text types take any scalar. Return the text to store (owned,
 * NULL for null), or set *bad.
 */
static char *fit_raw_value(const struct sim_field *f, json_t *v, bool *bad)
{
    char *text = raw_text(v);
    char norm[DATETIME_LEN], id18[19];
    int64_t n;

    *bad = false;
    if (!text)
        return NULL;
    switch (f->type) {
    case SIM_T_BOOLEAN:
        *bad = strcasecmp(text, "true") != 0 && strcasecmp(text, "false");
        if (!*bad)
            snprintf(norm, sizeof(norm), "%s",
                     tolower((unsigned char)*text) == 't' ? "true" : "false");
        break;
    case SIM_T_INT:
        *bad = !is_integer_text(text);
        if (!*bad)
            snprintf(norm, sizeof(norm), "%lld", strtoll(text, NULL, 10));
        break;
    case SIM_T_DOUBLE:
    case SIM_T_CURRENCY:
    case SIM_T_PERCENT:
        *bad = !is_decimal_text(text);
        break;
    case SIM_T_DATE:
        *bad = date_parse(text, &n, NULL) < 0;
        if (!*bad)
            date_format(n, norm);
        break;
    case SIM_T_DATETIME:
        *bad = datetime_parse(text, &n, NULL) < 0;
        if (!*bad)
            datetime_format_sf(n, norm);
        break;
    case SIM_T_ID:
    case SIM_T_REFERENCE:
        *bad = sim_id_to18(text, id18) < 0;
        if (!*bad)
            snprintf(norm, sizeof(norm), "%s", id18);
        break;
    default:
        return text;
    }
    if (!*bad && (f->type == SIM_T_DOUBLE || f->type == SIM_T_CURRENCY ||
                  f->type == SIM_T_PERCENT))
        return text;
    free(text);
    return *bad ? NULL : xstrdup(norm);
}

/* Check every key of a raw edit of rec. Reply 400 and return -1 on the
 * first that names no field, a maintained field or an unfit value. */
static int check_raw_edit(const struct sim_record *rec, json_t *body,
                          struct http_resp *resp)
{
    const char *key;
    json_t *v;
    char msg[300];

    json_object_foreach(body, key, v)
    {
        const struct sim_field *f = sim_object_field(rec->obj, key);
        bool bad = false;

        if (!f || (!json_is_null(v) && !json_is_string(v) &&
                   !json_is_number(v) && !json_is_boolean(v))) {
            snprintf(msg, sizeof(msg),
                     "'%s' is not a field of %s or its value is not a "
                     "scalar",
                     key, rec->obj->name);
        } else if (is_maintained(rec->obj, f)) {
            snprintf(msg, sizeof(msg),
                     "%s.%s is maintained by sfsim and cannot be set here; "
                     "the stamps CreatedDate, LastModifiedDate and "
                     "SystemModstamp can",
                     rec->obj->name, f->name);
        } else {
            free(fit_raw_value(f, v, &bad));
            if (!bad)
                continue;
            snprintf(msg, sizeof(msg),
                     "the value of %s.%s does not fit its type, %s",
                     rec->obj->name, f->name,
                     json_string_value(json_object_get(f->describe, "type")));
        }
        reply_sim_error(resp, 400, msg);
        return -1;
    }
    return 0;
}

/*
 * Set stored values of a record directly, with no validation beyond the
 * field types, no stamps and no faults. This is for data that the API
 * would reject today but that an org may hold (values written by Apex or
 * before a field changed), or a SystemModstamp moved into the past as a
 * late commit leaves it.
 */
static int patch_record(struct http_req *req, struct http_resp *resp,
                        void *payload)
{
    struct sim_org *org = sim_request_org(req);
    struct sim_record *rec = sim_record_find(org, req->params[0]);
    json_t *body = parse_body(req, resp), *v;
    const char *key;
    bool bad;

    (void)payload;
    if (!body)
        return 0;
    if (!rec) {
        reply_sim_error(resp, 404, "no record has that id");
        goto out;
    }
    if (rec->obj->derived) {
        reply_sim_error(resp, 400,
                        "User and Organization records are built from the "
                        "users and the org; they cannot be edited");
        goto out;
    }
    if (check_raw_edit(rec, body, resp) < 0)
        goto out;
    json_object_foreach(body, key, v)
    {
        struct sim_field *f = sim_object_field(rec->obj, key);
        char *text = fit_raw_value(f, v, &bad);

        if (text && (int)f->index == rec->obj->f_system_modstamp)
            datetime_parse(text, &rec->modstamp_ms, NULL);
        sim_record_set(rec, f->index, text);
        free(text);
    }
    sim_state_save_record(org, rec);
    log_info("sim", "record values set directly", "id=%s", rec->id);
    http_resp_json(resp, 200, sim_record_json(rec, "60.0", NULL, 0));
out:
    json_decref(body);
    return 0;
}

void sim_control_routes(struct http_router *r)
{
    http_router_add(r, "PATCH", "/sim/records/{id}", patch_record, NULL);
    http_router_add(r, "GET", "/sim/faults", get_faults, NULL);
    http_router_add(r, "PUT", "/sim/faults", put_faults, NULL);
    http_router_add(r, "PATCH", "/sim/faults", put_faults, NULL);
    http_router_add(r, "POST", "/sim/faults", put_faults, NULL);
    http_router_add(r, "POST", "/sim/leads/{id}/convert", post_convert, NULL);
    http_router_add(r, "POST", "/sim/merge", post_merge, NULL);
}
