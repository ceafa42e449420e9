/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * Simulator-only control endpoints under /sim/, which are not part of
 * Salesforce: the fault switches, lead conversion and record merge (which
 * Salesforce offers only in its UI and through Apex).
 */
#include "base/common.h"

#include <strings.h>

#include "base/datetime.h"
#include "sim.h"

static int parse_rate(const char *value, double *out)
{
    char *end;
    double d = strtod(value, &end);

    if (end == value || *end || d < 0 || d > 1)
        return -1;
    *out = d;
    return 0;
}

static int parse_count(const char *value, int64_t *out)
{
    char *end;
    long long n = strtoll(value, &end, 10);

    if (end == value || *end || n < 0)
        return -1;
    *out = n;
    return 0;
}

static int parse_flag(const char *value, bool *out)
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

int sim_faults_set(struct sim_org *org, const char *name, const char *value,
                   struct err *err)
{
    struct sim_faults *f = &org->faults;
    int64_t n = 0;
    bool flag;
    int rc = -1;

    if (strcmp(name, "latency") == 0) {
        rc = parse_count(value, &n);
        f->latency_ms = (int)n;
    } else if (strcmp(name, "unavailable") == 0) {
        rc = parse_rate(value, &f->unavailable_rate);
    } else if (strcmp(name, "lock") == 0) {
        rc = parse_rate(value, &f->lock_rate);
    } else if (strcmp(name, "drop") == 0) {
        rc = parse_rate(value, &f->drop_rate);
    } else if (strcmp(name, "expire-after") == 0) {
        rc = parse_count(value, &f->expire_after_calls);
    } else if (strcmp(name, "refresh-revoked") == 0) {
        rc = parse_flag(value, &f->refresh_revoked);
    } else if (strcmp(name, "late-commit") == 0) {
        rc = parse_count(value, &n);
        f->late_commit_seconds = (int)n;
    } else if (strcmp(name, "same-stamp") == 0) {
        rc = parse_flag(value, &flag);
        f->same_stamp = flag;
        f->frozen_stamp_ms = 0;
    } else if (strcmp(name, "max-page-size") == 0) {
        rc = parse_count(value, &n);
        f->max_page_size = (int)n;
    } else if (strcmp(name, "html") == 0) {
        rc = parse_rate(value, &f->html_rate);
    } else if (strcmp(name, "truncate") == 0) {
        rc = parse_rate(value, &f->truncate_rate);
    } else if (strcmp(name, "corrupt") == 0) {
        rc = parse_rate(value, &f->corrupt_rate);
    } else if (strcmp(name, "api-limit") == 0) {
        rc = parse_count(value, &org->cfg.api_limit);
    } else if (strcmp(name, "api-used") == 0) {
        rc = parse_count(value, &org->api_used);
    } else if (strcmp(name, "seed") == 0) {
        rc = parse_count(value, &n);
        f->rng = (uint64_t)n;
    } else {
        return err_set(err, SYNC_EINVALID,
                       "unknown fault '%s': use latency, unavailable, lock, "
                       "drop, expire-after, refresh-revoked, late-commit, "
                       "same-stamp, max-page-size, html, truncate, corrupt, "
                       "api-limit, api-used or seed",
                       name);
    }
    if (rc < 0)
        return err_set(err, SYNC_EINVALID,
                       "invalid value '%s' for fault '%s': rates are "
                       "0 to 1, counts are whole numbers, switches are 0 "
                       "or 1",
                       value, name);
    log_info("sim", "fault set", "name=%s value=%s", name, value);
    return 0;
}

static json_t *faults_json(const struct sim_org *org)
{
    const struct sim_faults *f = &org->faults;

    return json_pack("{s:i, s:f, s:f, s:f, s:I, s:b, s:i, s:b, s:i, s:f,"
                     " s:f, s:f, s:I, s:I}",
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
                     (json_int_t)org->api_used);
}

static void reply_sim_error(struct http_resp *resp, int status,
                            const char *msg)
{
    http_resp_json(resp, status, json_pack("{s:s}", "error", msg));
}

static json_t *parse_body(struct http_req *req, struct http_resp *resp)
{
    json_error_t jerr;
    json_t *body;

    if (req->body_len == 0)
        return json_object();
    body = json_loadb(req->body, req->body_len, 0, &jerr);
    if (!json_is_object(body)) {
        char msg[300];

        snprintf(msg, sizeof(msg),
                 "the body must be a JSON object: %s at line %d column %d",
                 body ? "not an object" : jerr.text, jerr.line, jerr.column);
        reply_sim_error(resp, 400, msg);
        json_decref(body);
        return NULL;
    }
    return body;
}

static int get_faults(struct http_req *req, struct http_resp *resp,
                      void *payload)
{
    (void)req;
    http_resp_json(resp, 200, faults_json(payload));
    return 0;
}

