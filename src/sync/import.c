/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * CSV contact imports: libcsv splits the stream into cells, this file
 * keeps the line numbers, turns rows into contacts through
 * model/contact_csv.c, matches them to stored contacts and writes them
 * with changes_add or changes_update inside one store transaction.
 */
#include "base/common.h"

#include "import.h"

#include <csv.h>
#include <inttypes.h>
#include <stdarg.h>
#include <strings.h>

#include "base/buf.h"
#include "changes.h"
#include "model/contact_csv.h"
#include "model/phone.h"
#include "model/utf8.h"
#include "settings.h"

/* Bytes read from the file per csv_parse call. */
#define CHUNK_SIZE (64 * 1024)

/* Maximum bytes of all the cells of one row together. */
#define ROW_MAX (16 * 1024 * 1024)

/* Growth step of libcsv's cell buffer: its default of 128 bytes would
 * copy a long cell once per 128 bytes. */
#define CELL_BLOCK 4096

/* Contacts a row may match before it is rejected as ambiguous; two show
 * the ambiguity, the rest only shorten the message. */
#define MATCH_MAX 3

static const unsigned char utf8_bom[] = {0xef, 0xbb, 0xbf};

/* The cells of the row being read, back to back in bytes, each followed by
 * a NUL that libcsv does not add. */
struct row {
    struct buf bytes;
    size_t *offsets;
    size_t *lens;
    const char **cells; /* filled by row_cells from offsets */
    size_t stored;      /* cells kept in bytes */
    size_t count;       /* cells seen, kept or not */
    size_t cap;
};

struct import_added {
    int64_t contact_id;
    long long line;
};

struct import_state {
    struct store *store;
    int64_t workspace_id;
    const char *name;
    const struct import_options *opts;
    struct import_result *out;
    struct err *err;
    struct contact_csv_header header;
    bool have_header;
    bool writing; /* rows are being written into the open transaction */
    char region[PHONE_REGION_SIZE]; /* the workspace's default_region */
    int rc;       /* the first fatal error; later callbacks do nothing */
    struct row row;
    long long line;        /* where the row being read starts, from 1 */
    long long breaks;      /* line breaks inside its quoted cells so far */
    bool after_cr;         /* the last row ended with CR, which LF may follow */
    long long blank_first; /* blank lines not yet known to be trailing */
    long long blank_count;
    /* The contacts that earlier rows added, with their lines, because the
     * ids exist only inside the import's transaction. */
    struct import_added *added;
    size_t added_count;
    bool records_kept; /* changes_records_kept, read once per import */
};

void import_result_init(struct import_result *r)
{
    memset(r, 0, sizeof(*r));
}

void import_result_release(struct import_result *r)
{
    for (size_t i = 0; i < r->rejected_count; i++)
        free(r->rejected[i].reason);
    free(r->rejected);
    for (size_t i = 0; i < r->unknown_count; i++)
        free(r->unknown_columns[i]);
    free(r->unknown_columns);
    free(r->kept);
    free(r->updates);
    import_result_init(r);
}

/* Cut s at its first byte that is not valid UTF-8, so that it can go into
 * JSON. */
static void truncate_to_utf8(char *s)
{
    size_t offset;

    if (utf8_count(s, &offset) < 0)
        s[offset] = '\0';
}

static void row_init(struct row *r)
{
    memset(r, 0, sizeof(*r));
    buf_init(&r->bytes, ROW_MAX);
}

static void row_release(struct row *r)
{
    buf_release(&r->bytes);
    free(r->offsets);
    free(r->lens);
    free(r->cells);
}

static void row_reset(struct row *r)
{
    buf_reset(&r->bytes);
    r->stored = 0;
    r->count = 0;
}

/* Point r->cells at the kept cells; valid until the next append. */
static const char *const *row_cells(struct row *r)
{
    for (size_t i = 0; i < r->stored; i++)
        r->cells[i] = r->bytes.data + r->offsets[i];
    return r->cells;
}

static int fail(struct import_state *st, int code, const char *fmt, ...)
    ATTR_PRINTF(3, 4);

