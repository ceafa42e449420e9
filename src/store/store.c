/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * The backend-neutral half of the store: it picks the backend from the
 * target, checks arguments, prepares contacts with the workspace's region,
 * canonicalises Salesforce ids and encrypts credentials, then calls the
 * backend through struct store_ops. It runs no SQL itself.
 */
#include "base/common.h"

#include "store.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <strings.h>

#include <libpq-fe.h>

#include "base/buf.h"
#include "model/utf8.h"
#include "base/datetime.h"
#include "base/unicode.h"
#include "store_int.h"

/* Digits a search needs before it also matches phone numbers, so that "12"
 * does not match every phone with a 1 and a 2 in a row. */
#define SEARCH_DIGITS_MIN 3

/* The key file of a PostgreSQL store's credentials, when SFSYNC_SECRET_KEY
 * is not set. */
#define STORE_KEY_FILE_ENV "SFSYNC_SECRET_KEY_FILE"

static const char *const outbox_op_names[] = {
    [STORE_OUTBOX_CREATE] = "create",
    [STORE_OUTBOX_UPDATE] = "update",
    [STORE_OUTBOX_ARCHIVE] = "archive",
};

static const char *const postgres_prefixes[] = {"postgresql://",
                                                "postgres://"};

const char *store_outbox_op_name(enum store_outbox_op op)
{
    if (op < 0 || op >= (int)ARRAY_SIZE(outbox_op_names))
        BUG("unknown outbox operation %d", (int)op);
    return outbox_op_names[op];
}

int store__outbox_op_parse(const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(outbox_op_names); i++)
        if (strcmp(name, outbox_op_names[i]) == 0)
            return (int)i;
    return -1;
}

static char *postgres_display(const char *conninfo)
{
    PQconninfoOption *options = PQconninfoParse(conninfo, NULL);
    const char *host = NULL, *port = NULL, *dbname = NULL;
    char *display;

    if (!options)
        return xstrdup("(unparsable)");
    for (PQconninfoOption *o = options; o->keyword; o++) {
        if (!o->val || !*o->val)
            continue;
        if (strcmp(o->keyword, "host") == 0)
            host = o->val;
        else if (strcmp(o->keyword, "hostaddr") == 0 && !host)
            host = o->val;
        else if (strcmp(o->keyword, "port") == 0)
            port = o->val;
        else if (strcmp(o->keyword, "dbname") == 0)
            dbname = o->val;
    }
    display = xasprintf("%s:%s/%s", host ? host : "localhost",
                        port ? port : "5432", dbname ? dbname : "");
    PQconninfoFree(options);
    return display;
}

/* A libpq URI, or a keyword string such as "host=... dbname=...". */
static bool is_postgres_target(const char *target)
{
    for (size_t i = 0; i < ARRAY_SIZE(postgres_prefixes); i++)
        if (strncasecmp(target, postgres_prefixes[i],
                        strlen(postgres_prefixes[i])) == 0)
            return true;
    return strncmp(target, "host=", 5) == 0 ||
           strncmp(target, "dbname=", 7) == 0 ||
           strncmp(target, "service=", 8) == 0;
}

bool store_target_is_file(const char *target)
{
    return !is_postgres_target(target);
}

char *store_target_display(const char *target)
{
    if (is_postgres_target(target))
        return postgres_display(target);
    return xstrdup(target);
}

static int open_postgres(struct store **out, const char *target,
                         struct err *err)
{
    const char *key_file = getenv(STORE_KEY_FILE_ENV);
    char *display = postgres_display(target);
    char *parse_error = NULL;
    PQconninfoOption *options = PQconninfoParse(target, &parse_error);
    int rc;

    /* libpq's parse message quotes no password, but may quote the
     * target: say only that it is malformed. */
    if (!options) {
        PQfreemem(parse_error);
        free(display);
        return err_set(err, SYNC_EINVALID,
                       "store target is not a valid PostgreSQL connection "
                       "URI or keyword string; write it as "
                       "postgresql://user@host:port/dbname");
    }
    PQconninfoFree(options);
    rc = store_pg__open(out, target, display, err);
    free(display);
    if (rc < 0)
        return rc;
    /* The database cannot hold the key of its own credentials: it comes
     * from SFSYNC_SECRET_KEY or a key file named by the environment. */
    (*out)->key_path = key_file && *key_file ? xstrdup(key_file) : NULL;
    return 0;
}

int store_open(struct store **out, const char *target, struct err *err)
{
    const char *path = target;
    struct store *s = NULL;
    int rc;

    *out = NULL;
    if (!target || !*target)
        return err_set(err, SYNC_EINVALID,
                       "store target is empty; give a database file path");
    if (is_postgres_target(target))
        return open_postgres(out, target, err);
    if (strncmp(path, "sqlite:", 7) == 0)
        path += 7;
    if (!*path)
        return err_set(err, SYNC_EINVALID,
                       "store target '%s' has no file path", target);
    if ((rc = store_sqlite__open(&s, path, err)) < 0)
        return rc;
    s->key_path = xasprintf("%s.key", path);
    *out = s;
    return 0;
}

void store_close(struct store *s)
{
    if (!s)
        return;
    secret_key_wipe(&s->key);
    free(s->key_path);
    free(s->run_worker);
    store__locks_drop_all(s);
    s->ops->close(s);
}

const char *store_backend_name(const struct store *s)
{
    return s->ops->name;
}

int store_begin(struct store *s, struct err *err)
{
    return s->ops->begin(s, err);
}

int store_commit(struct store *s, struct err *err)
{
    return s->ops->commit(s, err);
}

