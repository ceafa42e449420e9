/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * Records of the simulated org: validation of written values with
 * Salesforce's error codes and messages, defaults, the audit fields that
 * every write maintains, the recycle bin, and the JSON that REST returns for
 * a record or an error. The HTTP resources live in rest.c and composite.c.
 */
#include "base/common.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <strings.h>

#include "base/datetime.h"
#include "sim.h"

/* One converted field value of a planned write. */
struct pending {
    const struct sim_field *field;
    char *value; /* owned; NULL for null */
};

/* The checked values of one create or update, ready to apply. */
struct write_plan {
    struct pending *items;
    size_t n, cap;
    char seed_id[19]; /* Id given to a seeded create, or "" */
};

static void plan_release(struct write_plan *plan)
{
    for (size_t i = 0; i < plan->n; i++)
        free(plan->items[i].value);
    free(plan->items);
    memset(plan, 0, sizeof(*plan));
}

static struct pending *plan_find(const struct write_plan *plan,
                                 const struct sim_field *f)
{
    for (size_t i = 0; i < plan->n; i++)
        if (plan->items[i].field == f)
            return &plan->items[i];
    return NULL;
}

/* Add or replace the value of f; the plan takes value. */
static void plan_put(struct write_plan *plan, const struct sim_field *f,
                     char *value)
{
    struct pending *p = plan_find(plan, f);

    if (!p) {
        plan->items = xgrow(plan->items, &plan->cap, plan->n + 1,
                            sizeof(*plan->items));
        p = &plan->items[plan->n++];
        p->field = f;
        p->value = NULL;
    }
    free(p->value);
    p->value = value;
}

/* ---- errors ---- */

static void error_add_field(struct sim_error *e, const char *field)
{
    if (e->nfields < ARRAY_SIZE(e->fields))
        snprintf(e->fields[e->nfields++], sizeof(e->fields[0]), "%s", field);
}

void sim_errors_add(struct sim_errors *errs, const char *code,
                    const char *field, const char *fmt, ...)
{
    struct sim_error *e;
    va_list ap;

    if (errs->count == SIM_MAX_ERRORS)
        return;
    e = &errs->items[errs->count++];
    memset(e, 0, sizeof(*e));
    snprintf(e->code, sizeof(e->code), "%s", code);
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof(e->message), fmt, ap);
    va_end(ap);
    /* Messages echo request values, and jansson takes only valid UTF-8;
     * vsnprintf may also have cut a character in two. */
    sim_utf8_repair_in(e->message, sizeof(e->message));
    if (field)
        error_add_field(e, field);
}

static json_t *error_fields_json(const struct sim_error *e)
{
    json_t *fields = json_array();

    for (size_t i = 0; i < e->nfields; i++)
        json_array_append_new(fields, json_string(e->fields[i]));
    return fields;
}

/* Errors raised while the request body is read, before any save logic;
 * Salesforce sends them without a "fields" list. */
static bool is_request_error(const char *code)
{
    static const char *const codes[] = {
        "INVALID_FIELD", "JSON_PARSER_ERROR", "NOT_FOUND", "INVALID_TYPE",
        "METHOD_NOT_ALLOWED"};

    for (size_t i = 0; i < ARRAY_SIZE(codes); i++)
        if (strcmp(code, codes[i]) == 0)
            return true;
    return false;
}

json_t *sim_errors_rest_json(const struct sim_errors *errs)
{
    json_t *arr = json_array();

    for (size_t i = 0; i < errs->count; i++) {
        const struct sim_error *e = &errs->items[i];
        json_t *o = json_pack("{s:s, s:s}", "message", e->message,
                              "errorCode", e->code);

        if (e->nfields || !is_request_error(e->code))
            json_object_set_new(o, "fields", error_fields_json(e));
        json_array_append_new(arr, o);
    }
    return arr;
}

json_t *sim_errors_save_json(const struct sim_errors *errs)
{
    json_t *arr = json_array();

    for (size_t i = 0; i < errs->count; i++) {
        const struct sim_error *e = &errs->items[i];

        json_array_append_new(arr, json_pack("{s:s, s:s, s:o}", "statusCode",
                                             e->code, "message", e->message,
                                             "fields",
                                             error_fields_json(e)));
    }
    return arr;
}

void sim_reply_error(struct http_resp *resp, int status, const char *code,
                     const char *fmt, ...)
{
    char message[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    sim_utf8_repair_in(message, sizeof(message));
    http_resp_json(resp, status,
                   json_pack("[{s:s, s:s}]", "message", message, "errorCode",
                             code));
}

/* The Jackson token name that Salesforce's JSON parser reports. */
static const char *token_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "START_OBJECT";
    case JSON_ARRAY:
        return "START_ARRAY";
    case JSON_STRING:
        return "VALUE_STRING";
    case JSON_INTEGER:
        return "VALUE_NUMBER_INT";
    case JSON_REAL:
        return "VALUE_NUMBER_FLOAT";
    case JSON_TRUE:
        return "VALUE_TRUE";
    case JSON_FALSE:
        return "VALUE_FALSE";
    default:
        return "VALUE_NULL";
    }
}