/* Record the first fatal error; the parse goes on, doing nothing. */
static int fail(struct import_state *st, int code, const char *fmt, ...)
{
    va_list ap;
    char msg[ERR_MSG_MAX];

    if (st->rc < 0)
        return st->rc;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    st->rc = err_set(st->err, code, "%s", msg);
    return st->rc;
}

/* The maximum number of cells kept. One past the header's count is enough
 * to show that a row is too long, and IMPORT_COLUMNS_MAX + 1 header cells
 * show that the header is. */
static size_t keep_limit(const struct import_state *st)
{
    return st->have_header ? st->header.count + 1 : IMPORT_COLUMNS_MAX + 1;
}

static void row_append(struct import_state *st, const char *data, size_t len)
{
    struct row *r = &st->row;
    size_t offset = r->bytes.len;

    r->count++;
    if (r->stored >= keep_limit(st))
        return;
    if (buf_append(&r->bytes, data, len) < 0 || buf_putc(&r->bytes, '\0') < 0) {
        fail(st, SYNC_EINVALID,
             "the row of '%s' starting at line %lld is longer than %d "
             "bytes; is a closing quote missing?",
             st->name, st->line, ROW_MAX);
        return;
    }
    if (r->stored == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 16;
        r->offsets = xrealloc(r->offsets, r->cap * sizeof(*r->offsets));
        r->lens = xrealloc(r->lens, r->cap * sizeof(*r->lens));
        r->cells = xrealloc(r->cells, r->cap * sizeof(*r->cells));
    }
    r->offsets[r->stored] = offset;
    r->lens[r->stored] = len;
    r->stored++;
}

/* Count the line breaks inside a quoted cell: LF, CRLF and a lone CR each
 * end one line. */
static long long count_breaks(const char *data, size_t len)
{
    long long breaks = 0;

    for (size_t i = 0; i < len; i++) {
        if (data[i] == '\n')
            breaks++;
        else if (data[i] == '\r' && (i + 1 == len || data[i + 1] != '\n'))
            breaks++;
    }
    return breaks;
}

static void reject(struct import_state *st, long long line, const char *reason)
{
    struct import_result *out = st->out;
    struct import_rejection *r;

    out->rejected_total++;
    /* A rejected row without skip_invalid means nothing is imported: stop
     * inserting and roll the transaction back at the end, but read on to
     * report every rejected row. */
    if (!st->opts->skip_invalid)
        st->writing = false;
    if (out->rejected_count >= IMPORT_REJECTIONS_MAX)
        return;
    out->rejected = xrealloc(out->rejected, (out->rejected_count + 1) *
                                                sizeof(*out->rejected));
    r = &out->rejected[out->rejected_count++];
    r->line = line;
    r->reason = xstrdup(reason);
    truncate_to_utf8(r->reason);
}

/* Reject the blank lines seen since the last row, now that a row follows
 * them. */
static void flush_blank_lines(struct import_state *st)
{
    for (long long i = 0; i < st->blank_count; i++) {
        st->out->rows++;
        reject(st, st->blank_first + i, "empty row");
    }
    st->blank_count = 0;
}

static void read_header(struct import_state *st)
{
    struct import_result *out = st->out;
    struct contact_csv_header *h = &st->header;
    struct err why;
    int rc;

    if (st->row.count > IMPORT_COLUMNS_MAX) {
        fail(st, SYNC_EINVALID,
             "the header row of '%s' has %zu columns; at most %d are "
             "accepted",
             st->name, st->row.count, IMPORT_COLUMNS_MAX);
        return;
    }
    err_clear(&why);
    rc = contact_csv_header_parse(h, row_cells(&st->row), st->row.stored,
                                  st->opts->ignore_unknown_columns, &why);
    out->unknown_columns =
        xcalloc(h->unknown_count + 1, sizeof(*out->unknown_columns));
    for (size_t i = 0; i < h->unknown_count; i++) {
        out->unknown_columns[i] = xstrdup(h->unknown[i]);
        truncate_to_utf8(out->unknown_columns[i]);
    }
    out->unknown_count = h->unknown_count;
    st->have_header = true;
    if (rc < 0) {
        truncate_to_utf8(why.msg);
        fail(st, rc, "'%s' line %lld: %s", st->name, st->line, why.msg);
    }
}

