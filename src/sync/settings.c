/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/* Validation and typed access for the admin settings of a workspace. */
#include "base/common.h"

#include "settings.h"

#include <ctype.h>
#include <inttypes.h>
#include <strings.h>

#include "model/phone.h"
#include "model/utf8.h"
#include "store/store.h"

const struct setting_def settings_defs[] = {
    {"enabled", "false", "true", "true, false",
     "whether the integration syncs at all"},
    {"objects", "contacts,leads", "contacts,leads",
     "contacts, leads, contacts,leads",
     "the Salesforce objects that sync"},
    {"direction", "both", "both", "both, to-salesforce, from-salesforce",
     "which way changes flow"},
    {"default_region", PHONE_DEFAULT_REGION, NULL,
     "a two-letter region code such as US, GB or DE",
     "the region of phone numbers written without a country code; a "
     "change normalises the stored phones again"},
    {"api_version", "auto", NULL, "auto, or a version from 31.0 to 62.0",
     "the REST API version; auto uses the newest the org offers"},
    {"new_contacts_as", "lead", NULL, "lead, contact",
     "the Salesforce object a new local contact is created as"},
    {"default_company", "[not provided]", NULL,
     "text of 1 to 255 characters",
     "the Lead Company sent for a contact without a company"},
    {"conflict_policy", "newest", NULL, "newest, salesforce, local",
     "which value wins a field changed on both sides; newest compares "
     "whole seconds of LastModifiedDate, so a local change in the same "
     "second wins"},
    {"external_id_field", "", NULL,
     "empty, or a custom field name such as Sfsync_Id__c",
     "the Salesforce external id field that makes creates upserts"},
    {"api_budget_percent", "50", NULL, "a whole number from 1 to 100",
     "the share of the org's daily API allowance at which a sync stops"},
    {"on_salesforce_delete", "archive", NULL, "archive, keep",
     "what a Salesforce delete does to the local contact"},
    {"on_local_delete", "keep", NULL, "keep, delete",
     "whether archiving a local contact deletes its Salesforce record"},
    {"pull_overlap_seconds", "300", NULL, "a whole number from 0 to 86400",
     "seconds before the last pulled change that each pull reads again"},
    {"poll_interval", "30", NULL, "a whole number from 1 to 86400",
     "seconds between the sync rounds of 'sfsync serve' and 'sfsync "
     "worker'"},
    {"verify_interval", "300", NULL, "a whole number from 10 to 86400",
     "seconds between the checks of the Salesforce authentication by "
     "'sfsync serve'"},
    {"public_url", "", NULL,
     "empty, or an http:// or https:// URL without a path",
     "the address of 'sfsync serve' as browsers reach it; empty for its "
     "listen address"},
    {"backlink_field", "", NULL,
     "empty, or a custom URL field name such as Sfsync_Url__c",
     "the Contact and Lead field that the push fills with the contact's "
     "page address"},
    {"bulk_threshold", "10000", NULL,
     "a whole number from 0 to 1000000000, or off",
     "records above which a full pull reads through Bulk API 2.0 instead "
     "of REST queries; 0 always uses Bulk, off never does"},
    {"runs_keep_days", "30", NULL, "a whole number from 1 to 36500",
     "days that finished runs stay in the run history"},
    {NULL, NULL, NULL, NULL, NULL},
};

const struct setting_def *settings_find(const char *key)
{
    for (const struct setting_def *d = settings_defs; d->key; d++)
        if (strcmp(d->key, key) == 0)
            return d;
    return NULL;
}

/* Maximum length of a rejected value quoted in the message, so that the
 * valid values always fit. */
#define QUOTE_MAX 64

static int invalid(const struct setting_def *d, const char *value,
                   struct err *err)
{
    return err_set(err, SYNC_EINVALID,
                   "invalid value '%.*s%s' for setting '%s': use %s",
                   QUOTE_MAX, value, strlen(value) > QUOTE_MAX ? "..." : "",
                   d->key, d->valid);
}

static int normalize_bool(const char *value, char **out)
{
    if (strcasecmp(value, "true") == 0 || strcmp(value, "1") == 0 ||
        strcasecmp(value, "yes") == 0 || strcasecmp(value, "on") == 0)
        *out = xstrdup("true");
    else if (strcasecmp(value, "false") == 0 || strcmp(value, "0") == 0 ||
             strcasecmp(value, "no") == 0 || strcasecmp(value, "off") == 0)
        *out = xstrdup("false");
    else
        return -1;
    return 0;
}