int store_rollback(struct store *s, struct err *err)
{
    return s->ops->rollback(s, err);
}

static int check_name(const char *what, const char *value, struct err *err)
{
    if (!value || !*value)
        return err_set(err, SYNC_EINVALID, "%s is empty", what);
    return 0;
}

int store_workspace_get_or_create(struct store *s, const char *name,
                                  struct store_workspace *out,
                                  struct err *err)
{
    int rc;

    if ((rc = check_name("workspace name", name, err)) < 0)
        return rc;
    return s->ops->workspace_get(s, name, true, out, err);
}

int store_workspace_get(struct store *s, const char *name,
                        struct store_workspace *out, struct err *err)
{
    int rc;

    if ((rc = check_name("workspace name", name, err)) < 0)
        return rc;
    return s->ops->workspace_get(s, name, false, out, err);
}

int store_workspace_get_by_id(struct store *s, int64_t workspace_id,
                              struct store_workspace *out, struct err *err)
{
    return s->ops->workspace_get_by_id(s, workspace_id, out, err);
}

int store_workspace_set_region(struct store *s, int64_t workspace_id,
                               const char *region, struct err *err)
{
    char code[PHONE_REGION_SIZE];

    if (!phone_region_supported(region))
        return err_set(err, SYNC_EINVALID,
                       "unknown phone region '%s'; use an ISO 3166 two-letter "
                       "code such as 'US' or 'GB'",
                       region ? region : "");
    code[0] = (char)toupper((unsigned char)region[0]);
    code[1] = (char)toupper((unsigned char)region[1]);
    code[2] = '\0';
    return s->ops->workspace_set_region(s, workspace_id, code, err);
}

void store_workspace_release(struct store_workspace *w)
{
    free(w->name);
    memset(w, 0, sizeof(*w));
}

int store_setting_get(struct store *s, int64_t workspace_id, const char *key,
                      char **out_value, struct err *err)
{
    int rc;

    *out_value = NULL;
    if ((rc = check_name("setting key", key, err)) < 0)
        return rc;
    return s->ops->setting_get(s, workspace_id, key, out_value, err);
}

int store_setting_set(struct store *s, int64_t workspace_id, const char *key,
                      const char *value, struct err *err)
{
    int rc;

    if ((rc = check_name("setting key", key, err)) < 0)
        return rc;
    if (!value)
        return err_set(err, SYNC_EINVALID,
                       "setting '%s' has no value; delete it instead", key);
    return s->ops->setting_set(s, workspace_id, key, value, err);
}

int store_setting_delete(struct store *s, int64_t workspace_id,
                         const char *key, struct err *err)
{
    int rc;

    if ((rc = check_name("setting key", key, err)) < 0)
        return rc;
    return s->ops->setting_set(s, workspace_id, key, NULL, err);
}

int store_setting_list(struct store *s, int64_t workspace_id,
                       struct store_setting **out, size_t *out_count,
                       struct err *err)
{
    *out = NULL;
    *out_count = 0;
    return s->ops->setting_list(s, workspace_id, out, out_count, err);
}

void store_settings_free(struct store_setting *settings, size_t count)
{
    if (!settings)
        return;
    for (size_t i = 0; i < count; i++) {
        free(settings[i].key);
        free(settings[i].value);
    }
    free(settings);
}

/* Normalise and validate c with its workspace's region. */
static int prepare_contact(struct store *s, struct contact *c,
                           struct err *err)
{
    struct store_workspace ws = {0};
    int rc;

    if ((rc = s->ops->workspace_get_by_id(s, c->workspace_id, &ws, err)) < 0)
        return rc;
    rc = contact_prepare(c, ws.default_region, err);
    store_workspace_release(&ws);
    return rc;
}

/*
 * The digits of each phone, E.164 form first, separated by spaces, so that
 * a search for "415 555" finds "+1 (415) 555-2671" whichever way it was
 * written.
 */
static char *search_digits(const struct contact *c)
{
    struct buf out;

    buf_init(&out, 0);
    for (int f = 0; f < CONTACT_FIELD_COUNT; f++) {
        const struct contact_value *v = &c->values[f];
        const char *sources[2] = {v->e164, v->text};

        if (contact_fields[f].type != CONTACT_TYPE_PHONE)
            continue;
        for (size_t i = 0; i < ARRAY_SIZE(sources); i++) {
            if (!sources[i])
                continue;
            if (out.len > 0)
                buf_putc(&out, ' ');
            for (const char *p = sources[i]; *p; p++)
                if (*p >= '0' && *p <= '9')
                    buf_putc(&out, *p);
        }
    }
    return buf_detach(&out);
}

int store_contact_insert(struct store *s, struct contact *c,
                         enum store_origin origin, struct err *err)
{
    char *digits;
    int rc;

    if ((rc = prepare_contact(s, c, err)) < 0)
        return rc;
    digits = search_digits(c);
    rc = s->ops->contact_insert(s, c, digits, origin, err);
    free(digits);
    return rc;
}

int store_contact_update(struct store *s, struct contact *c,
                         enum store_origin origin, struct err *err)
{
    char *digits;
    int rc;

    if (c->id <= 0)
        return err_set(err, SYNC_EINVALID,
                       "contact has no id; insert it instead");
    if ((rc = prepare_contact(s, c, err)) < 0)
        return rc;
    digits = search_digits(c);
    rc = s->ops->contact_update(s, c, digits, origin, err);
    free(digits);
    return rc;
}

int store_contact_get(struct store *s, int64_t workspace_id, int64_t id,
                      struct contact *out, struct err *err)
{
    return s->ops->contact_get(s, workspace_id, id, out, err);
}