/* Add the ids found to the distinct ids of found, up to MATCH_MAX. */
static void add_ids(int64_t *found, size_t *n, const int64_t *ids,
                    size_t count)
{
    for (size_t i = 0; i < count; i++) {
        bool seen = false;

        for (size_t j = 0; j < *n; j++)
            seen = seen || found[j] == ids[i];
        if (!seen && *n < MATCH_MAX)
            found[(*n)++] = ids[i];
    }
}

/* Name the contact id that a row matched: "contact ID" for a stored one,
 * or "the contact of line N" for one that an earlier row added. */
static const char *describe_match(const struct import_state *st, int64_t id,
                                  char *buf, size_t size)
{
    for (size_t i = 0; i < st->added_count; i++) {
        if (st->added[i].contact_id == id) {
            snprintf(buf, size, "the contact of line %lld",
                     st->added[i].line);
            return buf;
        }
    }
    snprintf(buf, size, "contact %lld", (long long)id);
    return buf;
}

/*
 * Find the contacts that the row c matches by email, or by the E.164 form
 * of either phone as changes_find_by_phone matches it (the same email, or
 * the same last name and no other first name): contacts stored before the
 * import and contacts of earlier rows of the file, which the open
 * transaction holds. Set *out_id to the one match, or 0. Several matches
 * reject the row.
 */
static int find_existing(struct import_state *st, const struct contact *c,
                         int64_t *out_id, struct err *why)
{
    static const enum contact_field phones[] = {CONTACT_PHONE,
                                                CONTACT_MOBILE_PHONE};
    const char *email = contact_text(c, CONTACT_EMAIL);
    int64_t found[MATCH_MAX], ids[MATCH_MAX];
    size_t n = 0, count;
    int rc;

    *out_id = 0;
    if (email) {
        if ((rc = store_contact_find_by_email(st->store, st->workspace_id,
                                              email, ids, MATCH_MAX, &count,
                                              why)) < 0)
            return rc;
        add_ids(found, &n, ids, count);
    }
    for (size_t i = 0; i < ARRAY_SIZE(phones); i++) {
        const char *e164 = c->values[phones[i]].e164;

        if (!e164)
            continue;
        /* A shared phone (a switchboard) does not make two people with
         * different emails or names one. */
        if ((rc = changes_find_by_phone(st->store, c, e164, ids, MATCH_MAX,
                                        &count, why)) < 0)
            return rc;
        add_ids(found, &n, ids, count);
    }
    if (n > 1) {
        char first[48], second[48];

        return err_set(why, SYNC_EINVALID,
                       "the row matches %zu contacts by email or phone (%s "
                       "and %s%s), so it cannot tell which to update; "
                       "remove the row or make the contacts' emails and "
                       "phones distinct",
                       n, describe_match(st, found[0], first, sizeof(first)),
                       describe_match(st, found[1], second, sizeof(second)),
                       n > 2 ? " and more" : "");
    }
    *out_id = n ? found[0] : 0;
    return 0;
}

/* The fields a row sets on a contact it matches: every non-empty text
 * and every flag that is true, so that an empty cell clears nothing and an
 * import never switches an opt-out off. */
static uint32_t row_fields(const struct contact *c)
{
    uint32_t mask = 0;

    for (int f = 0; f < CONTACT_FIELD_COUNT; f++) {
        bool set = contact_fields[f].type == CONTACT_TYPE_BOOL
                       ? c->values[f].flag
                       : c->values[f].text != NULL;

        if (set)
            mask |= CONTACT_FIELD_BIT(f);
    }
    return mask;
}

/* The bool fields whose cells in the row being read are not empty but
 * read false, such as do_not_call given as "false" or "no". */
static uint32_t false_cells(struct import_state *st, const struct contact *c)
{
    const struct row *r = &st->row;
    uint32_t mask = 0;

    for (size_t i = 0; i < r->stored && i < st->header.count; i++) {
        int f = st->header.fields[i];
        const char *cell = r->bytes.data + r->offsets[i];

        if (f < 0 || contact_fields[f].type != CONTACT_TYPE_BOOL ||
            c->values[f].flag || cell[strspn(cell, " \t")] == '\0')
            continue;
        mask |= CONTACT_FIELD_BIT(f);
    }
    return mask;
}

