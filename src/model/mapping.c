/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * The field mapping table and the conversions between Salesforce REST JSON
 * and contact values.
 */
#include "base/common.h"

#include "mapping.h"

#include <ctype.h>
#include <strings.h>

#include "base/buf.h"
#include "base/sfid.h"

#define BOTH (MAPPING_TO_SF | MAPPING_FROM_SF)

/* Maximum length of a custom field name: a 15-character namespace prefix,
 * its "__", a 40-character name and "__c". */
#define CUSTOM_NAME_MAX 60

/* Maximum length of a value quoted in an error message. */
#define QUOTE_MAX 64

const struct mapping_row mapping_default_rows[] = {
    {CONTACT_FIRST_NAME, SF_OBJECT_CONTACT, "FirstName", BOTH},
    {CONTACT_LAST_NAME, SF_OBJECT_CONTACT, "LastName", BOTH},
    {CONTACT_TITLE, SF_OBJECT_CONTACT, "Title", BOTH},
    {CONTACT_EMAIL, SF_OBJECT_CONTACT, "Email", BOTH},
    {CONTACT_PHONE, SF_OBJECT_CONTACT, "Phone", BOTH},
    {CONTACT_MOBILE_PHONE, SF_OBJECT_CONTACT, "MobilePhone", BOTH},
    {CONTACT_STREET, SF_OBJECT_CONTACT, "MailingStreet", BOTH},
    {CONTACT_CITY, SF_OBJECT_CONTACT, "MailingCity", BOTH},
    {CONTACT_STATE, SF_OBJECT_CONTACT, "MailingState", BOTH},
    {CONTACT_POSTAL_CODE, SF_OBJECT_CONTACT, "MailingPostalCode", BOTH},
    {CONTACT_COUNTRY, SF_OBJECT_CONTACT, "MailingCountry", BOTH},
    {CONTACT_LEAD_SOURCE, SF_OBJECT_CONTACT, "LeadSource", BOTH},
    {CONTACT_DO_NOT_CALL, SF_OBJECT_CONTACT, "DoNotCall",
     BOTH | MAPPING_NOT_NILLABLE},
    {CONTACT_EMAIL_OPT_OUT, SF_OBJECT_CONTACT, "HasOptedOutOfEmail",
     BOTH | MAPPING_NOT_NILLABLE},
    {CONTACT_OWNER, SF_OBJECT_CONTACT, "OwnerId",
     BOTH | MAPPING_NOT_NILLABLE | MAPPING_REFERENCE},
    /* A Contact has no company field: the company is its Account's name,
     * which the pull reads. Account.Name cannot be written through the
     * Contact, so the push finds or creates the Account of that name and
     * sets AccountId (push.c). */
    {CONTACT_COMPANY, SF_OBJECT_CONTACT, "Account.Name",
     BOTH | MAPPING_DERIVED},

    {CONTACT_FIRST_NAME, SF_OBJECT_LEAD, "FirstName", BOTH},
    {CONTACT_LAST_NAME, SF_OBJECT_LEAD, "LastName", BOTH},
    {CONTACT_COMPANY, SF_OBJECT_LEAD, "Company", BOTH},
    {CONTACT_TITLE, SF_OBJECT_LEAD, "Title", BOTH},
    {CONTACT_EMAIL, SF_OBJECT_LEAD, "Email", BOTH},
    {CONTACT_PHONE, SF_OBJECT_LEAD, "Phone", BOTH},
    {CONTACT_MOBILE_PHONE, SF_OBJECT_LEAD, "MobilePhone", BOTH},
    {CONTACT_STREET, SF_OBJECT_LEAD, "Street", BOTH},
    {CONTACT_CITY, SF_OBJECT_LEAD, "City", BOTH},
    {CONTACT_STATE, SF_OBJECT_LEAD, "State", BOTH},
    {CONTACT_POSTAL_CODE, SF_OBJECT_LEAD, "PostalCode", BOTH},
    {CONTACT_COUNTRY, SF_OBJECT_LEAD, "Country", BOTH},
    {CONTACT_LEAD_STATUS, SF_OBJECT_LEAD, "Status",
     BOTH | MAPPING_NOT_NILLABLE},
    {CONTACT_LEAD_SOURCE, SF_OBJECT_LEAD, "LeadSource", BOTH},
    {CONTACT_DO_NOT_CALL, SF_OBJECT_LEAD, "DoNotCall",
     BOTH | MAPPING_NOT_NILLABLE},
    {CONTACT_EMAIL_OPT_OUT, SF_OBJECT_LEAD, "HasOptedOutOfEmail",
     BOTH | MAPPING_NOT_NILLABLE},
    {CONTACT_OWNER, SF_OBJECT_LEAD, "OwnerId",
     BOTH | MAPPING_NOT_NILLABLE | MAPPING_REFERENCE},
};

