/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * The contact record: its field table and the loops over it. Phone parsing
 * is done by phone_shim.cc, and nothing here touches the store.
 */
#include "base/common.h"

#include "contact.h"

#include "country.h"

#include <strings.h>

#include "base/datetime.h"
#include "phone.h"
#include "utf8.h"

_Static_assert(CONTACT_FIELD_COUNT < 32,
               "a field mask is a uint32_t with one bit per field");

/* Maximum lengths follow the Salesforce Contact and Lead fields they map to
 * (API v59 describes), so a value accepted here is not STRING_TOO_LONG
 * there. */
const struct contact_field_info contact_fields[CONTACT_FIELD_COUNT] = {
    [CONTACT_FIRST_NAME] = {"first_name", CONTACT_TYPE_TEXT, 40, NULL, NULL},
    [CONTACT_LAST_NAME] = {"last_name", CONTACT_TYPE_TEXT, 80, NULL, NULL},
    [CONTACT_COMPANY] = {"company", CONTACT_TYPE_TEXT, 255, NULL, NULL},
    [CONTACT_TITLE] = {"title", CONTACT_TYPE_TEXT, 128, NULL, NULL},
    [CONTACT_EMAIL] = {"email", CONTACT_TYPE_EMAIL, 80, NULL, NULL},
    [CONTACT_PHONE] = {"phone", CONTACT_TYPE_PHONE, 40, "phone_e164",
                       "phone_valid"},
    [CONTACT_MOBILE_PHONE] = {"mobile_phone", CONTACT_TYPE_PHONE, 40,
                              "mobile_phone_e164", "mobile_phone_valid"},
    [CONTACT_STREET] = {"street", CONTACT_TYPE_TEXT, 255, NULL, NULL},
    [CONTACT_CITY] = {"city", CONTACT_TYPE_TEXT, 40, NULL, NULL},
    [CONTACT_STATE] = {"state", CONTACT_TYPE_TEXT, 80, NULL, NULL},
    [CONTACT_POSTAL_CODE] = {"postal_code", CONTACT_TYPE_TEXT, 20, NULL, NULL},
    [CONTACT_COUNTRY] = {"country", CONTACT_TYPE_TEXT, 80, NULL, NULL},
    [CONTACT_LEAD_STATUS] = {"lead_status", CONTACT_TYPE_PICKLIST, 255, NULL,
                             NULL},
    [CONTACT_LEAD_SOURCE] = {"lead_source", CONTACT_TYPE_PICKLIST, 255, NULL,
                             NULL},
    [CONTACT_DO_NOT_CALL] = {"do_not_call", CONTACT_TYPE_BOOL, 0, NULL, NULL},
    [CONTACT_EMAIL_OPT_OUT] = {"email_opt_out", CONTACT_TYPE_BOOL, 0, NULL,
                               NULL},
    [CONTACT_OWNER] = {"owner", CONTACT_TYPE_TEXT, 255, NULL, NULL},
};

/* Maximum length of a value quoted in an error message. */
#define QUOTE_MAX 64

static bool is_bool(enum contact_field f)
{
    return contact_fields[f].type == CONTACT_TYPE_BOOL;
}

static bool is_phone(enum contact_field f)
{
    return contact_fields[f].type == CONTACT_TYPE_PHONE;
}

static void value_release(struct contact_value *v)
{
    free(v->text);
    free(v->e164);
    memset(v, 0, sizeof(*v));
}

void contact_init(struct contact *c)
{
    memset(c, 0, sizeof(*c));
}

void contact_release(struct contact *c)
{
    for (int f = 0; f < CONTACT_FIELD_COUNT; f++)
        value_release(&c->values[f]);
    contact_init(c);
}

struct contact *contact_new(void)
{
    return xcalloc(1, sizeof(struct contact));
}

void contact_free(struct contact *c)
{
    if (!c)
        return;
    contact_release(c);
    free(c);
}

static void value_copy(struct contact_value *dst,
                       const struct contact_value *src)
{
    value_release(dst);
    dst->text = xstrdup(src->text);
    dst->flag = src->flag;
    dst->e164 = xstrdup(src->e164);
    dst->valid = src->valid;
}

void contact_copy(struct contact *dst, const struct contact *src)
{
    if (dst == src)
        return;
    dst->id = src->id;
    dst->workspace_id = src->workspace_id;
    dst->version = src->version;
    dst->created_ms = src->created_ms;
    dst->updated_ms = src->updated_ms;
    dst->archived = src->archived;
    for (int f = 0; f < CONTACT_FIELD_COUNT; f++)
        value_copy(&dst->values[f], &src->values[f]);
}