/* Escape LIKE's wildcards and wrap the term in %...%. */
static char *like_pattern(const char *term)
{
    struct buf out;

    buf_init(&out, 0);
    buf_putc(&out, '%');
    for (const char *p = term; *p; p++) {
        if (*p == '%' || *p == '_' || *p == '\\')
            buf_putc(&out, '\\');
        buf_putc(&out, *p);
    }
    buf_putc(&out, '%');
    return buf_detach(&out);
}

/* The digits of a search made only of phone characters, or NULL. */
static char *phone_search_digits(const char *term)
{
    struct buf out;

    buf_init(&out, 0);
    for (const char *p = term; *p; p++) {
        if (*p >= '0' && *p <= '9') {
            buf_putc(&out, *p);
        } else if (!strchr(" +-().", *p)) {
            buf_release(&out);
            return NULL;
        }
    }
    if (out.len < SEARCH_DIGITS_MIN) {
        buf_release(&out);
        return NULL;
    }
    return buf_detach(&out);
}

int store_contact_list(struct store *s, int64_t workspace_id,
                       const struct store_contact_query *q,
                       struct store_contact_list *out, struct err *err)
{
    struct store__search search = {0};
    char *like = NULL, *folded_like = NULL, *digits = NULL;
    int rc;

    memset(out, 0, sizeof(*out));
    if (q && q->search && *q->search) {
        char *folded = NULL;

        if (utf8_has_non_ascii(q->search))
            folded = utf8_fold_case(q->search, strlen(q->search));
        if (folded)
            folded_like = like_pattern(folded);
        free(folded);
        like = like_pattern(q->search);
        digits = phone_search_digits(q->search);
    }
    search.like = like;
    search.folded_like = folded_like;
    search.digits = digits;
    search.include_archived = q && q->include_archived;
    search.limit = q && q->limit ? q->limit : STORE_LIST_DEFAULT;
    if (search.limit > STORE_LIST_MAX)
        search.limit = STORE_LIST_MAX;
    search.offset = q ? q->offset : 0;
    rc = s->ops->contact_list(s, workspace_id, &search, out, err);
    free(like);
    free(folded_like);
    free(digits);
    return rc;
}

void store_contact_list_release(struct store_contact_list *list)
{
    for (size_t i = 0; i < list->count; i++)
        contact_release(&list->items[i]);
    free(list->items);
    memset(list, 0, sizeof(*list));
}

static bool same_text(const char *a, const char *b)
{
    return (!a || !b) ? a == b : strcmp(a, b) == 0;
}

/* Whether the E.164 forms or validity flags of a and b differ. */
static bool phones_differ(const struct contact *a, const struct contact *b)
{
    for (int f = 0; f < CONTACT_FIELD_COUNT; f++) {
        if (contact_fields[f].type != CONTACT_TYPE_PHONE)
            continue;
        if (!same_text(a->values[f].e164, b->values[f].e164) ||
            a->values[f].valid != b->values[f].valid)
            return true;
    }
    return false;
}

/* Whether a phone of before that libphonenumber knew as valid is not
 * valid in after. */
static bool phone_invalidated(const struct contact *before,
                              const struct contact *after)
{
    for (int f = 0; f < CONTACT_FIELD_COUNT; f++)
        if (contact_fields[f].type == CONTACT_TYPE_PHONE &&
            before->values[f].valid && !after->values[f].valid)
            return true;
    return false;
}

/* Normalise the phones of c again with region and write them when their
 * forms change; *changed is incremented then, and *invalidated too when a
 * valid phone became invalid. */
static int renormalize_contact(struct store *s, const struct contact *c,
                               const char *region, int64_t *changed,
                               int64_t *invalidated, struct err *err)
{
    struct contact next;
    char *digits = NULL;
    int rc;

    contact_init(&next);
    contact_copy(&next, c);
    if ((rc = contact_normalize_phones(&next, region, err)) < 0 ||
        !phones_differ(c, &next))
        goto out;
    digits = search_digits(&next);
    if ((rc = s->ops->contact_set_phones(s, &next, digits, err)) < 0)
        goto out;
    (*changed)++;
    if (phone_invalidated(c, &next))
        (*invalidated)++;
out:
    free(digits);
    contact_release(&next);
    return rc;
}

int store_contact_renormalize_phones(struct store *s, int64_t workspace_id,
                                     const char *region, int64_t *out_changed,
                                     int64_t *out_invalidated,
                                     struct err *err)
{
    struct store_contact_query q = {NULL, true, STORE_LIST_MAX, 0};
    struct store_contact_list page = {0};
    int64_t changed = 0, invalidated = 0;
    int rc;

    *out_changed = 0;
    if (out_invalidated)
        *out_invalidated = 0;
    if (!phone_region_supported(region))
        return err_set(err, SYNC_EINVALID,
                       "unknown phone region '%s'; use an ISO 3166 two-letter "
                       "code such as 'US' or 'GB'",
                       region ? region : "");
    /* Offsets stay right while writing, since the pages are in id order
     * and only phone columns change. */
    for (;;) {
        size_t n;

        if ((rc = store_contact_list(s, workspace_id, &q, &page, err)) < 0)
            break;
        for (size_t i = 0; i < page.count && rc == 0; i++)
            rc = renormalize_contact(s, &page.items[i], region, &changed,
                                     &invalidated, err);
        n = page.count;
        store_contact_list_release(&page);
        if (rc < 0 || n < q.limit)
            break;
        q.offset += n;
    }
    *out_changed = changed;
    if (out_invalidated)
        *out_invalidated = invalidated;
    return rc;
}