/* The shortest decimal text that reads back as d. */
static char *format_double(double d)
{
    char buf[40];

    for (int precision = 1; precision <= 17; precision++) {
        snprintf(buf, sizeof(buf), "%.*g", precision, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    return xstrdup(buf);
}

/* The text of a JSON value as Salesforce's parser messages show it. */
static char *token_text(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return xstrdup("{");
    case JSON_ARRAY:
        return xstrdup("[");
    case JSON_STRING:
        return xstrdup(json_string_value(v));
    case JSON_INTEGER:
        return xasprintf("%" JSON_INTEGER_FORMAT, json_integer_value(v));
    case JSON_REAL:
        return format_double(json_real_value(v));
    case JSON_TRUE:
        return xstrdup("true");
    case JSON_FALSE:
        return xstrdup("false");
    default:
        return xstrdup("null");
    }
}

static void add_parse_error(struct sim_errors *errs, const char *type,
                            const json_t *v)
{
    char *text = token_text(v);

    sim_errors_add(errs, "JSON_PARSER_ERROR", NULL,
                   "Cannot deserialize instance of %s from %s value %s or "
                   "request may be missing a required field",
                   type, token_name(v), text);
    free(text);
}

size_t sim_body_skip_bom(const char *body, size_t len)
{
    return len >= 3 && memcmp(body, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
}

json_t *sim_request_json(struct http_req *req, struct http_resp *resp)
{
    size_t skip = sim_body_skip_bom(req->body, req->body_len);
    json_error_t jerr;
    json_t *v;

    /* A UTF-8 byte-order mark before the JSON is skipped, as Java-based
     * parsers that read the body as a UTF-8 stream do. */
    if (req->body_len == skip) {
        sim_reply_error(resp, 400, "JSON_PARSER_ERROR",
                        "No content to map due to end-of-input");
        return NULL;
    }
    v = json_loadb(req->body + skip, req->body_len - skip, JSON_DECODE_ANY,
                   &jerr);
    if (!v && (json_error_code(&jerr) == json_error_null_character ||
               json_error_code(&jerr) == json_error_null_byte_in_key))
        sim_reply_error(resp, 400, "JSON_PARSER_ERROR",
                        "A string contains a NUL character (\\u0000), which "
                        "sfsim does not accept, at [line:%d, column:%d]",
                        jerr.line, jerr.column);
    else if (!v)
        sim_reply_error(resp, 400, "JSON_PARSER_ERROR",
                        "%s at [line:%d, column:%d]", jerr.text, jerr.line,
                        jerr.column);
    return v;
}

/* ---- values ---- */

static const char *describe_type(const struct sim_field *f)
{
    const char *t = json_string_value(json_object_get(f->describe, "type"));

    return t ? t : "string";
}

static bool is_text_type(enum sim_type type)
{
    switch (type) {
    case SIM_T_STRING:
    case SIM_T_TEXTAREA:
    case SIM_T_EMAIL:
    case SIM_T_PHONE:
    case SIM_T_URL:
    case SIM_T_PICKLIST:
    case SIM_T_MULTIPICKLIST:
    case SIM_T_COMBOBOX:
    case SIM_T_OTHER:
        return true;
    default:
        return false;
    }
}

static bool is_number_type(enum sim_type type)
{
    return type == SIM_T_DOUBLE || type == SIM_T_CURRENCY ||
           type == SIM_T_PERCENT;
}

/* Parse a whole decimal number (no hex, infinities or NaN). */
static int parse_decimal(const char *s, double *out)
{
    char *end;

    if (!*s || strspn(s, "0123456789+-.eE") != strlen(s))
        return -1;
    *out = strtod(s, &end);
    return *end || !isfinite(*out) ? -1 : 0;
}

static int convert_text(const json_t *v, char **out)
{
    switch (json_typeof(v)) {
    case JSON_STRING:
        /* Salesforce stores an empty string as null. */
        if (json_string_length(v) > 0)
            *out = xstrdup(json_string_value(v));
        return 0;
    case JSON_INTEGER:
    case JSON_REAL:
    case JSON_TRUE:
    case JSON_FALSE:
        *out = token_text(v);
        return 0;
    default:
        return -1;
    }
}

static int convert_boolean(const json_t *v, char **out)
{
    const char *s = json_string_value(v);

    if (json_is_boolean(v)) {
        *out = xstrdup(json_is_true(v) ? "true" : "false");
        return 0;
    }
    if (s && (strcasecmp(s, "true") == 0 || strcasecmp(s, "false") == 0)) {
        *out = xstrdup(tolower((unsigned char)s[0]) == 't' ? "true"
                                                           : "false");
        return 0;
    }
    return s && !*s ? 0 : -1;
}

static int convert_int(const json_t *v, char **out)
{
    const char *s = json_string_value(v);
    long long n;
    char *end;

    if (json_is_integer(v)) {
        n = json_integer_value(v);
    } else if (json_is_real(v)) {
        double d = json_real_value(v);

        if (d != floor(d) || fabs(d) > 9e18)
            return -1;
        n = (long long)d;
    } else if (s && !*s) {
        return 0;
    } else if (s && (isdigit((unsigned char)*s) || *s == '-' || *s == '+')) {
        errno = 0;
        n = strtoll(s, &end, 10);
        if (*end || errno)
            return -1;
    } else {
        return -1;
    }
    *out = xasprintf("%lld", n);
    return 0;
}

static int convert_number(const json_t *v, char **out)
{
    const char *s = json_string_value(v);
    double d;

    if (json_is_number(v)) {
        d = json_number_value(v);
    } else if (s && !*s) {
        return 0;
    } else if (!s || parse_decimal(s, &d) < 0) {
        return -1;
    }
    *out = format_double(d);
    return 0;
}

static int convert_date(const json_t *v, char **out)
{
    const char *s = json_string_value(v);
    char buf[DATETIME_LEN];
    int64_t days, ms;

    if (s && !*s)
        return 0;
    if (!s)
        return -1;
    if (date_parse(s, &days, NULL) == 0) {
        date_format(days, buf);
    } else if (datetime_parse(s, &ms, NULL) == 0) {
        /* A datetime given for a date keeps its UTC day. */
        date_format((ms >= 0 ? ms : ms - 86399999) / 86400000, buf);
    } else {
        return -1;
    }
    *out = xstrdup(buf);
    return 0;
}

static int convert_datetime(const json_t *v, char **out)
{
    const char *s = json_string_value(v);
    char buf[DATETIME_LEN];
    int64_t days, ms;

    if (s && !*s)
        return 0;
    if (!s)
        return -1;
    if (datetime_parse(s, &ms, NULL) < 0) {
        char *zoned = xasprintf("%sZ", s);
        int rc = datetime_parse(zoned, &ms, NULL);

        /* A datetime without a zone is read as UTC, a bare date as its
         * midnight. */
        free(zoned);
        if (rc < 0 && date_parse(s, &days, NULL) < 0)
            return -1;
        if (rc < 0)
            ms = days * 86400000;
    }
    datetime_format_sf(ms, buf);
    *out = xstrdup(buf);
    return 0;
}

/*
 * Convert a JSON value to the stored text of field f: set *out (NULL for
 * null, else owned by the caller) and return 0, or return -1 with the
 * JSON_PARSER_ERROR that Salesforce gives for a value of the wrong type.
 */
static int convert_value(const struct sim_field *f, const json_t *v,
                         char **out, struct sim_errors *errs)
{
    int rc;

    *out = NULL;
    if (json_is_null(v))
        return 0;
    switch (f->type) {
    case SIM_T_BOOLEAN:
        rc = convert_boolean(v, out);
        break;
    case SIM_T_INT:
        rc = convert_int(v, out);
        break;
    case SIM_T_DOUBLE:
    case SIM_T_CURRENCY:
    case SIM_T_PERCENT:
        rc = convert_number(v, out);
        break;
    case SIM_T_DATE:
        rc = convert_date(v, out);
        break;
    case SIM_T_DATETIME:
        rc = convert_datetime(v, out);
        break;
    default:
        rc = convert_text(v, out);
        break;
    }
    if (rc < 0)
        add_parse_error(errs, describe_type(f), v);
    return rc;
}

/* ---- checks of converted values ---- */

static size_t utf8_length(const char *s)
{
    size_t n = 0;

    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

static bool valid_email_local(const char *s, size_t len)
{
    static const char extra[] = "!#$%&'*+/=?^_`{|}~.-";

    if (len == 0 || len > 64 || s[0] == '.' || s[len - 1] == '.')
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];

        if (!isalnum(c) && !strchr(extra, c))
            return false;
        if (c == '.' && s[i + 1] == '.')
            return false;
    }
    return true;
}

static bool valid_email_domain(const char *s)
{
    size_t labels = 0;

    while (*s) {
        size_t len = strcspn(s, ".");

        if (len == 0 || len > 63 || s[0] == '-' || s[len - 1] == '-')
            return false;
        for (size_t i = 0; i < len; i++)
            if (!isalnum((unsigned char)s[i]) && s[i] != '-')
                return false;
        labels++;
        s += len;
        if (*s == '.' && !*++s)
            return false;
    }
    return labels >= 2;
}

/* NOTE: an approximation of Salesforce's email check, which is not
 * published: one '@', a plain local part and a dotted host name. */
static bool valid_email(const char *s)
{
    const char *at = strchr(s, '@');

    return at && !strchr(at + 1, '@') &&
           valid_email_local(s, (size_t)(at - s)) &&
           valid_email_domain(at + 1);
}

static bool picklist_has(const struct sim_field *f, const char *value,
                         size_t len)
{
    for (size_t i = 0; i < f->npicklist; i++)
        if (strlen(f->picklist[i]) == len &&
            strncmp(f->picklist[i], value, len) == 0)
            return true;
    return false;
}

static void check_picklist(const struct sim_field *f, const char *value,
                           struct sim_errors *errs)
{
    const char *p = value;

    if (!f->restricted_picklist)
        return;
    while (*p) {
        size_t len = f->type == SIM_T_MULTIPICKLIST ? strcspn(p, ";")
                                                    : strlen(p);

        if (!picklist_has(f, p, len)) {
            sim_errors_add(errs, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                           f->name,
                           "%s: bad value for restricted picklist field: "
                           "%.*s",
                           f->label, (int)len, p);
            return;
        }
        p += len;
        if (*p == ';')
            p++;
    }
}

static void check_number_range(const struct sim_field *f, const char *value,
                               struct sim_errors *errs)
{
    int precision =
        (int)json_integer_value(json_object_get(f->describe, "precision"));
    int scale = (int)json_integer_value(json_object_get(f->describe, "scale"));
    int digits =
        (int)json_integer_value(json_object_get(f->describe, "digits"));
    int whole = f->type == SIM_T_INT ? digits : precision - scale;
    double d = strtod(value, NULL);

    if (whole > 0 && whole < 19 && fabs(d) >= pow(10.0, whole))
        sim_errors_add(errs, "NUMBER_OUTSIDE_VALID_RANGE", f->name,
                       "%s: value outside of valid range on numeric field: "
                       "%s",
                       f->label, value);
}

static bool references(const struct sim_field *f, const char *object)
{
    json_t *targets = json_object_get(f->describe, "referenceTo");
    size_t i;
    json_t *t;

    json_array_foreach(targets, i, t)
    {
        if (strcasecmp(json_string_value(t), object) == 0)
            return true;
    }
    return false;
}

/* Whether f may point at an object sfsim does not model, whose ids it
 * cannot check. */
static bool references_unmodelled(const struct sim_org *org,
                                  const struct sim_field *f)
{
    json_t *targets = json_object_get(f->describe, "referenceTo");
    size_t i;
    json_t *t;

    json_array_foreach(targets, i, t)
    {
        if (!sim_org_object(org, json_string_value(t)))
            return true;
    }
    return false;
}

/* Check a reference value and store its 18-character form in p. */
static void check_reference(const struct sim_org *org, struct pending *p,
                            struct sim_errors *errs)
{
    const struct sim_field *f = p->field;
    struct sim_object *target;
    struct sim_record *rec;
    char id18[19], prefix[4];

    if (sim_id_to18(p->value, id18) < 0) {
        sim_errors_add(errs, "MALFORMED_ID", f->name,
                       "%s: id value of incorrect type: %s", f->label,
                       p->value);
        return;
    }
    free(p->value);
    p->value = xstrdup(id18);
    memcpy(prefix, id18, 3);
    prefix[3] = '\0';
    target = hmap_get(&org->objects_by_prefix, prefix);
    if (!target) {
        if (!references_unmodelled(org, f))
            sim_errors_add(errs, "INVALID_CROSS_REFERENCE_KEY", f->name,
                           "%s: id value of incorrect type: %s", f->label,
                           id18);
        return;
    }
    if (!references(f, target->name)) {
        /* NOTE: Salesforce may return MALFORMED_ID or
         * FIELD_INTEGRITY_EXCEPTION here depending on the call; sfsim
         * keeps one code for every id of the wrong object. */
        sim_errors_add(errs, "INVALID_CROSS_REFERENCE_KEY", f->name,
                       "%s: id value of incorrect type: %s", f->label,
                       id18);
        return;
    }
    if (strcmp(target->name, "User") == 0 && sim_org_user_by_id(org, id18))
        return;
    rec = hmap_get(&target->by_id, id18);
    if (!rec)
        sim_errors_add(errs, "INVALID_CROSS_REFERENCE_KEY", f->name,
                       "invalid cross reference id");
    else if (rec->deleted_ms)
        sim_errors_add(errs, "ENTITY_IS_DELETED", f->name,
                       "entity is deleted");
}

/*
 * The longest value a text field takes. Unrestricted picklists take up to
 * 255 characters whatever length the describe gives.
 * NOTE: inferred, not confirmed: the recorded Account describe says 40 for
 * Industry, yet Salesforce's own sample data (apex-recipes), which imports
 * into real orgs, sets a 48-character industry.
 */
static size_t text_limit(const struct sim_field *f)
{
    if (f->type == SIM_T_PICKLIST && !f->restricted_picklist &&
        f->length < 255)
        return 255;
    return (size_t)f->length;
}

/* Check one converted non-null value; add at most one error. */
static void check_value(const struct sim_org *org, struct pending *p,
                        struct sim_errors *errs)
{
    const struct sim_field *f = p->field;

    if (is_text_type(f->type) && f->length > 0 &&
        utf8_length(p->value) > text_limit(f)) {
        sim_errors_add(errs, "STRING_TOO_LONG", f->name,
                       "%s: data value too large: %s (max length=%zu)",
                       f->label, p->value, text_limit(f));
        return;
    }
    if (f->type == SIM_T_EMAIL && !valid_email(p->value))
        sim_errors_add(errs, "INVALID_EMAIL_ADDRESS", f->name,
                       "%s: invalid email address: %s", f->label, p->value);
    else if (f->type == SIM_T_PICKLIST || f->type == SIM_T_MULTIPICKLIST)
        check_picklist(f, p->value, errs);
    else if (f->type == SIM_T_REFERENCE)
        check_reference(org, p, errs);
    else if (is_number_type(f->type) || f->type == SIM_T_INT)
        check_number_range(f, p->value, errs);
}

/* ---- planning a write ---- */

static bool is_converted_lead(const struct sim_record *rec)
{
    const struct sim_field *f = sim_object_field(rec->obj, "IsConverted");
    const char *v = f ? sim_record_get(rec, f->index) : NULL;

    return v && strcmp(v, "true") == 0;
}

/* Whether sfsim computes f from other fields (Contact and Lead Name). */
static bool is_computed(const struct sim_object *obj,
                        const struct sim_field *f)
{
    return f->type == SIM_T_ADDRESS ||
           ((int)f->index == obj->f_name && obj->f_last_name >= 0 &&
            !f->createable);
}

/* Handle an Id key in a write body. Return 1 when it is read-only here. */
static int plan_id(const struct sim_object *obj, const struct sim_record *rec,
                   const json_t *v, unsigned flags, struct write_plan *plan,
                   struct sim_errors *errs)
{
    const char *s = json_string_value(v);
    char id18[19];

    if (rec)
        return !s || sim_id_to18(s, id18) < 0 || strcmp(id18, rec->id) != 0;
    if (!(flags & SIM_WRITE_SEED)) {
        sim_errors_add(errs, "INVALID_FIELD_FOR_INSERT_UPDATE", "Id",
                       "cannot specify Id in an insert call");
        return 0;
    }
    if (json_is_null(v))
        return 0;
    if (!s || sim_id_to18(s, id18) < 0 ||
        strncmp(id18, obj->key_prefix, 3) != 0) {
        sim_errors_add(errs, "MALFORMED_ID", "Id",
                       "%s ID: id value of incorrect type: %s", obj->label,
                       s ? s : "");
        return 0;
    }
    if (hmap_get(&obj->by_id, id18)) {
        sim_errors_add(errs, "DUPLICATE_VALUE", "Id",
                       "duplicate value found: Id duplicates value on "
                       "record with id: %s",
                       id18);
        return 0;
    }
    memcpy(plan->seed_id, id18, sizeof(plan->seed_id));
    return 0;
}

static void add_read_only_error(struct sim_errors *errs,
                                const struct sim_field **fields, size_t n)
{
    char names[256] = "";
    size_t len = 0;
    struct sim_error *e;

    for (size_t i = 0; i < n && len < sizeof(names); i++)
        len += (size_t)snprintf(names + len, sizeof(names) - len, "%s%s",
                                i ? ", " : "", fields[i]->name);
    sim_errors_add(errs, "INVALID_FIELD_FOR_INSERT_UPDATE", NULL,
                   "Unable to create/update fields: %s. Please check the "
                   "security settings of this field and verify that it is "
                   "read/write for your profile or permission set.",
                   names);
    e = &errs->items[errs->count - 1];
    for (size_t i = 0; i < n; i++)
        error_add_field(e, fields[i]->name);
}

/*
 * Read the keys of a write body into plan. An unknown field or a value of
 * the wrong JSON type stops the read at once, as in Salesforce's parser.
 * Read-only fields are collected into one error.
 */
static int plan_fields(const struct sim_object *obj,
                       const struct sim_record *rec, json_t *fields,
                       unsigned flags, struct write_plan *plan,
                       struct sim_errors *errs)
{
    const struct sim_field *read_only[32];
    size_t nread_only = 0;
    const char *key;
    json_t *v;

    json_object_foreach(fields, key, v)
    {
        const struct sim_field *f = sim_object_field(obj, key);
        bool seed = flags & SIM_WRITE_SEED;
        char *value;

        if (strcmp(key, "attributes") == 0)
            continue;
        if (!f) {
            /* TODO: relationship keys such as "Account": {"Ext__c": "x"}
             * (a parent named by external id) are not supported and are
             * rejected as unknown fields. */
            sim_errors_add(errs, "INVALID_FIELD", NULL,
                           "No such column '%s' on sobject of type %s", key,
                           obj->name);
            return -1;
        }
        if ((int)f->index == obj->f_id) {
            if (plan_id(obj, rec, v, flags, plan, errs) &&
                nread_only < ARRAY_SIZE(read_only))
                read_only[nread_only++] = f;
            continue;
        }
        if (seed && is_computed(obj, f))
            continue;
        if (!seed && !(rec ? f->updateable : f->createable)) {
            if (nread_only < ARRAY_SIZE(read_only))
                read_only[nread_only++] = f;
            continue;
        }
        if (convert_value(f, v, &value, errs) < 0)
            return -1;
        plan_put(plan, f, value);
    }
    if (nread_only)
        add_read_only_error(errs, read_only, nread_only);
    return errs->count ? -1 : 0;
}

static bool required_on_create(const struct sim_field *f)
{
    return !f->nillable && f->createable && !f->defaulted_on_create &&
           f->type != SIM_T_BOOLEAN;
}

/* Add REQUIRED_FIELD_MISSING for every required field the write leaves
 * null. */
static int check_required(const struct sim_object *obj,
                          const struct sim_record *rec,
                          const struct write_plan *plan,
                          struct sim_errors *errs)
{
    const struct sim_field *missing[SIM_MAX_ERRORS * 4];
    size_t n = 0;
    char names[256] = "";
    size_t len = 0;
    struct sim_error *e;

    for (size_t i = 0; i < obj->nfields && n < ARRAY_SIZE(missing); i++) {
        const struct sim_field *f = obj->fields[i];
        const struct pending *p = plan_find(plan, f);

        if (rec ? (p && !p->value && !f->nillable &&
                   f->type != SIM_T_BOOLEAN)
                : (required_on_create(f) && (!p || !p->value)))
            missing[n++] = f;
    }
    if (!n)
        return 0;
    for (size_t i = 0; i < n && len < sizeof(names); i++)
        len += (size_t)snprintf(names + len, sizeof(names) - len, "%s%s",
                                i ? ", " : "", missing[i]->name);
    sim_errors_add(errs, "REQUIRED_FIELD_MISSING", NULL,
                   "Required fields are missing: [%s]", names);
    e = &errs->items[errs->count - 1];
    for (size_t i = 0; i < n; i++)
        error_add_field(e, missing[i]->name);
    return -1;
}

/* Whether the describe of obj allows an operation ("createable",
 * "updateable" or "deletable"). */
static bool object_allows(const struct sim_object *obj, const char *key)
{
    json_t *v = json_object_get(obj->describe, key);

    return !v || json_is_true(v);
}

/* NOTE: the code and wording are those of Salesforce's SOAP API for an
 * object that the operation is not open to. The REST reply is assumed to
 * match, not confirmed. */
static int reject_operation(const struct sim_object *obj, const char *verb,
                            struct sim_errors *errs)
{
    sim_errors_add(errs, "INVALID_TYPE_FOR_OPERATION", NULL,
                   "entity type cannot be %s: %s", verb, obj->name);
    return -1;
}

/* Validate a write and collect its converted values in plan. */
static int plan_write(const struct sim_org *org, const struct sim_object *obj,
                      const struct sim_record *rec, json_t *fields,
                      unsigned flags, struct write_plan *plan,
                      struct sim_errors *errs)
{
    memset(plan, 0, sizeof(*plan));
    errs->count = 0;
    if (!(flags & SIM_WRITE_SEED) && !object_allows(obj, rec ? "updateable"
                                                             : "createable"))
        return reject_operation(obj, rec ? "updated" : "inserted", errs);
    if (rec && rec->deleted_ms) {
        sim_errors_add(errs, "ENTITY_IS_DELETED", NULL, "entity is deleted");
        return -1;
    }
    if (rec && !(flags & SIM_WRITE_SEED) && is_converted_lead(rec)) {
        sim_errors_add(errs, "CANNOT_UPDATE_CONVERTED_LEAD", NULL,
                       "cannot reference converted lead");
        return -1;
    }
    if (!json_is_object(fields)) {
        add_parse_error(errs, obj->name, fields);
        return -1;
    }
    if (plan_fields(obj, rec, fields, flags, plan, errs) < 0 ||
        check_required(obj, rec, plan, errs) < 0)
        return -1;
    for (size_t i = 0; i < plan->n; i++)
        if (plan->items[i].value)
            check_value(org, &plan->items[i], errs);
    return errs->count ? -1 : 0;
}

int sim_record_validate(struct sim_org *org, struct sim_object *obj,
                        struct sim_record *rec, json_t *fields,
                        unsigned flags, struct sim_errors *errs)
{
    struct write_plan plan;
    int rc = plan_write(org, obj, rec, fields, flags, &plan, errs);

    plan_release(&plan);
    return rc;
}

/* ---- applying a write ---- */

static void set_field_value(struct sim_record *rec, int index,
                            const char *value)
{
    if (index >= 0)
        sim_record_set(rec, (size_t)index, value);
}

static const char *boolean_default(const struct sim_field *f)
{
    return json_is_true(json_object_get(f->describe, "defaultValue"))
               ? "true"
               : "false";
}

/* Fill the values a new record has before its body is applied. */
static void apply_defaults(struct sim_record *rec, const struct sim_user *user)
{
    const struct sim_object *obj = rec->obj;

    for (size_t i = 0; i < obj->nfields; i++) {
        const struct sim_field *f = obj->fields[i];

        if (f->type == SIM_T_BOOLEAN)
            sim_record_set(rec, i, boolean_default(f));
        else if (f->type == SIM_T_PICKLIST && f->default_value)
            sim_record_set(rec, i, f->default_value);
    }
    set_field_value(rec, obj->f_owner_id, user->id);
}

static void apply_plan(struct sim_record *rec, const struct write_plan *plan)
{
    for (size_t i = 0; i < plan->n; i++) {
        const struct pending *p = &plan->items[i];

        /* A checkbox is never null: clearing it stores false. */
        if (!p->value && p->field->type == SIM_T_BOOLEAN)
            sim_record_set(rec, p->field->index, "false");
        else
            sim_record_set(rec, p->field->index, p->value);
    }
}

/* Recompute the values sfsim derives: the person Name and null
 * checkboxes. */
static void derive_fields(struct sim_record *rec)
{
    const struct sim_object *obj = rec->obj;

    for (size_t i = 0; i < obj->nfields; i++)
        if (obj->fields[i]->type == SIM_T_BOOLEAN && !rec->values[i])
            sim_record_set(rec, i, boolean_default(obj->fields[i]));
    if (obj->f_name >= 0 && is_computed(obj, obj->fields[obj->f_name])) {
        const char *first = obj->f_first_name >= 0
                                ? rec->values[obj->f_first_name]
                                : NULL;
        const char *last = rec->values[obj->f_last_name];
        char *name = NULL;

        if (first && last)
            name = xasprintf("%s %s", first, last);
        else if (first || last)
            name = xstrdup(first ? first : last);
        sim_record_set(rec, (size_t)obj->f_name, name);
        free(name);
    }
}

static bool planned(const struct write_plan *plan, const struct sim_object *obj,
                    int index)
{
    return plan && index >= 0 && plan_find(plan, obj->fields[index]);
}

/*
 * Set the audit fields of a write by user now. Fields that a seeded write
 * gives itself (in plan) are kept, and CreatedDate/CreatedById are set
 * only while they are null.
 */
static void stamp_record(struct sim_org *org, struct sim_record *rec,
                         const struct sim_user *user,
                         const struct write_plan *plan)
{
    const struct sim_object *obj = rec->obj;
    int64_t stamp = sim_org_stamp(org);
    char text[DATETIME_LEN];
    const char *modstamp;

    if (!user)
        user = sim_org_integration_user(org);
    datetime_format_sf(stamp, text);
    if (obj->f_created_date >= 0 && !rec->values[obj->f_created_date])
        set_field_value(rec, obj->f_created_date, text);
    if (obj->f_created_by_id >= 0 && !rec->values[obj->f_created_by_id])
        set_field_value(rec, obj->f_created_by_id, user->id);
    if (obj->f_owner_id >= 0 && !rec->values[obj->f_owner_id])
        set_field_value(rec, obj->f_owner_id, user->id);
    if (!planned(plan, obj, obj->f_last_modified_date))
        set_field_value(rec, obj->f_last_modified_date, text);
    if (!planned(plan, obj, obj->f_last_modified_by_id))
        set_field_value(rec, obj->f_last_modified_by_id, user->id);
    if (!planned(plan, obj, obj->f_system_modstamp))
        set_field_value(rec, obj->f_system_modstamp, text);
    modstamp = obj->f_system_modstamp >= 0
                   ? rec->values[obj->f_system_modstamp]
                   : NULL;
    if (!modstamp || datetime_parse(modstamp, &rec->modstamp_ms, NULL) < 0)
        rec->modstamp_ms = stamp;
}

int sim_record_lock(struct sim_org *org, const char *id,
                    struct sim_errors *errs)
{
    if (org->faults.lock_rate <= 0 ||
        sim_org_random(org) >= org->faults.lock_rate)
        return 0;
    sim_errors_add(errs, "UNABLE_TO_LOCK_ROW", NULL,
                   "unable to obtain exclusive access to this record or 1 "
                   "records: %s",
                   id);
    log_info("sim", "fault: record lock failed", "id=%s", id);
    return -1;
}

int sim_record_create(struct sim_org *org, struct sim_object *obj,
                      json_t *fields, const struct sim_user *user,
                      unsigned flags, struct sim_record **out,
                      struct sim_errors *errs)
{
    struct write_plan plan;
    struct sim_record *rec;

    if (out)
        *out = NULL;
    if (!user)
        user = sim_org_integration_user(org);
    if (plan_write(org, obj, NULL, fields, flags, &plan, errs) < 0)
        goto fail;
    /* A new record has no row to lock yet; the fault names its owner. */
    if (!(flags & (SIM_WRITE_SEED | SIM_WRITE_LOCKED)) &&
        sim_record_lock(org, user->id, errs) < 0)
        goto fail;
    rec = sim_record_new(obj);
    if (plan.seed_id[0])
        memcpy(rec->id, plan.seed_id, sizeof(rec->id));
    apply_defaults(rec, user);
    apply_plan(rec, &plan);
    stamp_record(org, rec, user, (flags & SIM_WRITE_SEED) ? &plan : NULL);
    derive_fields(rec);
    sim_record_insert(org, rec);
    plan_release(&plan);
    if (out)
        *out = rec;
    return 0;
fail:
    plan_release(&plan);
    return -1;
}

int sim_record_update(struct sim_org *org, struct sim_record *rec,
                      json_t *fields, const struct sim_user *user,
                      unsigned flags, struct sim_errors *errs)
{
    struct write_plan plan;

    if (plan_write(org, rec->obj, rec, fields, flags, &plan, errs) < 0)
        goto fail;
    if (!(flags & (SIM_WRITE_SEED | SIM_WRITE_LOCKED)) &&
        sim_record_lock(org, rec->id, errs) < 0)
        goto fail;
    apply_plan(rec, &plan);
    stamp_record(org, rec, user, (flags & SIM_WRITE_SEED) ? &plan : NULL);
    derive_fields(rec);
    sim_state_save_record(org, rec);
    plan_release(&plan);
    return 0;
fail:
    plan_release(&plan);
    return -1;
}

/* Move rec to the recycle bin at stamp. A delete moves only
 * SystemModstamp; LastModifiedDate keeps the last edit. */
static void bin_record(struct sim_org *org, struct sim_record *rec,
                       int64_t stamp)
{
    const struct sim_object *obj = rec->obj;
    char text[DATETIME_LEN];

    datetime_format_sf(stamp, text);
    rec->deleted_ms = stamp;
    rec->modstamp_ms = stamp;
    set_field_value(rec, obj->f_is_deleted, "true");
    set_field_value(rec, obj->f_system_modstamp, text);
    sim_state_save_record(org, rec);
}

/*
 * Delete the live children of parent whose relationship cascades (the
 * childRelationships of its describe with cascadeDelete, such as an
 * Account's Contacts), as Salesforce moves them to the recycle bin with
 * their parent. Return how many were deleted.
 */
static size_t cascade_delete(struct sim_org *org,
                             const struct sim_record *parent, int64_t stamp)
{
    json_t *rels = json_object_get(parent->obj->describe,
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

        if (!f || !json_is_true(json_object_get(rel, "cascadeDelete")))
            continue;
        for (size_t j = 0; j < child->nrecords; j++) {
            struct sim_record *rec = child->records[j];
            const char *v = rec->values[f->index];

            if (rec->deleted_ms || !v || strcmp(v, parent->id) != 0)
                continue;
            bin_record(org, rec, stamp);
            count += 1 + cascade_delete(org, rec, stamp);
        }
    }
    return count;
}

int sim_record_delete(struct sim_org *org, struct sim_record *rec,
                      const struct sim_user *user, struct sim_errors *errs)
{
    int64_t stamp;
    size_t children;

    (void)user;
    errs->count = 0;
    if (!object_allows(rec->obj, "deletable"))
        return reject_operation(rec->obj, "deleted", errs);
    if (rec->deleted_ms) {
        sim_errors_add(errs, "ENTITY_IS_DELETED", NULL, "entity is deleted");
        return -1;
    }
    if (sim_record_lock(org, rec->id, errs) < 0)
        return -1;
    stamp = sim_org_stamp(org);
    bin_record(org, rec, stamp);
    children = cascade_delete(org, rec, stamp);
    if (children)
        log_debug("sim", "delete cascaded", "id=%s children=%zu", rec->id,
                  children);
    return 0;
}

/* ---- storage ---- */

struct sim_record *sim_record_find(const struct sim_org *org, const char *id)
{
    struct sim_object *obj;
    char id18[19], prefix[4];

    if (!id || sim_id_to18(id, id18) < 0)
        return NULL;
    memcpy(prefix, id18, 3);
    prefix[3] = '\0';
    obj = hmap_get(&org->objects_by_prefix, prefix);
    return obj ? hmap_get(&obj->by_id, id18) : NULL;
}

static bool same_number(const char *a, const char *b)
{
    double x, y;

    return parse_decimal(a, &x) == 0 && parse_decimal(b, &y) == 0 && x == y;
}

size_t sim_record_lookup(const struct sim_object *obj,
                         const struct sim_field *f, const char *value,
                         struct sim_record **out, size_t max)
{
    size_t n = 0;

    if ((int)f->index == obj->f_id) {
        char id18[19];
        struct sim_record *rec = sim_id_to18(value, id18) == 0
                                     ? hmap_get(&obj->by_id, id18)
                                     : NULL;

        if (!rec || rec->deleted_ms)
            return 0;
        if (max)
            out[0] = rec;
        return 1;
    }
    for (size_t i = 0; i < obj->nrecords; i++) {
        struct sim_record *rec = obj->records[i];
        const char *v = rec->values[f->index];
        bool match;

        if (rec->deleted_ms || !v)
            continue;
        /* External ids match without regard to case, as Salesforce's
         * default (case-insensitive) external id fields do. */
        match = f->type == SIM_T_INT || is_number_type(f->type)
                    ? same_number(v, value)
                    : sim_utf8_casecmp(v, value) == 0;
        if (!match)
            continue;
        if (n < max)
            out[n] = rec;
        n++;
    }
    return n;
}

const char *sim_record_get(const struct sim_record *rec, size_t i)
{
    return i < rec->nvalues ? rec->values[i] : NULL;
}

void sim_record_set(struct sim_record *rec, size_t i, const char *value)
{
    char *copy;

    if (i >= rec->nvalues)
        BUG("field %zu of a %s record is out of range", i, rec->obj->name);
    if (rec->values[i] == value)
        return;
    copy = xstrdup(value);
    free(rec->values[i]);
    rec->values[i] = copy;
}

struct sim_record *sim_record_new(struct sim_object *obj)
{
    struct sim_record *rec = xcalloc(1, sizeof(*rec));

    rec->obj = obj;
    rec->nvalues = obj->nfields;
    rec->values = xcalloc(obj->nfields ? obj->nfields : 1,
                          sizeof(*rec->values));
    sim_id_next(obj, rec->id);
    set_field_value(rec, obj->f_id, rec->id);
    return rec;
}

void sim_record_insert(struct sim_org *org, struct sim_record *rec)
{
    struct sim_object *obj = rec->obj;

    /* Callers may replace rec->id after sim_record_new; the Id field
     * follows it. */
    if (obj->f_id >= 0)
        sim_record_set(rec, (size_t)obj->f_id, rec->id);
    obj->records = xgrow(obj->records, &obj->records_cap, obj->nrecords + 1,
                         sizeof(*obj->records));
    rec->seq = obj->nrecords;
    obj->records[obj->nrecords++] = rec;
    hmap_put(&obj->by_id, rec->id, rec);
    sim_state_save_record(org, rec);
}

void sim_record_touch(struct sim_org *org, struct sim_record *rec,
                      const struct sim_user *user)
{
    stamp_record(org, rec, user, NULL);
    derive_fields(rec);
    sim_state_save_record(org, rec);
}

/* ---- JSON ---- */

static json_t *address_json(const struct sim_record *rec,
                            const struct sim_field *address)
{
    static const char *const parts[][2] = {
        {"city", "City"},
        {"country", "Country"},
        {"geocodeAccuracy", "GeocodeAccuracy"},
        {"latitude", "Latitude"},
        {"longitude", "Longitude"},
        {"postalCode", "PostalCode"},
        {"state", "State"},
        {"street", "Street"},
    };
    size_t plen = strlen(address->name);
    json_t *o = json_object();
    bool any = false;

    /* The parts of MailingAddress are MailingCity and so on; those of a
     * Lead's Address are City and so on. */
    if (plen >= 7 && strcmp(address->name + plen - 7, "Address") == 0)
        plen -= 7;
    for (size_t i = 0; i < ARRAY_SIZE(parts); i++) {
        char *name = xasprintf("%.*s%s", (int)plen, address->name,
                               parts[i][1]);
        const struct sim_field *f = sim_object_field(rec->obj, name);
        json_t *v = f ? sim_record_json_value(rec, f->index) : json_null();

        any = any || !json_is_null(v);
        json_object_set_new(o, parts[i][0], v);
        free(name);
    }
    if (!any) {
        json_decref(o);
        return json_null();
    }
    return o;
}

json_t *sim_record_json_value(const struct sim_record *rec, size_t i)
{
    const struct sim_field *f = rec->obj->fields[i];
    const char *v = sim_record_get(rec, i);

    if (f->type == SIM_T_ADDRESS)
        return address_json(rec, f);
    if (f->type == SIM_T_BOOLEAN)
        return json_boolean(v && strcmp(v, "true") == 0);
    if (!v)
        return json_null();
    if (f->type == SIM_T_INT)
        return json_integer(strtoll(v, NULL, 10));
    if (is_number_type(f->type))
        return json_real(strtod(v, NULL));
    return json_string(v);
}

json_t *sim_record_attributes(const struct sim_record *rec,
                              const char *version)
{
    char *url = xasprintf("/services/data/v%s/sobjects/%s/%s", version,
                          rec->obj->name, rec->id);
    json_t *o = json_pack("{s:s, s:s}", "type", rec->obj->name, "url", url);

    free(url);
    return o;
}

json_t *sim_record_json(const struct sim_record *rec, const char *version,
                        const struct sim_field **fields, size_t nfields)
{
    json_t *o = json_object();
    size_t n = fields ? nfields : rec->obj->nfields;

    json_object_set_new(o, "attributes", sim_record_attributes(rec, version));
    for (size_t i = 0; i < n; i++) {
        const struct sim_field *f = fields ? fields[i] : rec->obj->fields[i];

        json_object_set_new(o, f->name, sim_record_json_value(rec, f->index));
    }
    return o;
}

const struct sim_field **sim_record_select(const struct sim_object *obj,
                                           json_t *names, size_t *out_n,
                                           struct sim_errors *errs)
{
    size_t n = json_array_size(names), count = 0;
    const struct sim_field **fields = xcalloc(n + 1, sizeof(*fields));
    bool has_id = false;

    errs->count = 0;
    for (size_t i = 0; i < n; i++) {
        const char *name = json_string_value(json_array_get(names, i));
        const struct sim_field *f = name ? sim_object_field(obj, name) : NULL;
        bool seen = false;

        if (!f) {
            sim_errors_add(errs, "INVALID_FIELD", NULL,
                           "No such column '%s' on entity '%s'. If you are "
                           "attempting to use a custom field, be sure to "
                           "append the '__c' after the custom field name. "
                           "Please reference your WSDL or the describe call "
                           "for the appropriate names.",
                           name ? name : "", obj->name);
            free(fields);
            return NULL;
        }
        for (size_t j = 0; j < count; j++)
            seen = seen || fields[j] == f;
        if (seen)
            continue;
        has_id = has_id || (int)f->index == obj->f_id;
        fields[count++] = f;
    }
    /* NOTE: Salesforce is believed, not confirmed, to return Id after the
     * requested fields of a retrieve; sfsim does so. */
    if (!has_id && obj->f_id >= 0)
        fields[count++] = obj->fields[obj->f_id];
    *out_n = count;
    return fields;
}
