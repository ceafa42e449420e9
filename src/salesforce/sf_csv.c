/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * CSV rows from a byte stream over libcsv. libcsv splits fields and rows
 * and undoes the quoting. This file collects the fields of one row, takes
 * the first row as the header and checks every later row against it.
 */
#include "base/common.h"

#include "salesforce/sf_csv.h"

#include <csv.h>

#include "base/buf.h"

/* The UTF-8 byte-order mark that Excel and some exports put first. */
static const unsigned char bom[3] = {0xEF, 0xBB, 0xBF};

/* libcsv grows its value buffer by this many bytes at a time. */
#define VALUE_BLOCK 4096

struct sf_csv {
    struct csv_parser parser;
    char delimiter;
    size_t max_row, max_columns;
    sf_csv_row_fn fn;
    void *payload;

    /* The row being read: the values one after another, each followed by
     * a NUL, and per value its offset, length and null flag. */
    struct buf row;
    size_t *offsets, *lengths;
    bool *nulls;
    const char **values;
    size_t nfields, cap;

    char **headers; /* NULL until the header row is read */
    size_t ncolumns;
    long long rows;

    int bom_matched; /* bytes of a byte-order mark held back, or -1 once
                        the start of the document is past */
    bool after_cr;   /* the last row ended at a CR, so an LF that follows
                        with no value before it is the rest of a CRLF */
    bool stopped;
    int rc; /* the first error, kept in err */
    struct err err;
};

/* libcsv trims spaces and tabs around unquoted values unless its space
 * test matches no byte, and Bulk API values are not trimmed. */
static int no_space(unsigned char c)
{
    (void)c;
    return 0;
}

/* libcsv's allocator: a value buffer that grows well past the cap fails,
 * which libcsv reports as CSV_ENOMEM. on_field checks values against the
 * exact cap, so the slack only covers libcsv's own reserve. */
static void *capped_realloc(void *ptr, size_t size)
{
    if (size > SF_CSV_MAX_FIELD + 2 * VALUE_BLOCK)
        return NULL;
    return xrealloc(ptr, size);
}

static void start_parser(struct sf_csv *p)
{
    if (csv_init(&p->parser, CSV_STRICT | CSV_STRICT_FINI | CSV_REPALL_NL |
                                 CSV_APPEND_NULL | CSV_EMPTY_IS_NULL) != 0)
        BUG("csv_init failed");
    csv_set_delim(&p->parser, (unsigned char)p->delimiter);
    csv_set_space_func(&p->parser, no_space);
    csv_set_realloc_func(&p->parser, capped_realloc);
    csv_set_blk_size(&p->parser, VALUE_BLOCK);
}

struct sf_csv *sf_csv_new(const struct sf_csv_config *cfg, sf_csv_row_fn fn,
                          void *payload)
{
    struct sf_csv *p = xcalloc(1, sizeof(*p));

    p->delimiter = cfg && cfg->delimiter ? cfg->delimiter : ',';
    p->max_row = cfg && cfg->max_row ? cfg->max_row : SF_CSV_DEFAULT_MAX_ROW;
    p->max_columns =
        cfg && cfg->max_columns ? cfg->max_columns : SF_CSV_DEFAULT_MAX_COLUMNS;
    p->fn = fn;
    p->payload = payload;
    buf_init(&p->row, p->max_row);
    start_parser(p);
    return p;
}

static void free_headers(struct sf_csv *p)
{
    for (size_t i = 0; p->headers && i < p->ncolumns; i++)
        free(p->headers[i]);
    free(p->headers);
    p->headers = NULL;
    p->ncolumns = 0;
}

void sf_csv_free(struct sf_csv *p)
{
    if (!p)
        return;
    csv_free(&p->parser);
    buf_release(&p->row);
    free(p->offsets);
    free(p->lengths);
    free(p->nulls);
    free(p->values);
    free_headers(p);
    free(p);
}

void sf_csv_reset(struct sf_csv *p)
{
    csv_free(&p->parser);
    start_parser(p);
    buf_reset(&p->row);
    p->row.overflow = 0;
    p->nfields = 0;
    free_headers(p);
    p->rows = 0;
    p->bom_matched = 0;
    p->after_cr = false;
    p->stopped = false;
    p->rc = 0;
    err_clear(&p->err);
}

long long sf_csv_rows(const struct sf_csv *p)
{
    return p->rows;
}

bool sf_csv_stopped(const struct sf_csv *p)
{
    return p->stopped;
}

const char *const *sf_csv_headers(const struct sf_csv *p, size_t *count)
{
    *count = p->ncolumns;
    return (const char *const *)p->headers;
}

/* Keep the first error; the libcsv callbacks cannot return one. */
static void fail(struct sf_csv *p, int code, const char *what)
{
    if (p->rc)
        return;
    p->rc = err_set(&p->err, code, "%s", what);
}

static void clear_row(struct sf_csv *p)
{
    buf_reset(&p->row);
    p->nfields = 0;
}

static void add_field(struct sf_csv *p, const char *data, size_t len, bool null)
{
    size_t n = p->nfields;
    char what[160];

    if (n >= p->max_columns) {
        snprintf(what, sizeof(what), "CSV row %lld has more than %zu columns",
                 p->rows + 1, p->max_columns);
        fail(p, SYNC_EINVALID, what);
        return;
    }
    if (n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 16;
        p->offsets = xrealloc(p->offsets, p->cap * sizeof(*p->offsets));
        p->lengths = xrealloc(p->lengths, p->cap * sizeof(*p->lengths));
        p->nulls = xrealloc(p->nulls, p->cap * sizeof(*p->nulls));
        p->values = xrealloc(p->values, p->cap * sizeof(*p->values));
    }
    p->offsets[n] = p->row.len;
    p->lengths[n] = len;
    p->nulls[n] = null;
    if (buf_append(&p->row, data, len) < 0 || buf_putc(&p->row, '\0') < 0) {
        snprintf(what, sizeof(what),
                 "CSV row %lld is longer than the %zu-byte cap", p->rows + 1,
                 p->max_row);
        fail(p, SYNC_EINVALID, what);
        return;
    }
    p->nfields++;
}