void contact_copy_fields(struct contact *dst, const struct contact *src,
                         uint32_t mask)
{
    if (dst == src)
        return;
    for (int f = 0; f < CONTACT_FIELD_COUNT; f++)
        if (mask & CONTACT_FIELD_BIT(f))
            value_copy(&dst->values[f], &src->values[f]);
}

int contact_field_by_name(const char *name)
{
    if (!name)
        return -1;
    for (int f = 0; f < CONTACT_FIELD_COUNT; f++)
        if (strcmp(contact_fields[f].name, name) == 0)
            return f;
    return -1;
}

void contact_set_text(struct contact *c, enum contact_field f,
                      const char *text)
{
    struct contact_value *v = &c->values[f];

    if (is_bool(f))
        BUG("contact_set_text on bool field '%s'", contact_fields[f].name);
    value_release(v);
    if (text && *text)
        v->text = xstrdup(text);
}

void contact_set_flag(struct contact *c, enum contact_field f, bool flag)
{
    if (!is_bool(f))
        BUG("contact_set_flag on field '%s'", contact_fields[f].name);
    c->values[f].flag = flag;
}

const char *contact_text(const struct contact *c, enum contact_field f)
{
    return c->values[f].text;
}

uint32_t contact_same_numbers(const struct contact *a, const struct contact *b)
{
    uint32_t same = 0;

    for (int f = 0; f < CONTACT_FIELD_COUNT; f++) {
        const char *x = a->values[f].e164;
        const char *y = b->values[f].e164;

        if (is_phone(f) && x && y && strcmp(x, y) == 0)
            same |= CONTACT_FIELD_BIT(f);
    }
    return same & contact_diff(a, b);
}

/* Whether a and b are equal in ASCII letter case once the spaces around
 * them are trimmed. NULL and an all-space text are empty. */
static bool same_trimmed_nocase(const char *a, const char *b)
{
    size_t a_len, b_len;

    a = a ? a : "";
    b = b ? b : "";
    a += strspn(a, " \t\r\n");
    b += strspn(b, " \t\r\n");
    a_len = strlen(a);
    b_len = strlen(b);
    while (a_len > 0 && strchr(" \t\r\n", a[a_len - 1]))
        a_len--;
    while (b_len > 0 && strchr(" \t\r\n", b[b_len - 1]))
        b_len--;
    return a_len == b_len && strncasecmp(a, b, a_len) == 0;
}

bool contact_phone_match_agrees(const struct contact *a,
                                const struct contact *b)
{
    const char *a_email = contact_text(a, CONTACT_EMAIL);
    const char *b_email = contact_text(b, CONTACT_EMAIL);
    const char *a_first = contact_text(a, CONTACT_FIRST_NAME);
    const char *b_first = contact_text(b, CONTACT_FIRST_NAME);

    if (a_email && b_email)
        return same_trimmed_nocase(a_email, b_email);
    if (!same_trimmed_nocase(contact_text(a, CONTACT_LAST_NAME),
                             contact_text(b, CONTACT_LAST_NAME)))
        return false;
    return same_trimmed_nocase(a_first, "") ||
           same_trimmed_nocase(b_first, "") ||
           same_trimmed_nocase(a_first, b_first);
}