int store_contact_find_unlinked_by_phone(struct store *s,
                                         int64_t workspace_id,
                                         const char *e164, int64_t *ids,
                                         size_t max, size_t *out_count,
                                         struct err *err)
{
    *out_count = 0;
    if (!e164 || e164[0] != '+')
        return err_set(err, SYNC_EINVALID,
                       "phone '%s' is not in E.164 form; normalise it first",
                       e164 ? e164 : "");
    return s->ops->contact_find_unlinked(s, workspace_id, STORE_MATCH_PHONE,
                                         e164, ids, max, out_count, err);
}

int store_contact_unlinked_after(struct store *s, int64_t workspace_id,
                                 int64_t after_id, bool *out_any,
                                 int64_t *out_max_id, struct err *err)
{
    *out_any = false;
    *out_max_id = 0;
    return s->ops->contact_unlinked_after(s, workspace_id, after_id, out_any,
                                          out_max_id, err);
}

int store_contact_indexes_drop_if_empty(struct store *s, bool *out_dropped,
                                        struct err *err)
{
    *out_dropped = false;
    if (!s->ops->contact_indexes_drop_if_empty)
        return 0;
    return s->ops->contact_indexes_drop_if_empty(s, out_dropped, err);
}

int store_contact_indexes_build(struct store *s, struct err *err)
{
    if (!s->ops->contact_indexes_build)
        return 0;
    return s->ops->contact_indexes_build(s, err);
}

int store_contact_find_unlinked_by_email(struct store *s,
                                         int64_t workspace_id,
                                         const char *email, int64_t *ids,
                                         size_t max, size_t *out_count,
                                         struct err *err)
{
    int rc;

    *out_count = 0;
    if ((rc = check_name("email", email, err)) < 0)
        return rc;
    return s->ops->contact_find_unlinked(s, workspace_id, STORE_MATCH_EMAIL,
                                         email, ids, max, out_count, err);
}

int store_contact_find_by_phone(struct store *s, int64_t workspace_id,
                                const char *e164, const char *email,
                                int64_t *ids, size_t max, size_t *out_count,
                                struct err *err)
{
    *out_count = 0;
    if (!e164 || e164[0] != '+')
        return err_set(err, SYNC_EINVALID,
                       "phone '%s' is not in E.164 form; normalise it first",
                       e164 ? e164 : "");
    return s->ops->contact_find(s, workspace_id, STORE_MATCH_PHONE, e164,
                                email, ids, max, out_count, err);
}

int store_contact_find_by_email(struct store *s, int64_t workspace_id,
                                const char *email, int64_t *ids, size_t max,
                                size_t *out_count, struct err *err)
{
    int rc;

    *out_count = 0;
    if ((rc = check_name("email", email, err)) < 0)
        return rc;
    return s->ops->contact_find(s, workspace_id, STORE_MATCH_EMAIL, email,
                                NULL, ids, max, out_count, err);
}

int store_contact_find_archived_by_phone(struct store *s, int64_t workspace_id,
                                         const char *e164, const char *email,
                                         int64_t *ids, size_t max,
                                         size_t *out_count, struct err *err)
{
    *out_count = 0;
    if (!e164 || e164[0] != '+')
        return err_set(err, SYNC_EINVALID,
                       "phone '%s' is not in E.164 form; normalise it first",
                       e164 ? e164 : "");
    return s->ops->contact_find(s, workspace_id, STORE_MATCH_ARCHIVED_PHONE,
                                e164, email, ids, max, out_count, err);
}

int store_contact_find_archived_by_email(struct store *s, int64_t workspace_id,
                                         const char *email, int64_t *ids,
                                         size_t max, size_t *out_count,
                                         struct err *err)
{
    int rc;

    *out_count = 0;
    if ((rc = check_name("email", email, err)) < 0)
        return rc;
    return s->ops->contact_find(s, workspace_id, STORE_MATCH_ARCHIVED_EMAIL,
                                email, NULL, ids, max, out_count, err);
}

void store_link_init(struct store_link *link)
{
    memset(link, 0, sizeof(*link));
}

void store_link_release(struct store_link *link)
{
    json_decref(link->base);
    store_link_init(link);
}

int store_link_get(struct store *s, int64_t workspace_id, int64_t contact_id,
                   struct store_link *out, struct err *err)
{
    store_link_release(out);
    return s->ops->link_get(s, workspace_id, contact_id, out, err);
}

static int canonical_id(const char *sf_id, char out[SFID_SIZE],
                        struct err *err)
{
    if (sfid_to18(sf_id, out) < 0)
        return err_set(err, SYNC_EINVALID,
                       "'%.20s' is not a Salesforce record id (15 or 18 "
                       "letters and digits)",
                       sf_id ? sf_id : "");
    return 0;
}

int store_link_find(struct store *s, int64_t workspace_id, const char *sf_id,
                    struct store_link *out, struct err *err)
{
    char id18[SFID_SIZE];
    int rc;

    store_link_release(out);
    if ((rc = canonical_id(sf_id, id18, err)) < 0)
        return rc;
    return s->ops->link_find(s, workspace_id, id18, out, err);
}

/* Longest base that encode_base writes itself; a bigger object goes
 * through json_dumps. */
#define BASE_KEYS_MAX 64

/* Append s[0..len) to b as a JSON string the way json_dumps writes it
 * without flags: quotes, backslashes and control characters escaped,
 * other characters as they are. false when s is not UTF-8. */