static void value_too_long(struct sf_csv *p)
{
    char what[96];

    snprintf(what, sizeof(what),
             "CSV value in row %lld is longer than the %u-byte cap",
             p->rows + 1, SF_CSV_MAX_FIELD);
    fail(p, SYNC_EINVALID, what);
}

static void on_field(void *data, size_t len, void *payload)
{
    struct sf_csv *p = payload;

    if (p->rc || p->stopped)
        return;
    if (len > SF_CSV_MAX_FIELD) {
        value_too_long(p);
        return;
    }
    /* CSV_EMPTY_IS_NULL gives NULL for an empty unquoted value. */
    add_field(p, data ? data : "", len, data == NULL);
}

static void take_header(struct sf_csv *p)
{
    char what[96];

    for (size_t i = 0; i < p->nfields; i++) {
        if (p->nulls[i] || p->lengths[i] == 0) {
            snprintf(what, sizeof(what), "CSV header column %zu is empty",
                     i + 1);
            fail(p, SYNC_EINVALID, what);
            return;
        }
    }
    p->headers = xcalloc(p->nfields, sizeof(*p->headers));
    for (size_t i = 0; i < p->nfields; i++)
        p->headers[i] = xstrndup(p->row.data + p->offsets[i], p->lengths[i]);
    p->ncolumns = p->nfields;
}

static void deliver(struct sf_csv *p)
{
    struct sf_csv_row row;
    struct err local;
    char what[128];
    int rc;

    if (p->nfields != p->ncolumns) {
        snprintf(what, sizeof(what),
                 "CSV row %lld has %zu values but the header has %zu columns",
                 p->rows + 1, p->nfields, p->ncolumns);
        fail(p, SYNC_EINVALID, what);
        return;
    }
    for (size_t i = 0; i < p->nfields; i++)
        p->values[i] = p->nulls[i] ? NULL : p->row.data + p->offsets[i];
    row.headers = (const char *const *)p->headers;
    row.values = p->values;
    row.lengths = p->lengths;
    row.count = p->nfields;
    row.index = p->rows++;
    err_clear(&local);
    rc = p->fn(&row, p->payload, &local);
    if (rc > 0) {
        p->stopped = true;
    } else if (rc < 0) {
        p->rc = rc;
        p->err = local;
        if (!p->err.code)
            err_set(&p->err, rc, "CSV row %lld was rejected", row.index + 1);
    }
}

static void on_row(int c, void *payload)
{
    struct sf_csv *p = payload;
    bool crlf_rest = c == '\n' && p->after_cr && p->nfields == 0;

    p->after_cr = c == '\r';
    if (p->rc || p->stopped || crlf_rest) {
        clear_row(p);
        return;
    }
    /* CSV_REPALL_NL reports empty lines. A null is written as nothing, so
     * an empty line is a row only when there is one column. */
    if (p->nfields == 0) {
        if (c == -1 || !p->headers || p->ncolumns != 1)
            return;
        add_field(p, "", 0, true);
    }
    if (!p->headers)
        take_header(p);
    else if (!p->rc)
        deliver(p);
    clear_row(p);
}

/* Report libcsv's error after csv_parse or csv_fini stopped early. */
static void parser_failed(struct sf_csv *p)
{
    char what[160];

    if (csv_error(&p->parser) == CSV_ENOMEM) {
        value_too_long(p);
        return;
    }
    snprintf(what, sizeof(what),
             "malformed CSV in row %lld: a quote inside an unquoted value, or "
             "text after a closing quote",
             p->rows + 1);
    fail(p, SYNC_EINVALID, what);
}

static int parse(struct sf_csv *p, const void *data, size_t len)
{
    if (csv_parse(&p->parser, data, len, on_field, on_row, p) < len)
        parser_failed(p);
    return p->rc;
}

/* Hand the bytes held back as a possible byte-order mark to the parser,
 * because the document did not start with one. */
static int release_held(struct sf_csv *p)
{
    int held = p->bom_matched;

    p->bom_matched = -1;
    return held > 0 ? parse(p, bom, (size_t)held) : 0;
}

static int report(const struct sf_csv *p, struct err *err)
{
    if (p->rc && err)
        *err = p->err;
    return p->rc;
}

int sf_csv_feed(struct sf_csv *p, const char *data, size_t len, struct err *err)
{
    if (p->rc || p->stopped)
        return report(p, err);
    while (p->bom_matched >= 0 && len > 0) {
        if ((unsigned char)*data != bom[p->bom_matched]) {
            if (release_held(p) < 0)
                return report(p, err);
            break;
        }
        data++;
        len--;
        if (++p->bom_matched == (int)sizeof(bom))
            p->bom_matched = -1;
    }
    if (len > 0)
        parse(p, data, len);
    return report(p, err);
}

int sf_csv_finish(struct sf_csv *p, struct err *err)
{
    if (p->rc || p->stopped)
        return report(p, err);
    if (release_held(p) < 0)
        return report(p, err);
    if (csv_fini(&p->parser, on_field, on_row, p) != 0 && !p->rc)
        fail(p, SYNC_ETRANSIENT,
             "CSV document ends inside a quoted value, so the transfer was "
             "cut");
    if (!p->rc && !p->stopped && !p->headers)
        fail(p, SYNC_ETRANSIENT,
             "CSV document has no header row, so the transfer was cut");
    return report(p, err);
}