const size_t mapping_default_count = ARRAY_SIZE(mapping_default_rows);

static const char *const object_names[SF_OBJECT_COUNT] = {
    [SF_OBJECT_CONTACT] = "Contact",
    [SF_OBJECT_LEAD] = "Lead",
};

void mapping_init(struct mapping *m)
{
    m->cap = mapping_default_count;
    m->count = mapping_default_count;
    m->rows = xmalloc(m->cap * sizeof(*m->rows));
    memcpy(m->rows, mapping_default_rows, m->cap * sizeof(*m->rows));
}

static void row_release(struct mapping_row *row)
{
    if (row->flags & MAPPING_CUSTOM)
        free((char *)row->sf_field);
    row->sf_field = NULL;
}

void mapping_release(struct mapping *m)
{
    for (size_t i = 0; i < m->count; i++)
        row_release(&m->rows[i]);
    free(m->rows);
    memset(m, 0, sizeof(*m));
}

const char *mapping_object_name(enum sf_object object)
{
    if (object < 0 || object >= SF_OBJECT_COUNT)
        BUG("unknown Salesforce object %d", (int)object);
    return object_names[object];
}

int mapping_object_parse(const char *name)
{
    if (!name)
        return -1;
    for (int i = 0; i < SF_OBJECT_COUNT; i++)
        if (strcasecmp(name, object_names[i]) == 0)
            return i;
    return -1;
}

/*
 * A custom field API name: letters, digits and single underscores, starting
 * with a letter, ending in "__c". One "__" may separate a namespace prefix.
 */
static bool custom_name_ok(const char *name)
{
    size_t len = strlen(name);
    int separators = 0;

    if (len < 4 || len > CUSTOM_NAME_MAX || !isalpha((unsigned char)name[0]))
        return false;
    if (strcmp(name + len - 3, "__c") != 0)
        return false;
    for (size_t i = 0; i < len - 3; i++) {
        unsigned char ch = (unsigned char)name[i];

        if (ch == '_' && name[i + 1] == '_') {
            /* "___" and a trailing "_" before "__c" are not API names. */
            if (i + 2 >= len - 3 || name[i + 2] == '_')
                return false;
            separators++;
            i++;
            continue;
        }
        if (!isalnum(ch) && ch != '_')
            return false;
    }
    return separators <= 1 && name[len - 4] != '_';
}

static struct mapping_row *find_row(const struct mapping *m,
                                    enum sf_object object,
                                    enum contact_field field)
{
    for (size_t i = 0; i < m->count; i++)
        if (m->rows[i].object == object && m->rows[i].field == field)
            return &m->rows[i];
    return NULL;
}

static const struct mapping_row *find_sf_field(const struct mapping *m,
                                               enum sf_object object,
                                               const char *sf_field)
{
    for (size_t i = 0; i < m->count; i++)
        if (m->rows[i].object == object &&
            strcasecmp(m->rows[i].sf_field, sf_field) == 0)
            return &m->rows[i];
    return NULL;
}