static bool encode_base_string(struct buf *b, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t start = 0, i = 0;
    char seq[8];

    buf_putc(b, '"');
    while (i < len) {
        unsigned char ch = p[i];
        const char *esc = NULL;
        uint32_t cp;
        size_t n;

        if (ch >= 0x80) {
            if (!(n = unicode_utf8_decode(p + i, len - i, &cp)))
                return false;
            i += n;
            continue;
        }
        if (ch == '"')
            esc = "\\\"";
        else if (ch == '\\')
            esc = "\\\\";
        else if (ch == '\b')
            esc = "\\b";
        else if (ch == '\f')
            esc = "\\f";
        else if (ch == '\n')
            esc = "\\n";
        else if (ch == '\r')
            esc = "\\r";
        else if (ch == '\t')
            esc = "\\t";
        else if (ch < 0x20) {
            snprintf(seq, sizeof(seq), "\\u%04X", (unsigned)ch);
            esc = seq;
        }
        if (esc) {
            buf_append(b, s + start, i - start);
            buf_puts(b, esc);
            start = i + 1;
        }
        i++;
    }
    buf_append(b, s + start, len - start);
    buf_putc(b, '"');
    return true;
}

static int compare_key(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * Encode a link base as json_dumps does with JSON_COMPACT and
 * JSON_SORT_KEYS, byte for byte, so that stored bases keep one text form.
 * A base of strings, booleans and nulls (all that contact_fields_to_json
 * writes) is encoded here in about a third of json_dumps' instructions
 * (jansson 2.14, measured with callgrind); any other base goes through
 * json_dumps. Return NULL when base cannot be encoded.
 */
static char *encode_base(const json_t *base)
{
    const char *keys[BASE_KEYS_MAX];
    size_t n = 0;
    const char *key;
    json_t *value;
    struct buf b;

    if (json_object_size(base) > BASE_KEYS_MAX)
        return json_dumps(base, JSON_COMPACT | JSON_SORT_KEYS);
    json_object_foreach((json_t *)base, key, value)
    {
        if (!json_is_string(value) && !json_is_boolean(value) &&
            !json_is_null(value))
            return json_dumps(base, JSON_COMPACT | JSON_SORT_KEYS);
        keys[n++] = key;
    }
    qsort(keys, n, sizeof(*keys), compare_key);
    buf_init(&b, 0);
    buf_putc(&b, '{');
    for (size_t i = 0; i < n; i++) {
        value = json_object_get(base, keys[i]);
        if (i)
            buf_putc(&b, ',');
        if (!encode_base_string(&b, keys[i], strlen(keys[i])))
            goto fail;
        buf_putc(&b, ':');
        if (json_is_string(value)) {
            if (!encode_base_string(&b, json_string_value(value),
                                    json_string_length(value)))
                goto fail;
        } else {
            buf_puts(&b, json_is_true(value)    ? "true"
                         : json_is_false(value) ? "false"
                                                : "null");
        }
    }
    buf_putc(&b, '}');
    return buf_detach(&b);
fail:
    buf_release(&b);
    return NULL;
}

int store_link_upsert(struct store *s, const struct store_link *link,
                      struct err *err)
{
    static const char *const key_prefixes[SF_OBJECT_COUNT] = {
        [SF_OBJECT_CONTACT] = "003",
        [SF_OBJECT_LEAD] = "00Q",
    };
    struct store_link canonical = *link;
    char *base_json;
    int rc;

    if (link->object < 0 || link->object >= SF_OBJECT_COUNT)
        return err_set(err, SYNC_EINVALID, "link has no Salesforce object");
    if ((rc = canonical_id(link->sf_id, canonical.sf_id, err)) < 0)
        return rc;
    if (strncmp(canonical.sf_id, key_prefixes[link->object], 3) != 0)
        return err_set(err, SYNC_EINVALID,
                       "'%s' is not a %s id: %s ids start with '%s'",
                       canonical.sf_id, mapping_object_name(link->object),
                       mapping_object_name(link->object),
                       key_prefixes[link->object]);
    if (link->base && !json_is_object(link->base))
        return err_set(err, SYNC_EINVALID,
                       "link base of contact %lld is not a JSON object",
                       (long long)link->contact_id);
    base_json = link->base ? encode_base(link->base) : xstrdup("{}");
    if (!base_json)
        return err_set(err, SYNC_EINVALID,
                       "link base of contact %lld cannot be encoded",
                       (long long)link->contact_id);
    rc = s->ops->link_upsert(s, &canonical, base_json, err);
    free(base_json);
    return rc;
}

int store_link_delete(struct store *s, int64_t workspace_id,
                      int64_t contact_id, struct err *err)
{
    return s->ops->link_delete(s, workspace_id, contact_id, err);
}

int store_cursor_get(struct store *s, int64_t workspace_id,
                     enum sf_object object, struct store_cursor *out,
                     struct err *err)
{
    memset(out, 0, sizeof(*out));
    return s->ops->cursor_get(s, workspace_id, object, out, err);
}

int store_cursor_set(struct store *s, int64_t workspace_id,
                     enum sf_object object, const struct store_cursor *cursor,
                     struct err *err)
{
    struct store_cursor canonical = *cursor;
    int rc;

    if (cursor->last_id[0] &&
        (rc = canonical_id(cursor->last_id, canonical.last_id, err)) < 0)
        return rc;
    return s->ops->cursor_set(s, workspace_id, object, &canonical, err);
}

int store_run_begin(struct store *s, int64_t workspace_id, const char *kind,
                    int object, int64_t *out_id, struct err *err)
{
    int rc;

    *out_id = 0;
    if ((rc = check_name("run kind", kind, err)) < 0)
        return rc;
    /* A run that a killed process left "running" would otherwise stay so
     * for ever; a failure here leaves it for the next run to mark. */
    store_run_abandon_dead(s, workspace_id, NULL, NULL);
    rc = s->ops->run_begin(s, workspace_id, kind, object, out_id, err);
    if (rc == 0 && s->run_worker && s->ops->run_set_worker)
        rc = s->ops->run_set_worker(s, workspace_id, *out_id, s->run_worker,
                                    err);
    return rc;
}

int store_run_finish(struct store *s, int64_t workspace_id, int64_t run_id,
                     const char *status, const struct store_run_counts *counts,
                     const char *message, const char *error_code,
                     struct err *err)
{
    static const struct store_run_counts zero;
    int rc;

    if ((rc = check_name("run status", status, err)) < 0)
        return rc;
    if (error_code && (rc = check_name("run error code", error_code, err)) < 0)
        return rc;
    return s->ops->run_finish(s, workspace_id, run_id, status,
                              counts ? counts : &zero, message, error_code,
                              err);
}

int store_run_progress(struct store *s, int64_t workspace_id, int64_t run_id,
                       const char *api, int64_t expected,
                       const struct store_run_counts *counts, struct err *err)
{
    static const struct store_run_counts zero;

    if (api && strcmp(api, "rest") != 0 && strcmp(api, "bulk") != 0)
        return err_set(err, SYNC_EINVALID,
                       "invalid run api '%s': use rest or bulk", api);
    return s->ops->run_progress(s, workspace_id, run_id, api, expected,
                                counts ? counts : &zero, err);
}

int store_run_get(struct store *s, int64_t workspace_id, int64_t run_id,
                  struct store_run *out, struct err *err)
{
    memset(out, 0, sizeof(*out));
    return s->ops->run_get(s, workspace_id, run_id, out, err);
}

int store_run_list(struct store *s, int64_t workspace_id, size_t limit,
                   struct store_run **out, size_t *out_count,
                   struct err *err)
{
    *out = NULL;
    *out_count = 0;
    return s->ops->run_list(s, workspace_id, limit, out, out_count, err);
}

int store_run_list_page(struct store *s, int64_t workspace_id,
                        const char *kind, size_t offset, size_t limit,
                        struct store_run **out, size_t *out_count,
                        struct err *err)
{
    *out = NULL;
    *out_count = 0;
    return s->ops->run_list_page(s, workspace_id, kind, offset, limit, out,
                                 out_count, err);
}

int store_run_delete(struct store *s, int64_t workspace_id, int64_t run_id,
                     struct err *err)
{
    size_t count;

    if (run_id <= 0)
        return 0;
    return s->ops->run_delete(s, workspace_id, run_id, 0, &count, err);
}

int store_run_prune(struct store *s, int64_t workspace_id, int64_t before_ms,
                    size_t *out_count, struct err *err)
{
    size_t count = 0;
    int rc = s->ops->run_delete(s, workspace_id, 0, before_ms, &count, err);

    if (out_count)
        *out_count = count;
    return rc;
}

void store_run_release(struct store_run *run)
{
    free(run->kind);
    free(run->status);
    free(run->message);
    free(run->api);
    free(run->error_code);
    memset(run, 0, sizeof(*run));
}

void store_runs_free(struct store_run *runs, size_t count)
{
    if (!runs)
        return;
    for (size_t i = 0; i < count; i++)
        store_run_release(&runs[i]);
    free(runs);
}

int store_sync_error_add(struct store *s, const struct store_sync_error *e,
                         struct err *err)
{
    struct store_sync_error canonical = *e;
    int rc;

    if ((rc = check_name("sync error code", e->code, err)) < 0)
        return rc;
    if (e->sf_id[0] && (rc = canonical_id(e->sf_id, canonical.sf_id, err)) < 0)
        return rc;
    if (!canonical.message)
        canonical.message = "";
    return s->ops->sync_error_add(s, &canonical, err);
}

int store_sync_error_list(struct store *s, int64_t workspace_id,
                          int64_t contact_id, size_t limit,
                          struct store_sync_error **out, size_t *out_count,
                          struct err *err)
{
    *out = NULL;
    *out_count = 0;
    return s->ops->sync_error_list(s, workspace_id, contact_id, limit, out,
                                   out_count, err);
}

int store_sync_error_clear(struct store *s, int64_t workspace_id,
                           int64_t contact_id, struct err *err)
{
    return s->ops->sync_error_clear(s, workspace_id, contact_id, err);
}

void store_sync_errors_free(struct store_sync_error *errors, size_t count)
{
    if (!errors)
        return;
    for (size_t i = 0; i < count; i++) {
        free(errors[i].code);
        free(errors[i].message);
    }
    free(errors);
}

int store_sync_error_clear_record(struct store *s, int64_t workspace_id,
                                  const char *sf_id, struct err *err)
{
    char id18[SFID_SIZE];
    int rc;

    if ((rc = canonical_id(sf_id, id18, err)) < 0)
        return rc;
    return s->ops->sync_error_clear_record(s, workspace_id, id18, err);
}

int store_sync_error_retry(struct store *s, int64_t workspace_id, int64_t id,
                           struct store_sync_error *out, struct err *err)
{
    struct store_sync_error row;
    int rc;

    memset(&row, 0, sizeof(row));
    if (id <= 0)
        return err_set(err, SYNC_ENOTFOUND, "sync error %" PRId64 " not found",
                       id);
    rc = s->ops->sync_error_retry(s, workspace_id, id, &row, err);
    if (rc == 0 && out) {
        *out = row;
        return 0;
    }
    free(row.code);
    free(row.message);
    return rc;
}

int store_sync_error_retry_all(struct store *s, int64_t workspace_id,
                               int64_t *out_count, struct err *err)
{
    int64_t count = 0;
    int rc = s->ops->sync_error_retry_all(s, workspace_id, &count, err);

    if (out_count)
        *out_count = rc == 0 ? count : 0;
    return rc;
}

int store_sync_error_retry_except(struct store *s, int64_t workspace_id,
                                  const char *const *codes, size_t count,
                                  int64_t *out_retried, int64_t *out_skipped,
                                  struct err *err)
{
    int64_t retried = 0, skipped = 0;
    struct buf list;
    int rc = 0;

    buf_init(&list, 0);
    for (size_t i = 0; i < count && rc == 0; i++) {
        if (!codes[i][0] || strchr(codes[i], ','))
            rc = err_set(err, SYNC_EINVALID,
                         "sync error code '%s' is empty or has a comma",
                         codes[i]);
        else
            buf_printf(&list, "%s%s", i ? "," : "", codes[i]);
    }
    if (rc == 0)
        rc = s->ops->sync_error_retry_except(s, workspace_id,
                                             list.data ? list.data : "",
                                             &retried, &skipped, err);
    buf_release(&list);
    if (out_retried)
        *out_retried = rc == 0 ? retried : 0;
    if (out_skipped)
        *out_skipped = rc == 0 ? skipped : 0;
    return rc;
}

int store_sync_error_list_records(struct store *s, int64_t workspace_id,
                                  size_t limit,
                                  struct store_sync_error **out,
                                  size_t *out_count, struct err *err)
{
    *out = NULL;
    *out_count = 0;
    return s->ops->sync_error_list_records(s, workspace_id, limit, out,
                                           out_count, err);
}

int store_outbox_pending(struct store *s, int64_t workspace_id, size_t limit,
                         struct store_outbox_entry **out, size_t *out_count,
                         struct err *err)
{
    return store_outbox_pending_after(s, workspace_id, 0, limit, out,
                                      out_count, err);
}

int store_outbox_requeue(struct store *s, int64_t workspace_id,
                         int64_t contact_id, struct err *err)
{
    return s->ops->outbox_requeue(s, workspace_id, contact_id, err);
}

int store_outbox_pending_after(struct store *s, int64_t workspace_id,
                               int64_t after_id, size_t limit,
                               struct store_outbox_entry **out,
                               size_t *out_count, struct err *err)
{
    *out = NULL;
    *out_count = 0;
    return s->ops->outbox_pending(s, workspace_id, after_id, limit, out,
                                  out_count, err);
}

int store_conflict_add(struct store *s, const struct store_conflict *c,
                       struct err *err)
{
    struct store_conflict canonical = *c;
    int rc;

    if ((rc = check_name("conflict field", c->field, err)) < 0 ||
        (rc = check_name("conflict winner", c->winner, err)) < 0 ||
        (rc = check_name("conflict policy", c->policy, err)) < 0)
        return rc;
    if (c->sf_id[0] && (rc = canonical_id(c->sf_id, canonical.sf_id, err)) < 0)
        return rc;
    return s->ops->conflict_add(s, &canonical, err);
}

int store_conflict_list(struct store *s, int64_t workspace_id,
                        int64_t run_id, size_t limit,
                        struct store_conflict **out, size_t *out_count,
                        struct err *err)
{
    *out = NULL;
    *out_count = 0;
    return s->ops->conflict_list(s, workspace_id, run_id, limit, out,
                                 out_count, err);
}

void store_conflicts_free(struct store_conflict *conflicts, size_t count)
{
    if (!conflicts)
        return;
    for (size_t i = 0; i < count; i++) {
        free(conflicts[i].field);
        free(conflicts[i].local_value);
        free(conflicts[i].remote_value);
        free(conflicts[i].winner);
        free(conflicts[i].policy);
    }
    free(conflicts);
}

int store_intent_put(struct store *s, struct store_intent *intent,
                     struct err *err)
{
    struct store_intent canonical = *intent;
    int rc;

    if (intent->object < 0 || intent->object >= SF_OBJECT_COUNT)
        return err_set(err, SYNC_EINVALID,
                       "create intent has no Salesforce object");
    if ((rc = canonical_id(intent->user_id, canonical.user_id, err)) < 0)
        return rc;
    if ((rc = s->ops->intent_put(s, &canonical, err)) < 0)
        return rc;
    intent->created_ms = canonical.created_ms;
    return 0;
}

int store_intent_get(struct store *s, int64_t workspace_id,
                     int64_t contact_id, struct store_intent *out,
                     struct err *err)
{
    memset(out, 0, sizeof(*out));
    return s->ops->intent_get(s, workspace_id, contact_id, out, err);
}

int store_intent_delete(struct store *s, int64_t workspace_id,
                        int64_t contact_id, struct err *err)
{
    return s->ops->intent_delete(s, workspace_id, contact_id, err);
}

int store_intent_list(struct store *s, int64_t workspace_id,
                      enum sf_object object, struct store_intent **out,
                      size_t *out_count, struct err *err)
{
    *out = NULL;
    *out_count = 0;
    return s->ops->intent_list(s, workspace_id, object, out, out_count, err);
}

int store_tombstone_put(struct store *s, struct store_tombstone *t,
                        struct err *err)
{
    struct store_tombstone canonical = *t;
    int rc;

    if (t->object < 0 || t->object >= SF_OBJECT_COUNT)
        return err_set(err, SYNC_EINVALID,
                       "tombstone has no Salesforce object");
    if ((rc = canonical_id(t->sf_id, canonical.sf_id, err)) < 0)
        return rc;
    if ((rc = s->ops->tombstone_put(s, &canonical, err)) < 0)
        return rc;
    t->created_ms = canonical.created_ms;
    return 0;
}

int store_tombstone_get(struct store *s, int64_t workspace_id,
                        int64_t contact_id, struct store_tombstone *out,
                        struct err *err)
{
    memset(out, 0, sizeof(*out));
    return s->ops->tombstone_get(s, workspace_id, contact_id, out, err);
}

int store_tombstone_delete(struct store *s, int64_t workspace_id,
                           int64_t contact_id, struct err *err)
{
    return s->ops->tombstone_delete(s, workspace_id, contact_id, err);
}

int store_outbox_ack(struct store *s, int64_t workspace_id,
                     int64_t contact_id, int64_t version, struct err *err)
{
    return s->ops->outbox_ack(s, workspace_id, contact_id, version, err);
}

/* Fill err for a missing key file of a store that contains credentials. */
static int key_file_missing(struct store *s, struct err *err)
{
    if (strcmp(s->ops->name, "sqlite") == 0)
        return err_set(err, SYNC_EINVALID,
                       "key file '%s' does not exist, but the store holds "
                       "credentials encrypted with its key, so no new key "
                       "is made: restore the file, or set %s to the key",
                       s->key_path, SECRET_KEY_ENV);
    return err_set(err, SYNC_EINVALID,
                   "key file '%s' does not exist, but the store holds "
                   "credentials encrypted with a key, so no new key is "
                   "made: set %s to the path of the existing key file, or "
                   "%s to the key",
                   s->key_path, SECRET_KEY_FILE_ENV, SECRET_KEY_ENV);
}

/*
 * Load the key on first use, so that opening a store for reading contacts
 * never creates a key file. A missing key file is created only for a store
 * without credentials, because a new key cannot decrypt stored ones (a
 * mistyped SFSYNC_SECRET_KEY_FILE would otherwise make a new key).
 */
static int ensure_key(struct store *s, struct err *err)
{
    bool any = false;
    int rc;

    if (s->key_loaded)
        return 0;
    rc = secret_key_load(&s->key, s->key_path, false, err);
    if (rc == SYNC_ENOTFOUND) {
        if ((rc = s->ops->credential_any(s, &any, err)) < 0)
            return rc;
        if (any)
            return key_file_missing(s, err);
        rc = secret_key_load(&s->key, s->key_path, true, err);
    }
    if (rc < 0)
        return rc;
    s->key_loaded = true;
    return 0;
}

int store__ensure_key(struct store *s, struct err *err)
{
    return ensure_key(s, err);
}

/*
 * Check that the loaded key decrypts the oldest stored credential of any
 * workspace. Credentials stored under another key would fail in every
 * process that has the deployment's key.
 */
static int check_key_matches(struct store *s, struct err *err)
{
    unsigned char nonce[SECRET_NONCE_SIZE];
    unsigned char *cipher = NULL;
    size_t cipher_len = 0, plain_len = 0;
    char *plain = NULL;
    int rc;

    rc = s->ops->credential_oldest(s, &cipher, &cipher_len, nonce, err);
    if (rc == SYNC_ENOTFOUND) {
        rc = 0;
        goto out;
    }
    if (rc < 0)
        goto out;
    if (secret_decrypt(&s->key, cipher, cipher_len, nonce, &plain,
                       &plain_len, NULL) < 0)
        rc = err_set(err, SYNC_EINVALID,
                     "the store's credentials were stored with another "
                     "key: set %s or %s to that key",
                     SECRET_KEY_ENV, SECRET_KEY_FILE_ENV);
out:
    secret_free(plain, plain_len);
    free(cipher);
    return rc;
}

int store_credential_put(struct store *s, int64_t workspace_id,
                         const char *kind, const char *secret,
                         struct err *err)
{
    unsigned char nonce[SECRET_NONCE_SIZE];
    unsigned char *cipher = NULL;
    size_t cipher_len;
    int rc;

    if ((rc = check_name("credential kind", kind, err)) < 0)
        return rc;
    if (!secret)
        return err_set(err, SYNC_EINVALID, "credential '%s' has no value",
                       kind);
    if ((rc = ensure_key(s, err)) < 0)
        return rc;
    if ((rc = check_key_matches(s, err)) < 0)
        return rc;
    rc = secret_encrypt(&s->key, secret, strlen(secret), nonce, &cipher,
                        &cipher_len, err);
    if (rc == 0)
        rc = s->ops->credential_put(s, workspace_id, kind, cipher,
                                    cipher_len, nonce, err);
    free(cipher);
    return rc;
}

int store_credential_get(struct store *s, int64_t workspace_id,
                         const char *kind, char **out_secret,
                         struct err *err)
{
    unsigned char nonce[SECRET_NONCE_SIZE];
    unsigned char *cipher = NULL;
    size_t cipher_len = 0;
    int rc;

    *out_secret = NULL;
    if ((rc = check_name("credential kind", kind, err)) < 0)
        return rc;
    if ((rc = ensure_key(s, err)) < 0)
        return rc;
    rc = s->ops->credential_get(s, workspace_id, kind, &cipher, &cipher_len,
                                nonce, err);
    if (rc == 0)
        rc = secret_decrypt(&s->key, cipher, cipher_len, nonce, out_secret,
                            NULL, err);
    free(cipher);
    return rc;
}

int store_credential_delete(struct store *s, int64_t workspace_id,
                            const char *kind, struct err *err)
{
    int rc;

    if ((rc = check_name("credential kind", kind, err)) < 0)
        return rc;
    return s->ops->credential_delete(s, workspace_id, kind, err);
}