/* Note the opt-outs in given_false that the matched contact cur has true,
 * since the row's false does not clear them. */
static void note_kept_opt_outs(struct import_state *st,
                               const struct contact *cur,
                               uint32_t given_false)
{
    static const enum contact_field opt_outs[] = {CONTACT_DO_NOT_CALL,
                                                  CONTACT_EMAIL_OPT_OUT};
    struct import_result *out = st->out;

    for (size_t i = 0; i < ARRAY_SIZE(opt_outs); i++) {
        enum contact_field f = opt_outs[i];

        if (!(given_false & CONTACT_FIELD_BIT(f)) || !cur->values[f].flag)
            continue;
        out->kept_total++;
        if (out->kept_count >= IMPORT_REJECTIONS_MAX)
            continue;
        out->kept = xrealloc(out->kept,
                             (out->kept_count + 1) * sizeof(*out->kept));
        out->kept[out->kept_count++] = (struct import_kept_opt_out){
            .line = st->line, .contact_id = cur->id, .field = f};
    }
}

/* Count the row being read as an update of contact_id, and list it. */
static void note_update(struct import_state *st, int64_t contact_id)
{
    struct import_result *out = st->out;

    out->updated++;
    out->update_total++;
    if (out->update_count >= IMPORT_REJECTIONS_MAX)
        return;
    out->updates =
        xrealloc(out->updates, (out->update_count + 1) * sizeof(*out->updates));
    out->updates[out->update_count++] =
        (struct import_update){.line = st->line, .contact_id = contact_id};
}

/* Write a valid row: update the one contact it matches, or add it. */
static int write_row(struct import_state *st, struct contact *c,
                     uint32_t given_false, struct err *why)
{
    static const enum contact_field phones[] = {CONTACT_PHONE,
                                                CONTACT_MOBILE_PHONE};
    struct contact cur;
    uint32_t changed = 0, mask;
    int64_t match;
    int rc;

    if ((rc = contact_prepare(c, st->region, why)) < 0 ||
        (rc = find_existing(st, c, &match, why)) < 0)
        return rc;
    if (!match) {
        /* A person deleted here whose Salesforce record was kept would
         * get a second record, as in contacts add. */
        if (st->records_kept &&
            (rc = changes_check_kept_record(
                 st->store, c,
                 "remove the row, or delete or merge that record in "
                 "Salesforce first",
                 why)) < 0)
            return rc == SYNC_ECONFLICT ? SYNC_EINVALID : rc;
        /* find_existing matched the row already, earlier rows included. */
        if ((rc = changes_add(st->store, c, CHANGES_ADD_ALLOW_DUPLICATE, NULL,
                              why)) < 0)
            return rc;
        st->out->imported++;
        st->added = xrealloc(st->added,
                             (st->added_count + 1) * sizeof(*st->added));
        st->added[st->added_count++] =
            (struct import_added){.contact_id = c->id, .line = st->line};
        return 0;
    }
    contact_init(&cur);
    mask = row_fields(c);
    if ((rc = store_contact_get(st->store, st->workspace_id, match, &cur,
                                why)) < 0)
        goto out;
    /* The same email in other letter case, or the same number written
     * another way, changes nothing. */
    if (contact_text(c, CONTACT_EMAIL) && contact_text(&cur, CONTACT_EMAIL) &&
        strcasecmp(contact_text(c, CONTACT_EMAIL),
                   contact_text(&cur, CONTACT_EMAIL)) == 0)
        mask &= ~CONTACT_FIELD_BIT(CONTACT_EMAIL);
    for (size_t i = 0; i < ARRAY_SIZE(phones); i++) {
        const char *a = c->values[phones[i]].e164;
        const char *b = cur.values[phones[i]].e164;

        if (a && b && strcmp(a, b) == 0)
            mask &= ~CONTACT_FIELD_BIT(phones[i]);
    }
    rc = changes_update(st->store, st->workspace_id, match, c, mask,
                        cur.version, &cur, &changed, why);
    if (rc == 0)
        note_kept_opt_outs(st, &cur, given_false);
out:
    contact_release(&cur);
    if (rc == 0 && changed)
        note_update(st, match);
    else if (rc == 0)
        st->out->unchanged++;
    return rc;
}