int mapping_add_custom(struct mapping *m, enum sf_object object,
                       const char *sf_field, enum contact_field field,
                       unsigned directions, struct err *err)
{
    const struct mapping_row *same;
    struct mapping_row *row;

    if (!sf_field || !custom_name_ok(sf_field))
        return err_set(err, SYNC_EINVALID,
                       "'%.*s' is not a custom field name; use a name such as "
                       "'Region__c'",
                       QUOTE_MAX, sf_field ? sf_field : "");
    if ((directions & BOTH) == 0 || (directions & ~(unsigned)BOTH) != 0)
        return err_set(err, SYNC_EINVALID,
                       "custom field '%s' needs a direction: to Salesforce, "
                       "from Salesforce or both",
                       sf_field);
    same = find_sf_field(m, object, sf_field);
    if (same && same->field != field)
        return err_set(err, SYNC_EINVALID,
                       "field '%s' of %s is already mapped to '%s'", sf_field,
                       mapping_object_name(object),
                       contact_fields[same->field].name);

    row = find_row(m, object, field);
    if (row) {
        row_release(row);
    } else {
        m->rows = xgrow(m->rows, &m->cap, m->count + 1, sizeof(*m->rows));
        row = &m->rows[m->count++];
    }
    row->field = field;
    row->object = object;
    row->sf_field = xstrdup(sf_field);
    row->flags = directions | MAPPING_CUSTOM;
    return 0;
}

const struct mapping_row *mapping_find(const struct mapping *m,
                                       enum sf_object object,
                                       enum contact_field field)
{
    return find_row(m, object, field);
}

uint32_t mapping_fields(const struct mapping *m, enum sf_object object,
                        unsigned direction)
{
    uint32_t mask = 0;

    for (size_t i = 0; i < m->count; i++)
        if (m->rows[i].object == object && (m->rows[i].flags & direction))
            mask |= CONTACT_FIELD_BIT(m->rows[i].field);
    return mask;
}

char *mapping_soql_fields(const struct mapping *m, enum sf_object object)
{
    struct buf out;

    buf_init(&out, 0);
    for (size_t i = 0; i < m->count; i++) {
        const struct mapping_row *row = &m->rows[i];

        if (row->object != object || !(row->flags & MAPPING_FROM_SF))
            continue;
        if (out.len > 0)
            buf_puts(&out, ", ");
        buf_puts(&out, row->sf_field);
    }
    return buf_detach(&out);
}

/* Look key up in obj, first as written, then in any letter case. */
static json_t *get_key(const json_t *obj, const char *key, size_t len)
{
    const char *k;
    json_t *v;

    v = json_object_getn(obj, key, len);
    if (v)
        return v;
    json_object_foreach((json_t *)obj, k, v) {
        if (strlen(k) == len && strncasecmp(k, key, len) == 0)
            return v;
    }
    return NULL;
}

/*
 * Follow a dotted path through record. Return the value, json null for an
 * empty lookup on the way, or NULL when a key is missing.
 */
static json_t *get_path(const json_t *record, const char *path)
{
    const json_t *node = record;
    const char *dot;

    while ((dot = strchr(path, '.')) != NULL) {
        node = get_key(node, path, (size_t)(dot - path));
        if (!node)
            return NULL;
        if (json_is_null(node))
            return (json_t *)node;
        if (!json_is_object(node))
            return NULL;
        path = dot + 1;
    }
    return get_key(node, path, strlen(path));
}

static int type_error(const struct mapping_row *row, const char *expected,
                      struct err *err)
{
    return err_set(err, SYNC_EINVALID,
                   "%s field '%s' holds a value that is not %s, so it cannot "
                   "fill '%s'",
                   mapping_object_name(row->object), row->sf_field, expected,
                   contact_fields[row->field].name);
}

/* Set a text field from a Salesforce value: a string, a number (a custom
 * numeric field) or a boolean, written as JSON writes it. */
static int text_from_value(struct contact *out, const struct mapping_row *row,
                           const json_t *value, struct err *err)
{
    char *text;

    if (json_is_null(value)) {
        contact_set_text(out, row->field, NULL);
        return 0;
    }
    if (json_is_string(value)) {
        if (strlen(json_string_value(value)) != json_string_length(value))
            return type_error(row, "text without NUL bytes", err);
        contact_set_text(out, row->field, json_string_value(value));
        return 0;
    }
    if (!json_is_number(value) && !json_is_boolean(value))
        return type_error(row, "text", err);
    text = json_dumps(value, JSON_ENCODE_ANY);
    contact_set_text(out, row->field, text);
    free(text);
    return 0;
}