static int put_faults(struct http_req *req, struct http_resp *resp,
                      void *payload)
{
    struct sim_org *org = payload;
    json_t *body = parse_body(req, resp), *v;
    const char *key;
    struct err err;

    if (!body)
        return 0;
    json_object_foreach(body, key, v)
    {
        char text[64];

        if (json_is_true(v) || json_is_false(v))
            snprintf(text, sizeof(text), "%d", json_is_true(v));
        else if (json_is_integer(v))
            snprintf(text, sizeof(text), "%lld",
                     (long long)json_integer_value(v));
        else if (json_is_real(v))
            snprintf(text, sizeof(text), "%.17g", json_real_value(v));
        else if (json_is_string(v))
            snprintf(text, sizeof(text), "%s", json_string_value(v));
        else
            snprintf(text, sizeof(text), "(not a scalar)");
        if (sim_faults_set(org, key, text, &err) < 0) {
            reply_sim_error(resp, 400, err.msg);
            json_decref(body);
            return 0;
        }
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

static int post_convert(struct http_req *req, struct http_resp *resp,
                        void *payload)
{
    struct sim_org *org = payload;
    struct sim_record *lead, *account, *contact;
    const struct sim_user *user;
    const char *status;
    char today[DATETIME_LEN];
    json_t *body = parse_body(req, resp);
    bool new_contact = false;

    if (!body)
        return 0;
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
    status = json_string_value(json_object_get(body, "convertedStatus"));
    if (!status)
        status = "Closed - Converted";
    account = find_live(org, body, "accountId", "Account", resp);
    contact = find_live(org, body, "contactId", "Contact", resp);
    if (account == (void *)-1 || contact == (void *)-1)
        goto out;
    if (!account && contact && get_field(contact, "AccountId"))
        account = sim_record_find(org, get_field(contact, "AccountId"));
    if (!account) {
        const char *company = get_field(lead, "Company");

        account = new_record(org, "Account", user);
        set_field(account, "Name", company ? company : "[not provided]");
        sim_record_touch(org, account, user);
        sim_record_insert(org, account);
    }
    if (!contact) {
        contact = new_record(org, "Contact", user);
        set_field(contact, "AccountId", account->id);
        new_contact = true;
    }
    /* Conversion into an existing Contact fills only its empty fields. */
    for (size_t i = 0; i < ARRAY_SIZE(lead_to_contact); i++) {
        const char *v = get_field(lead, lead_to_contact[i][0]);

        if (v && (new_contact || !get_field(contact, lead_to_contact[i][1])))
            set_field(contact, lead_to_contact[i][1], v);
    }
    sim_record_touch(org, contact, user);
    if (new_contact)
        sim_record_insert(org, contact);
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

static int post_merge(struct http_req *req, struct http_resp *resp,
                      void *payload)
{
    struct sim_org *org = payload;
    json_t *body = parse_body(req, resp);
    json_t *ids = body ? json_object_get(body, "ids") : NULL;
    struct sim_record *master, *losers[2];
    const struct sim_user *user;
    size_t n, i;
    json_t *v;

    if (!body)
        return 0;
    user = acting_user(org, body);
    master = sim_record_find(
        org, json_string_value(json_object_get(body, "masterId")));
    n = json_array_size(ids);
    if (!user || !master || master->deleted_ms || n < 1 || n > 2) {
        reply_sim_error(resp, 400,
                        "give masterId (a live record) and ids (one or two "
                        "records of the same object to merge into it)");
        goto out;
    }
    json_array_foreach(ids, i, v)
    {
        losers[i] = sim_record_find(org, json_string_value(v));
        if (!losers[i] || losers[i]->deleted_ms ||
            losers[i]->obj != master->obj || losers[i] == master) {
            reply_sim_error(resp, 400,
                            "every id must be a live record of the master's "
                            "object other than the master");
            goto out;
        }
    }
    for (i = 0; i < n; i++) {
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
    http_resp_json(resp, 200,
                   json_pack("{s:s, s:O}", "masterId", master->id,
                             "mergedIds", ids));
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
        return xasprintf("%.17g", json_real_value(v));
    return NULL;
}

/*
 * Set stored values of a record directly, with no validation, no stamps
 * and no faults: data that the API would reject today but that an org may
 * hold (values written by Apex or before a field changed), or a
 * SystemModstamp moved into the past as a late commit leaves it.
 */
static int patch_record(struct http_req *req, struct http_resp *resp,
                        void *payload)
{
    struct sim_org *org = payload;
    struct sim_record *rec = sim_record_find(org, req->params[0]);
    json_t *body = parse_body(req, resp), *v;
    const char *key;

    if (!body)
        return 0;
    if (!rec) {
        reply_sim_error(resp, 404, "no record has that id");
        goto out;
    }
    json_object_foreach(body, key, v)
    {
        if (!sim_object_field(rec->obj, key) ||
            (!json_is_null(v) && !json_is_string(v) && !json_is_number(v) &&
             !json_is_boolean(v))) {
            char msg[200];

            snprintf(msg, sizeof(msg),
                     "'%s' is not a field of %s or its value is not a "
                     "scalar",
                     key, rec->obj->name);
            reply_sim_error(resp, 400, msg);
            goto out;
        }
    }
    json_object_foreach(body, key, v)
    {
        struct sim_field *f = sim_object_field(rec->obj, key);
        char *text = raw_text(v);

        if (f->type == SIM_T_DATETIME && text) {
            int64_t ms;
            char norm[DATETIME_LEN];

            if (datetime_parse(text, &ms, NULL) == 0) {
                datetime_format_sf(ms, norm);
                free(text);
                text = xstrdup(norm);
                if ((int)f->index == rec->obj->f_system_modstamp)
                    rec->modstamp_ms = ms;
            }
        }
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

void sim_control_routes(struct http_router *r, struct sim_org *org)
{
    http_router_add(r, "PATCH", "/sim/records/{id}", patch_record, org);
    http_router_add(r, "GET", "/sim/faults", get_faults, org);
    http_router_add(r, "PUT", "/sim/faults", put_faults, org);
    http_router_add(r, "PATCH", "/sim/faults", put_faults, org);
    http_router_add(r, "POST", "/sim/faults", put_faults, org);
    http_router_add(r, "POST", "/sim/leads/{id}/convert", post_convert, org);
    http_router_add(r, "POST", "/sim/merge", post_merge, org);
}
