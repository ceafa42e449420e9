/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * Header names and rows of contact CSV files. The CSV syntax itself is
 * parsed by libcsv in sync/import.c, so this file handles only cells.
 */
#include "base/common.h"

#include "contact_csv.h"

#include <strings.h>

#include "base/buf.h"

/* Maximum size of a header's comparison key, with its NUL: a header with a
 * longer key selects no field. */
#define HEADER_KEY_MAX 64

/* Maximum bytes of a header cell quoted in an error message. */
#define QUOTE_MAX 60

/*
 * The common spellings of each field besides its own name. The Salesforce
 * ones are the field labels of Contact ("Mailing Street") and Lead
 * ("Street", "Zip/Postal Code") in exports and reports, where company is
 * the Account Name of a Contact.
 */
const struct contact_csv_alias contact_csv_aliases[] = {
    {"First Name", CONTACT_FIRST_NAME},
    {"Last Name", CONTACT_LAST_NAME},
    {"Account Name", CONTACT_COMPANY},
    {"Account: Account Name", CONTACT_COMPANY},
    {"Job Title", CONTACT_TITLE},
    {"Email Address", CONTACT_EMAIL},
    {"E-mail", CONTACT_EMAIL},
    {"Phone Number", CONTACT_PHONE},
    {"Business Phone", CONTACT_PHONE},
    {"Mobile", CONTACT_MOBILE_PHONE},
    {"Mobile Number", CONTACT_MOBILE_PHONE},
    {"Cell Phone", CONTACT_MOBILE_PHONE},
    {"Mailing Street", CONTACT_STREET},
    {"Mailing City", CONTACT_CITY},
    {"State/Province", CONTACT_STATE},
    {"Mailing State/Province", CONTACT_STATE},
    {"Zip", CONTACT_POSTAL_CODE},
    {"Zip Code", CONTACT_POSTAL_CODE},
    {"Zip/Postal Code", CONTACT_POSTAL_CODE},
    {"Mailing Zip/Postal Code", CONTACT_POSTAL_CODE},
    {"Mailing Country", CONTACT_COUNTRY},
    {"Do Not Call", CONTACT_DO_NOT_CALL},
    {"Email Opt Out", CONTACT_EMAIL_OPT_OUT},
};

const size_t contact_csv_alias_count = ARRAY_SIZE(contact_csv_aliases);

/* Object prefixes of Salesforce report columns ("Contact: First Name"). */
static const char *const object_prefixes[] = {"contact:", "lead:"};

/* Write name's comparison key to key: ASCII letters and digits only, in
 * lower case. Return false when name is too long to select a field. */
static bool header_key(const char *name, char key[HEADER_KEY_MAX])
{
    size_t len = 0;

    for (const char *p = name; *p; p++) {
        unsigned char ch = (unsigned char)*p;

        if (ch >= 'A' && ch <= 'Z')
            ch = (unsigned char)(ch - 'A' + 'a');
        else if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')))
            continue;
        if (len + 1 >= HEADER_KEY_MAX)
            return false;
        key[len++] = (char)ch;
    }
    key[len] = '\0';
    return len > 0;
}

static int field_by_key(const char *key)
{
    char other[HEADER_KEY_MAX];

    for (int f = 0; f < CONTACT_FIELD_COUNT; f++)
        if (header_key(contact_fields[f].name, other) &&
            strcmp(key, other) == 0)
            return f;
    for (size_t i = 0; i < contact_csv_alias_count; i++)
        if (header_key(contact_csv_aliases[i].header, other) &&
            strcmp(key, other) == 0)
            return (int)contact_csv_aliases[i].field;
    return -1;
}

int contact_csv_field_by_header(const char *name)
{
    char key[HEADER_KEY_MAX];

    if (!name)
        return -1;
    while (*name == ' ' || *name == '\t')
        name++;
    for (size_t i = 0; i < ARRAY_SIZE(object_prefixes); i++) {
        size_t len = strlen(object_prefixes[i]);

        if (strncasecmp(name, object_prefixes[i], len) == 0) {
            name += len;
            break;
        }
    }
    if (!header_key(name, key))
        return -1;
    return field_by_key(key);
}