static int flag_from_value(struct contact *out, const struct mapping_row *row,
                           const json_t *value, struct err *err)
{
    /* Salesforce checkboxes are never null; a null from a formula field
     * reads as unchecked. */
    if (json_is_null(value)) {
        contact_set_flag(out, row->field, false);
        return 0;
    }
    if (!json_is_boolean(value))
        return type_error(row, "a boolean", err);
    contact_set_flag(out, row->field, json_is_true(value));
    return 0;
}

int mapping_from_record(const struct mapping *m, enum sf_object object,
                        const json_t *record, struct contact *out,
                        uint32_t *out_mask, struct err *err)
{
    return mapping_from_record_fields(m, object, record, UINT32_MAX, out,
                                      out_mask, err);
}

int mapping_from_record_fields(const struct mapping *m, enum sf_object object,
                               const json_t *record, uint32_t fields,
                               struct contact *out, uint32_t *out_mask,
                               struct err *err)
{
    uint32_t mask = 0;
    int rc;

    if (out_mask)
        *out_mask = 0;
    if (!json_is_object(record))
        return err_set(err, SYNC_EINVALID,
                       "%s record is not a JSON object",
                       mapping_object_name(object));
    for (size_t i = 0; i < m->count; i++) {
        const struct mapping_row *row = &m->rows[i];
        json_t *value;

        if (row->object != object || !(row->flags & MAPPING_FROM_SF) ||
            !(fields & CONTACT_FIELD_BIT(row->field)))
            continue;
        value = get_path(record, row->sf_field);
        if (!value)
            continue;
        if (contact_fields[row->field].type == CONTACT_TYPE_BOOL)
            rc = flag_from_value(out, row, value, err);
        else
            rc = text_from_value(out, row, value, err);
        if (rc < 0)
            return rc;
        mask |= CONTACT_FIELD_BIT(row->field);
    }
    if (out_mask)
        *out_mask = mask;
    return 0;
}

/* Set *out to the payload value of one row, or to NULL to leave the row
 * out. */
static int payload_value(const struct mapping_row *row,
                         const struct contact *c, json_t **out,
                         struct err *err)
{
    const struct contact_value *v = &c->values[row->field];
    const char *name = contact_fields[row->field].name;
    char id18[SFID_SIZE];

    *out = NULL;
    if (contact_fields[row->field].type == CONTACT_TYPE_BOOL) {
        *out = json_boolean(v->flag);
        return 0;
    }
    if (!v->text) {
        if (!(row->flags & MAPPING_NOT_NILLABLE))
            *out = json_null();
        return 0;
    }
    if ((row->flags & MAPPING_REFERENCE) && sfid_to18(v->text, id18) < 0)
        return err_set(err, SYNC_EINVALID,
                       "field '%s' value '%.*s' is not a Salesforce id, which "
                       "%s requires; set it to the owner's user id",
                       name, QUOTE_MAX, v->text, row->sf_field);
    *out = json_string(v->text);
    if (!*out)
        return err_set(err, SYNC_EINVALID, "field '%s' is not valid UTF-8",
                       name);
    return 0;
}

json_t *mapping_to_payload(const struct mapping *m, enum sf_object object,
                           const struct contact *c, uint32_t mask,
                           struct err *err)
{
    json_t *payload = json_object();

    for (size_t i = 0; i < m->count; i++) {
        const struct mapping_row *row = &m->rows[i];
        json_t *value;

        if (row->object != object || !(row->flags & MAPPING_TO_SF) ||
            (row->flags & MAPPING_DERIVED) ||
            !(mask & CONTACT_FIELD_BIT(row->field)))
            continue;
        if (payload_value(row, c, &value, err) < 0) {
            json_decref(payload);
            return NULL;
        }
        if (value)
            json_object_set_new(payload, row->sf_field, value);
    }
    return payload;
}