static int parse_bool(const char *input, bool *out)
{
    static const char *const truths[] = {"true", "yes", "1", "on"};
    static const char *const falsehoods[] = {"false", "no", "0", "off"};

    for (size_t i = 0; i < ARRAY_SIZE(truths); i++) {
        if (strcasecmp(input, truths[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcasecmp(input, falsehoods[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    return -1;
}

int contact_parse_value(struct contact *c, enum contact_field f,
                        const char *input, struct err *err)
{
    bool flag;

    if (!is_bool(f)) {
        contact_set_text(c, f, input);
        return 0;
    }
    if (!input || parse_bool(input, &flag) < 0)
        return err_set(err, SYNC_EINVALID,
                       "field '%s' takes true or false, not '%.*s'",
                       contact_fields[f].name, QUOTE_MAX,
                       input ? input : "");
    c->values[f].flag = flag;
    return 0;
}

int contact_normalize_phones(struct contact *c, const char *region,
                             struct err *err)
{
    char own[PHONE_REGION_SIZE];

    if (!phone_region_supported(region ? region : PHONE_DEFAULT_REGION))
        return err_set(err, SYNC_EINVALID,
                       "unknown phone region '%s'; use an ISO 3166 two-letter "
                       "code such as 'US' or 'GB'",
                       region ? region : "");
    /* A number written without a country code belongs to the contact's own
     * country when the country field names one. */
    if (country_region(c->values[CONTACT_COUNTRY].text, own) == 0)
        region = own;
    for (int f = 0; f < CONTACT_FIELD_COUNT; f++) {
        struct contact_value *v = &c->values[f];
        struct phone_number number;

        if (!is_phone(f))
            continue;
        free(v->e164);
        v->e164 = NULL;
        v->valid = false;
        /* A number that does not parse keeps its text and no E.164 form. */
        if (!v->text || phone_normalize(v->text, region, &number, NULL) < 0)
            continue;
        v->e164 = xstrdup(number.e164);
        v->valid = number.valid;
    }
    return 0;
}

/* RFC 5322 atext: the characters of an unquoted local part besides '.'. */
static bool is_atext(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
           (ch >= '0' && ch <= '9') || strchr("!#$%&'*+/=?^_`{|}~-", ch);
}

static bool is_label_char(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
           (ch >= '0' && ch <= '9') || ch == '-';
}

/* Dot-separated atoms: no empty atom, so no leading, trailing or double
 * dot. */
static bool local_part_ok(const char *s, size_t len)
{
    if (len == 0 || len > 64 || s[0] == '.' || s[len - 1] == '.')
        return false;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '.' && s[i + 1] == '.')
            return false;
        if (s[i] != '.' && !is_atext((unsigned char)s[i]))
            return false;
    }
    return true;
}

/* At least two labels of letters, digits and inner hyphens, and a top-level
 * label that is not all digits. */
static bool domain_ok(const char *s)
{
    size_t labels = 0, label_len = 0;
    bool label_digits = true;
    size_t len = strlen(s);

    if (len == 0 || len > 253)
        return false;
    for (size_t i = 0; i <= len; i++) {
        unsigned char ch = (unsigned char)s[i];

        if (ch == '.' || ch == '\0') {
            if (label_len == 0 || label_len > 63 || s[i - 1] == '-')
                return false;
            labels++;
            if (ch == '\0')
                break;
            label_len = 0;
            label_digits = true;
            continue;
        }
        if (!is_label_char(ch) || (label_len == 0 && ch == '-'))
            return false;
        if (ch < '0' || ch > '9')
            label_digits = false;
        label_len++;
    }
    return labels >= 2 && !label_digits;
}

/*
 * NOTE: only ASCII addresses with an unquoted local part pass, so an
 * internationalised address (RFC 6531) is rejected.
 */
static bool email_ok(const char *s)
{
    const char *at = strchr(s, '@');

    if (!at || strchr(at + 1, '@'))
        return false;
    return local_part_ok(s, (size_t)(at - s)) && domain_ok(at + 1);
}

/*
 * NOTE: the length counts Unicode code points. Salesforce may count a
 * character outside the Basic Multilingual Plane as two, so a value full of
 * emoji can pass here and still be too long there.
 */
static int validate_value(const struct contact *c, enum contact_field f,
                          struct err *err)
{
    const struct contact_field_info *info = &contact_fields[f];
    const char *text = c->values[f].text;
    size_t chars;

    if (is_bool(f) || !text)
        return 0;
    if (utf8_count(text, &chars) < 0)
        return err_set(err, SYNC_EINVALID,
                       "field '%s' is not valid UTF-8 (bad byte at offset "
                       "%zu)",
                       info->name, chars);
    if (chars > info->max_len)
        return err_set(err, SYNC_EINVALID,
                       "field '%s' is %zu characters long; the maximum is %zu",
                       info->name, chars, info->max_len);
    if (info->type == CONTACT_TYPE_EMAIL && !email_ok(text))
        return err_set(err, SYNC_EINVALID,
                       "field '%s' value '%.*s' is not a valid email address",
                       info->name, QUOTE_MAX, text);
    return 0;
}

int contact_validate(const struct contact *c, struct err *err)
{
    int rc;

    for (int f = 0; f < CONTACT_FIELD_COUNT; f++)
        if ((rc = validate_value(c, f, err)) < 0)
            return rc;
    return 0;
}

int contact_validate_field(const struct contact *c, enum contact_field f,
                           struct err *err)
{
    return validate_value(c, f, err);
}

int contact_prepare(struct contact *c, const char *region, struct err *err)
{
    int rc;

    if ((rc = contact_normalize_phones(c, region, err)) < 0)
        return rc;
    return contact_validate(c, err);
}

static bool text_equal(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    return strcmp(a, b) == 0;
}

uint32_t contact_diff(const struct contact *a, const struct contact *b)
{
    uint32_t mask = 0;

    for (int f = 0; f < CONTACT_FIELD_COUNT; f++) {
        const struct contact_value *va = &a->values[f], *vb = &b->values[f];
        bool same = is_bool(f) ? va->flag == vb->flag
                               : text_equal(va->text, vb->text);

        if (!same)
            mask |= CONTACT_FIELD_BIT(f);
    }
    return mask;
}

/* Add text under key, or null for NULL. Return -1 when text is not UTF-8. */
static int put_text(json_t *obj, const char *key, const char *text)
{
    json_t *value = text ? json_string(text) : json_null();

    if (!value)
        return -1;
    return json_object_set_new(obj, key, value);
}

static int put_field(json_t *obj, const struct contact *c,
                     enum contact_field f, bool derived)
{
    const struct contact_field_info *info = &contact_fields[f];
    const struct contact_value *v = &c->values[f];

    if (is_bool(f))
        return json_object_set_new(obj, info->name, json_boolean(v->flag));
    if (put_text(obj, info->name, v->text) < 0)
        return -1;
    if (!derived || !is_phone(f))
        return 0;
    if (put_text(obj, info->e164_name, v->e164) < 0)
        return -1;
    return json_object_set_new(obj, info->valid_name, json_boolean(v->valid));
}

json_t *contact_fields_to_json(const struct contact *c, uint32_t mask)
{
    json_t *obj = json_object();

    for (int f = 0; f < CONTACT_FIELD_COUNT; f++) {
        if (!(mask & CONTACT_FIELD_BIT(f)))
            continue;
        if (put_field(obj, c, f, false) < 0) {
            json_decref(obj);
            return NULL;
        }
    }
    return obj;
}

json_t *contact_to_json(const struct contact *c)
{
    json_t *obj = json_object();
    char created[DATETIME_LEN], updated[DATETIME_LEN];

    datetime_format_z(c->created_ms, created);
    datetime_format_z(c->updated_ms, updated);
    json_object_set_new(obj, "id", json_integer(c->id));
    json_object_set_new(obj, "workspace_id", json_integer(c->workspace_id));
    json_object_set_new(obj, "version", json_integer(c->version));
    json_object_set_new(obj, "created_at", json_string(created));
    json_object_set_new(obj, "updated_at", json_string(updated));
    json_object_set_new(obj, "archived", json_boolean(c->archived));
    for (int f = 0; f < CONTACT_FIELD_COUNT; f++) {
        if (put_field(obj, c, f, true) < 0) {
            json_decref(obj);
            return NULL;
        }
    }
    return obj;
}

/* The keys contact_to_json writes that are not fields. */
static bool is_ignored_key(const char *key)
{
    static const char *const record_keys[] = {
        "id", "workspace_id", "version", "created_at", "updated_at",
        "archived",
    };

    for (size_t i = 0; i < ARRAY_SIZE(record_keys); i++)
        if (strcmp(key, record_keys[i]) == 0)
            return true;
    for (int f = 0; f < CONTACT_FIELD_COUNT; f++) {
        const struct contact_field_info *info = &contact_fields[f];

        if (info->e164_name && (strcmp(key, info->e164_name) == 0 ||
                                strcmp(key, info->valid_name) == 0))
            return true;
    }
    return false;
}

static int field_from_json(struct contact *c, enum contact_field f,
                           const json_t *value, struct err *err)
{
    const char *name = contact_fields[f].name;

    if (is_bool(f)) {
        if (!json_is_boolean(value))
            return err_set(err, SYNC_EINVALID,
                           "field '%s' must be true or false", name);
        contact_set_flag(c, f, json_is_true(value));
        return 0;
    }
    if (json_is_null(value)) {
        contact_set_text(c, f, NULL);
        return 0;
    }
    if (!json_is_string(value))
        return err_set(err, SYNC_EINVALID,
                       "field '%s' must be a string or null", name);
    /* jansson strings may hold NUL bytes, which a C string cannot. */
    if (strlen(json_string_value(value)) != json_string_length(value))
        return err_set(err, SYNC_EINVALID, "field '%s' contains a NUL byte",
                       name);
    contact_set_text(c, f, json_string_value(value));
    return 0;
}

int contact_fields_from_json(struct contact *c, const json_t *obj,
                             uint32_t *out_mask, struct err *err)
{
    const char *key;
    json_t *value;
    uint32_t mask = 0;
    int rc;

    if (out_mask)
        *out_mask = 0;
    if (!json_is_object(obj))
        return err_set(err, SYNC_EINVALID, "contact must be a JSON object");
    json_object_foreach((json_t *)obj, key, value) {
        int f = contact_field_by_name(key);

        if (f < 0) {
            if (is_ignored_key(key))
                continue;
            return err_set(err, SYNC_EINVALID,
                           "unknown contact field '%.*s'", QUOTE_MAX, key);
        }
        if ((rc = field_from_json(c, f, value, err)) < 0)
            return rc;
        mask |= CONTACT_FIELD_BIT(f);
    }
    if (out_mask)
        *out_mask = mask;
    return 0;
}