void contact_csv_header_init(struct contact_csv_header *h)
{
    memset(h, 0, sizeof(*h));
}

void contact_csv_header_release(struct contact_csv_header *h)
{
    for (size_t i = 0; i < h->unknown_count; i++)
        free(h->unknown[i]);
    free(h->unknown);
    free(h->fields);
    contact_csv_header_init(h);
}

/* The column (0-based) that already selects field f, or -1. */
static long column_of(const struct contact_csv_header *h, size_t before, int f)
{
    for (size_t i = 0; i < before; i++)
        if (h->fields[i] == f)
            return (long)i;
    return -1;
}

int contact_csv_header_parse(struct contact_csv_header *h,
                             const char *const *cells, size_t count,
                             bool ignore_unknown, struct err *err)
{
    size_t known = 0;
    int rc = 0;

    contact_csv_header_release(h);
    h->count = count;
    h->fields = xcalloc(count ? count : 1, sizeof(*h->fields));
    h->unknown = xcalloc(count ? count : 1, sizeof(*h->unknown));
    for (size_t i = 0; i < count; i++) {
        int f = contact_csv_field_by_header(cells[i]);
        long other;

        h->fields[i] = f;
        if (f < 0) {
            h->unknown[h->unknown_count++] = xstrdup(cells[i]);
            if (!ignore_unknown && rc == 0 && !*cells[i])
                rc = err_set(err, SYNC_EINVALID,
                             "column %zu of the header row has no name", i + 1);
            else if (!ignore_unknown && rc == 0)
                rc = err_set(err, SYNC_EINVALID,
                             "unknown column '%.*s' (column %zu)", QUOTE_MAX,
                             cells[i], i + 1);
            continue;
        }
        other = column_of(h, i, f);
        if (other >= 0 && rc == 0)
            rc = err_set(err, SYNC_EINVALID,
                         "columns %ld '%.*s' and %zu '%.*s' both select "
                         "field '%s'; remove or rename one of them",
                         other + 1, QUOTE_MAX, cells[other], i + 1, QUOTE_MAX,
                         cells[i], contact_fields[f].name);
        known++;
    }
    if (rc == 0 && known == 0)
        rc = err_set(err, SYNC_EINVALID,
                     "the header row names no contact field; the first row "
                     "must name the columns, such as 'first_name' or "
                     "'Last Name'");
    return rc;
}

static bool row_is_empty(const size_t *lens, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (lens[i] > 0)
            return false;
    return true;
}

int contact_csv_row_to_contact(const struct contact_csv_header *h,
                               const char *const *cells, const size_t *lens,
                               size_t count, struct contact *c, struct err *err)
{
    int rc;

    if (count != h->count)
        return err_set(err, SYNC_EINVALID,
                       "wrong number of columns: the header has %zu, this "
                       "row %zu",
                       h->count, count);
    if (row_is_empty(lens, count))
        return err_set(err, SYNC_EINVALID, "empty row");
    for (size_t i = 0; i < count; i++) {
        int f = h->fields[i];

        if (f < 0 || lens[i] == 0)
            continue;
        if (memchr(cells[i], '\0', lens[i]))
            return err_set(err, SYNC_EINVALID, "field '%s' contains a NUL byte",
                           contact_fields[f].name);
        if ((rc = contact_parse_value(c, f, cells[i], err)) < 0)
            return rc;
    }
    return 0;
}

char *contact_csv_accepted_columns(int indent)
{
    struct buf out;

    buf_init(&out, 0);
    for (int f = 0; f < CONTACT_FIELD_COUNT; f++) {
        bool first = true;

        buf_printf(&out, "%*s%s", indent, "", contact_fields[f].name);
        for (size_t i = 0; i < contact_csv_alias_count; i++) {
            if ((int)contact_csv_aliases[i].field != f)
                continue;
            buf_printf(&out, "%s%s", first ? " (" : ", ",
                       contact_csv_aliases[i].header);
            first = false;
        }
        buf_puts(&out, first ? "\n" : ")\n");
    }
    return buf_detach(&out);
}