/* Accept "contacts", "leads" or both in either order, with spaces. */
static int normalize_objects(const char *value, char **out)
{
    bool contacts = false, leads = false;
    char *copy = xstrdup(value), *save = NULL;
    int rc = 0;

    for (char *w = strtok_r(copy, ", ", &save); w;
         w = strtok_r(NULL, ", ", &save)) {
        if (strcasecmp(w, "contacts") == 0)
            contacts = true;
        else if (strcasecmp(w, "leads") == 0)
            leads = true;
        else
            rc = -1;
    }
    free(copy);
    if (rc < 0 || (!contacts && !leads))
        return -1;
    *out = xstrdup(contacts && leads ? "contacts,leads"
                   : contacts        ? "contacts"
                                     : "leads");
    return 0;
}

static int normalize_direction(const char *value, char **out)
{
    static const char *names[] = {"both", "to-salesforce",
                                  "from-salesforce"};

    for (size_t i = 0; i < ARRAY_SIZE(names); i++)
        if (strcasecmp(value, names[i]) == 0) {
            *out = xstrdup(names[i]);
            return 0;
        }
    return -1;
}

static int normalize_region(const char *value, char **out)
{
    char code[PHONE_REGION_SIZE];

    if (strlen(value) != 2 || !phone_region_supported(value))
        return -1;
    code[0] = (char)toupper((unsigned char)value[0]);
    code[1] = (char)toupper((unsigned char)value[1]);
    code[2] = '\0';
    *out = xstrdup(code);
    return 0;
}

static int normalize_version(const char *value, char **out)
{
    char *end;
    long major;

    if (strcasecmp(value, "auto") == 0) {
        *out = xstrdup("auto");
        return 0;
    }
    if (value[0] == 'v' || value[0] == 'V')
        value++;
    major = strtol(value, &end, 10);
    if (end == value || (*end && strcmp(end, ".0") != 0) || major < 31 ||
        major > 62)
        return -1;
    *out = xasprintf("%ld.0", major);
    return 0;
}

/* Accept value when it is one of the names, in any letter case. */
static int normalize_choice(const char *value, const char *const *names,
                            size_t n, char **out)
{
    for (size_t i = 0; i < n; i++)
        if (strcasecmp(value, names[i]) == 0) {
            *out = xstrdup(names[i]);
            return 0;
        }
    return -1;
}

static int normalize_range(const char *value, long min, long max, char **out)
{
    char *end;
    long n;

    if (!*value)
        return -1;
    n = strtol(value, &end, 10);
    if (*end || n < min || n > max)
        return -1;
    *out = xasprintf("%ld", n);
    return 0;
}

/* Lead Company is a 255-character text field that must not be empty. */
static int normalize_company(const char *value, char **out)
{
    size_t chars;

    if (!*value || utf8_count(value, &chars) < 0 || chars > 255)
        return -1;
    *out = xstrdup(value);
    return 0;
}

/*
 * Empty, or a custom field API name: a letter, then letters, digits and
 * single underscores, ending in "__c", with at most one "__" namespace
 * separator before it and 60 characters in all.
 */
static int normalize_field_name(const char *value, char **out)
{
    size_t len = strlen(value);
    int separators = 0;

    if (len == 0) {
        *out = xstrdup("");
        return 0;
    }
    if (len < 4 || len > 60 || !isalpha((unsigned char)value[0]) ||
        strcmp(value + len - 3, "__c") != 0 || value[len - 4] == '_')
        return -1;
    for (size_t i = 0; i < len - 3; i++) {
        if (value[i] == '_' && value[i + 1] == '_') {
            separators++;
            i++;
            if (value[i + 1] == '_')
                return -1;
        } else if (!isalnum((unsigned char)value[i]) && value[i] != '_') {
            return -1;
        }
    }
    if (separators > 1)
        return -1;
    *out = xstrdup(value);
    return 0;
}

/*
 * Empty, or "http(s)://HOST[:PORT]" with at most a final '/', which is
 * dropped, so that a path can be appended to it.
 */
static int normalize_public_url(const char *value, char **out)
{
    const char *host;
    size_t len = strlen(value);

    if (len == 0) {
        *out = xstrdup("");
        return 0;
    }
    if (strncasecmp(value, "http://", 7) == 0)
        host = value + 7;
    else if (strncasecmp(value, "https://", 8) == 0)
        host = value + 8;
    else
        return -1;
    if (value[len - 1] == '/')
        len--;
    if (len > 255 || host >= value + len)
        return -1;
    for (const char *p = host; p < value + len; p++)
        if (!isalnum((unsigned char)*p) && !strchr(".-:[]", *p))
            return -1;
    *out = xstrndup(value, len);
    return 0;
}