/* Clean and validate a row, with every problem of both in why. */
static int clean_and_validate(struct contact *c, struct err *why)
{
    struct err dirty, invalid;
    int cleaned = changes_clean(c, CONTACT_ALL_FIELDS, &dirty);
    int valid = changes_validate(c, &invalid);

    if (cleaned < 0 && valid < 0)
        return err_set(why, SYNC_EINVALID, "%s; %s", dirty.msg, invalid.msg);
    if (cleaned < 0)
        return err_set(why, cleaned, "%s", dirty.msg);
    if (valid < 0)
        return err_set(why, valid, "%s", invalid.msg);
    return 0;
}

static void read_data_row(struct import_state *st)
{
    struct row *r = &st->row;
    struct contact c;
    struct err why;
    int rc;

    contact_init(&c);
    err_clear(&why);
    c.workspace_id = st->workspace_id;
    /* When more cells came than are kept, count differs from the header's
     * and the function rejects the row before it reads a cell. */
    rc = contact_csv_row_to_contact(&st->header, row_cells(r), r->lens,
                                    r->count, &c, &why);
    if (rc == 0)
        rc = clean_and_validate(&c, &why);
    if (rc == 0 && st->writing)
        rc = write_row(st, &c, false_cells(st, &c), &why);
    if (rc == 0) {
        st->out->valid++;
    } else if (rc == SYNC_EINVALID) {
        reject(st, st->line, why.msg);
    } else {
        fail(st, rc, "%s", why.msg);
    }
    contact_release(&c);
}

static void process_row(struct import_state *st)
{
    if (st->row.count == 0) {
        /* Blank lines before the header are skipped; later ones are
         * rejected once a row follows them. */
        if (st->have_header && st->blank_count++ == 0)
            st->blank_first = st->line;
        return;
    }
    if (!st->have_header) {
        read_header(st);
        return;
    }
    flush_blank_lines(st);
    st->out->rows++;
    read_data_row(st);
}

static void on_cell(void *data, size_t len, void *payload)
{
    struct import_state *st = payload;

    if (st->rc < 0)
        return;
    st->breaks += count_breaks(data, len);
    row_append(st, data, len);
}

/* c is the CR or LF that ended the row, or -1 at the end of the input. */
static void on_row_end(int c, void *payload)
{
    struct import_state *st = payload;

    if (st->rc < 0)
        return;
    /* CSV_REPALL_NL reports the LF of a CRLF as a row of its own. */
    if (st->row.count == 0 && c == '\n' && st->after_cr) {
        st->after_cr = false;
        return;
    }
    st->after_cr = c == '\r';
    process_row(st);
    st->line += st->breaks + (c >= 0 ? 1 : 0);
    st->breaks = 0;
    row_reset(&st->row);
}

static void fail_malformed(struct import_state *st, bool at_end)
{
    if (at_end)
        fail(st, SYNC_EINVALID,
             "'%s' is not valid CSV: the quoted cell in the row starting "
             "at line %lld has no closing quote",
             st->name, st->line);
    else
        fail(st, SYNC_EINVALID,
             "'%s' is not valid CSV in the row starting at line %lld: a "
             "quote inside an unquoted cell, or text after a closing "
             "quote; quote the whole cell and double the quotes in it",
             st->name, st->line);
}