static int normalize_new(const char *key, const char *value, char **out)
{
    static const char *const objects[] = {"lead", "contact"};
    static const char *const policies[] = {"newest", "salesforce", "local"};
    static const char *const sf_deletes[] = {"archive", "keep"};
    static const char *const local_deletes[] = {"keep", "delete"};

    if (strcmp(key, "new_contacts_as") == 0)
        return normalize_choice(value, objects, ARRAY_SIZE(objects), out);
    if (strcmp(key, "default_company") == 0)
        return normalize_company(value, out);
    if (strcmp(key, "conflict_policy") == 0)
        return normalize_choice(value, policies, ARRAY_SIZE(policies), out);
    if (strcmp(key, "external_id_field") == 0)
        return normalize_field_name(value, out);
    if (strcmp(key, "api_budget_percent") == 0)
        return normalize_range(value, 1, 100, out);
    if (strcmp(key, "on_salesforce_delete") == 0)
        return normalize_choice(value, sf_deletes, ARRAY_SIZE(sf_deletes),
                                out);
    if (strcmp(key, "on_local_delete") == 0)
        return normalize_choice(value, local_deletes,
                                ARRAY_SIZE(local_deletes), out);
    if (strcmp(key, "pull_overlap_seconds") == 0)
        return normalize_range(value, 0, 86400, out);
    if (strcmp(key, "poll_interval") == 0)
        return normalize_range(value, 1, 86400, out);
    if (strcmp(key, "verify_interval") == 0)
        return normalize_range(value, 10, 86400, out);
    if (strcmp(key, "public_url") == 0)
        return normalize_public_url(value, out);
    if (strcmp(key, "backlink_field") == 0)
        return normalize_field_name(value, out);
    if (strcmp(key, "runs_keep_days") == 0)
        return normalize_range(value, 1, 36500, out);
    if (strcmp(key, "bulk_threshold") == 0) {
        if (strcasecmp(value, "off") != 0)
            return normalize_range(value, 0, 1000000000, out);
        *out = xstrdup("off");
        return 0;
    }
    BUG("setting '%s' has no validator", key);
}

int settings_normalize(const char *key, const char *value, char **out,
                       struct err *err)
{
    const struct setting_def *d = settings_find(key);
    int rc;

    *out = NULL;
    /* The list of every setting no longer fits in a message. */
    if (!d)
        return err_set(err, SYNC_EINVALID,
                       "unknown setting '%.64s': run 'sfsync config list' "
                       "to see every setting",
                       key);
    if (strcmp(key, "enabled") == 0)
        rc = normalize_bool(value, out);
    else if (strcmp(key, "objects") == 0)
        rc = normalize_objects(value, out);
    else if (strcmp(key, "direction") == 0)
        rc = normalize_direction(value, out);
    else if (strcmp(key, "default_region") == 0)
        rc = normalize_region(value, out);
    else if (strcmp(key, "api_version") == 0)
        rc = normalize_version(value, out);
    else
        rc = normalize_new(key, value, out);
    return rc < 0 ? invalid(d, value, err) : 0;
}

/* The region of the workspaces row, which the store normalises phones
 * with, so that no settings row can disagree with it. */
static int get_region(struct store *s, int64_t workspace_id, char **out,
                      struct err *err)
{
    struct store_workspace ws = {0};
    int rc;

    if ((rc = store_workspace_get_by_id(s, workspace_id, &ws, err)) < 0)
        return rc;
    *out = xstrdup(ws.default_region);
    store_workspace_release(&ws);
    return 0;
}

int settings_get(struct store *s, int64_t workspace_id, const char *key,
                 char **out, struct err *err)
{
    const struct setting_def *d = settings_find(key);
    int rc;

    *out = NULL;
    if (!d)
        return settings_normalize(key, "", out, err);
    if (strcmp(key, "default_region") == 0)
        return get_region(s, workspace_id, out, err);
    rc = store_setting_get(s, workspace_id, key, out, err);
    if (rc == SYNC_ENOTFOUND || (rc == 0 && !*out)) {
        *out = xstrdup(d->default_value);
        return 0;
    }
    return rc;
}

/* Write the region and re-normalise the phones inside the caller's
 * transaction; norm is already validated. */
static int store_region(struct store *s, int64_t workspace_id,
                        const char *norm, int64_t *out_changed,
                        int64_t *out_invalidated, struct err *err)
{
    int rc;

    if ((rc = store_workspace_set_region(s, workspace_id, norm, err)) < 0 ||
        (rc = store_contact_renormalize_phones(s, workspace_id, norm,
                                               out_changed, out_invalidated,
                                               err)) < 0)
        return rc;
    return store_setting_set(s, workspace_id, "default_region", norm, err);
}

static void log_region_changed(int64_t workspace_id, const char *norm,
                               int64_t changed, int64_t invalidated)
{
    log_info("sync", "default_region changed",
             "workspace=%" PRId64 " region=%s contacts_changed=%" PRId64
             " phones_invalidated=%" PRId64,
             workspace_id, norm, changed, invalidated);
}

int settings_set_region(struct store *s, int64_t workspace_id,
                        const char *value, int64_t *out_changed,
                        int64_t *out_invalidated, struct err *err)
{
    int64_t invalidated = 0;
    char *norm = NULL;
    int rc;

    *out_changed = 0;
    if (out_invalidated)
        *out_invalidated = 0;
    if ((rc = settings_normalize("default_region", value, &norm, err)) < 0)
        return rc;
    if ((rc = store_begin(s, err)) < 0)
        goto out;
    if ((rc = store_region(s, workspace_id, norm, out_changed, &invalidated,
                           err)) < 0) {
        store_rollback(s, NULL);
        *out_changed = 0;
        goto out;
    }
    if ((rc = store_commit(s, err)) < 0) {
        *out_changed = 0;
        goto out;
    }
    if (out_invalidated)
        *out_invalidated = invalidated;
    log_region_changed(workspace_id, norm, *out_changed, invalidated);
out:
    free(norm);
    return rc;
}

int settings_set_in_tx(struct store *s, int64_t workspace_id,
                       const char *key, const char *value,
                       int64_t *out_changed, struct err *err)
{
    char *norm = NULL;
    int rc;

    *out_changed = 0;
    if ((rc = settings_normalize(key, value, &norm, err)) < 0)
        return rc;
    /* The caller logs the change once its transaction commits. */
    if (strcmp(key, "default_region") == 0)
        rc = store_region(s, workspace_id, norm, out_changed, NULL, err);
    else
        rc = store_setting_set(s, workspace_id, key, norm, err);
    free(norm);
    return rc;
}

int settings_set(struct store *s, int64_t workspace_id, const char *key,
                 const char *value, struct err *err)
{
    char *norm = NULL;
    int64_t changed;
    int rc;

    if (strcmp(key, "default_region") == 0)
        return settings_set_region(s, workspace_id, value, &changed, NULL,
                                   err);
    if ((rc = settings_normalize(key, value, &norm, err)) < 0)
        return rc;
    rc = store_setting_set(s, workspace_id, key, norm, err);
    free(norm);
    return rc;
}

int settings_apply_connect_defaults(struct store *s, int64_t workspace_id,
                                    struct err *err)
{
    for (const struct setting_def *d = settings_defs; d->key; d++) {
        char *value = NULL;
        bool set_by_admin;
        int rc;

        if (!d->connect_value)
            continue;
        rc = store_setting_get(s, workspace_id, d->key, &value, err);
        set_by_admin = rc == 0 && value;
        free(value);
        if (set_by_admin)
            continue;
        if (rc < 0 && rc != SYNC_ENOTFOUND)
            return rc;
        if ((rc = store_setting_set(s, workspace_id, d->key,
                                    d->connect_value, err)) < 0)
            return rc;
    }
    return 0;
}

char *settings_get_normalized(struct store *s, int64_t workspace_id,
                              const char *key)
{
    char *raw = NULL, *norm = NULL;

    if (settings_get(s, workspace_id, key, &raw, NULL) < 0 ||
        settings_normalize(key, raw, &norm, NULL) < 0) {
        free(norm);
        norm = xstrdup(settings_find(key)->default_value);
    }
    free(raw);
    return norm;
}

bool settings_enabled(struct store *s, int64_t workspace_id)
{
    char *v = settings_get_normalized(s, workspace_id, "enabled");
    bool on = strcmp(v, "true") == 0;

    free(v);
    return on;
}

bool settings_object_enabled(struct store *s, int64_t workspace_id,
                             enum sf_object object)
{
    char *v = settings_get_normalized(s, workspace_id, "objects");
    bool on = strstr(v, object == SF_OBJECT_LEAD ? "leads" : "contacts");

    free(v);
    return on;
}

enum sync_direction settings_direction(struct store *s, int64_t workspace_id)
{
    char *v = settings_get_normalized(s, workspace_id, "direction");
    enum sync_direction d = strcmp(v, "to-salesforce") == 0
                                ? SYNC_DIRECTION_TO_SALESFORCE
                            : strcmp(v, "from-salesforce") == 0
                                ? SYNC_DIRECTION_FROM_SALESFORCE
                                : SYNC_DIRECTION_BOTH;

    free(v);
    return d;
}

long settings_get_long(struct store *s, int64_t workspace_id, const char *key)
{
    char *v = settings_get_normalized(s, workspace_id, key);
    long n = strtol(v, NULL, 10);

    free(v);
    return n;
}

long settings_bulk_threshold(struct store *s, int64_t workspace_id)
{
    char *v = settings_get_normalized(s, workspace_id, "bulk_threshold");
    long n = strcmp(v, "off") == 0 ? -1 : strtol(v, NULL, 10);

    free(v);
    return n;
}

bool settings_is(struct store *s, int64_t workspace_id, const char *key,
                 const char *value)
{
    char *v = settings_get_normalized(s, workspace_id, key);
    bool same = strcmp(v, value) == 0;

    free(v);
    return same;
}