/* Feed the whole stream to libcsv; the callbacks do the rest. */
static int parse_stream(struct import_state *st, FILE *in)
{
    unsigned char *chunk = xmalloc(CHUNK_SIZE);
    struct csv_parser parser;
    bool first = true;
    size_t n;

    csv_init(&parser, CSV_STRICT | CSV_STRICT_FINI | CSV_REPALL_NL);
    csv_set_realloc_func(&parser, xrealloc);
    csv_set_blk_size(&parser, CELL_BLOCK);
    while (st->rc == 0 && (n = fread(chunk, 1, CHUNK_SIZE, in)) > 0) {
        const unsigned char *p = chunk;

        if (first && n >= sizeof(utf8_bom) &&
            memcmp(p, utf8_bom, sizeof(utf8_bom)) == 0) {
            p += sizeof(utf8_bom);
            n -= sizeof(utf8_bom);
        }
        first = false;
        if (csv_parse(&parser, p, n, on_cell, on_row_end, st) != n)
            fail_malformed(st, false);
        else if (csv_get_buffer_size(&parser) > IMPORT_CELL_MAX)
            fail(st, SYNC_EINVALID,
                 "a cell of '%s' in the row starting at line %lld is "
                 "longer than %d bytes; is a closing quote missing?",
                 st->name, st->line, IMPORT_CELL_MAX);
    }
    if (st->rc == 0 && ferror(in))
        st->rc = err_set_errno(st->err, SYNC_EIO, "cannot read '%s'", st->name);
    if (st->rc == 0 && csv_fini(&parser, on_cell, on_row_end, st) != 0)
        fail_malformed(st, true);
    csv_free(&parser);
    free(chunk);
    if (st->rc == 0 && !st->have_header)
        fail(st, SYNC_EINVALID,
             "'%s' is empty; its first row must name the columns, such as "
             "'first_name,last_name,phone'",
             st->name);
    return st->rc;
}

/* Commit, or roll back when nothing may be imported; set the result. */
static int finish(struct import_state *st, bool began, int rc)
{
    struct import_result *out = st->out;
    struct err ignored;

    if (rc == 0 && out->rejected_total > 0 && !st->opts->skip_invalid)
        rc = err_set(st->err, SYNC_EINVALID,
                     "%lld of %lld rows of '%s' rejected%s",
                     out->rejected_total, out->rows, st->name,
                     st->opts->dry_run ? "" : ", so nothing is imported");
    if (began && rc == 0 && !st->opts->dry_run)
        rc = store_commit(st->store, st->err);
    else if (began)
        store_rollback(st->store, &ignored);
    if (rc < 0 || st->opts->dry_run) {
        out->imported = 0;
        out->updated = 0;
        out->unchanged = 0;
    }
    /* Without a write, no opt-out was kept and no contact updated by
     * this import. */
    if (rc < 0) {
        free(out->kept);
        out->kept = NULL;
        out->kept_count = 0;
        out->kept_total = 0;
        free(out->updates);
        out->updates = NULL;
        out->update_count = 0;
        out->update_total = 0;
    }
    return rc;
}

int import_csv(struct store *s, int64_t workspace_id, FILE *in,
               const char *name, const struct import_options *opts,
               struct import_result *out, struct err *err)
{
    struct import_state st;
    bool began = false;
    char *region = NULL;
    int rc;

    import_result_release(out);
    memset(&st, 0, sizeof(st));
    st.store = s;
    st.workspace_id = workspace_id;
    st.name = name;
    st.opts = opts;
    st.out = out;
    st.err = err;
    st.line = 1;
    contact_csv_header_init(&st.header);
    row_init(&st.row);
    /* A dry run writes in the transaction too, so that rows matching
     * earlier rows are found as in a real import, and rolls it back. */
    if ((rc = store_begin(s, err)) < 0)
        goto out;
    began = true;
    st.writing = true;
    settings_get(s, workspace_id, "default_region", &region, NULL);
    snprintf(st.region, sizeof(st.region), "%s",
             region ? region : PHONE_DEFAULT_REGION);
    free(region);
    st.records_kept = changes_records_kept(s, workspace_id);
    rc = parse_stream(&st, in);
    out->complete = rc == 0;
    rc = finish(&st, began, rc);
    log_info("sync", "contact import finished",
             "workspace=%" PRId64 " rows=%lld imported=%lld rejected=%lld "
             "dry_run=%d rc=%s",
             workspace_id, out->rows, out->imported, out->rejected_total,
             opts->dry_run, err_code_name(rc));
out:
    row_release(&st.row);
    contact_csv_header_release(&st.header);
    free(st.added);
    return rc;
}
