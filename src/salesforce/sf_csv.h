/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * Incremental reading of RFC 4180 CSV documents with a header row, as Bulk
 * API 2.0 returns query results. Bytes go in as they arrive, in pieces of
 * any size, and each complete row comes out through a callback, so only one
 * row is kept in memory whatever the size of the document. The tokenizer is
 * libcsv's; this module adds the header, null values, the byte-order mark,
 * line endings and size caps. It does no HTTP.
 */
#ifndef SFSYNC_SF_CSV_H
#define SFSYNC_SF_CSV_H

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"

/* The maximum length of a value, in bytes. Salesforce's largest text
 * fields take 131,072 characters, up to 512 KiB of UTF-8. */
#define SF_CSV_MAX_FIELD (8u * 1024 * 1024)

/* Defaults of struct sf_csv_config. */
#define SF_CSV_DEFAULT_MAX_ROW (32u * 1024 * 1024)
#define SF_CSV_DEFAULT_MAX_COLUMNS 4096

struct sf_csv_config {
    char delimiter;     /* 0 for ',' */
    size_t max_row;     /* bytes of the values of one row; 0 for default */
    size_t max_columns; /* 0 for default */
};

/*
 * One data row, borrowed for the callback. An empty unquoted value is
 * null (values[i] NULL, lengths[i] 0), while "" is an empty string. Values
 * are NUL-terminated and may also contain NUL bytes, so use lengths.
 */
struct sf_csv_row {
    const char *const *headers; /* the header row's values */
    const char *const *values;
    const size_t *lengths;
    size_t count;    /* columns, as many as the header has */
    long long index; /* 0 for the first row after the header */
};

/*
 * Called once per data row. Return 0 to go on, a positive value to stop
 * reading without an error, or a negative enum sync_rc after filling err
 * to stop with that error.
 */
typedef int (*sf_csv_row_fn)(const struct sf_csv_row *row, void *payload,
                             struct err *err);

struct sf_csv;

/* Create a reader (cfg NULL for defaults) that passes rows to fn. Free
 * with sf_csv_free. */
struct sf_csv *sf_csv_new(const struct sf_csv_config *cfg, sf_csv_row_fn fn,
                          void *payload);

/* Free the reader; NULL is allowed. */
void sf_csv_free(struct sf_csv *p);

/*
 * Read len more bytes of the document. A UTF-8 byte-order mark at its
 * start is skipped, rows may end with LF or CRLF, and a value, a
 * character or a CRLF may be split across calls.
 *
 * Returns 0 when the bytes were read, or when fn stopped with a positive
 * value. Every later call then reads nothing and returns 0 too, and
 * sf_csv_stopped returns true. Otherwise returns a negative code with err
 * filled, and every later call returns it again:
 * - SYNC_EINVALID for malformed CSV (a quote inside an unquoted value,
 *   text after a closing quote, a row with another number of values than
 *   the header, an empty header), a value over SF_CSV_MAX_FIELD, a row
 *   over max_row or more than max_columns columns;
 * - fn's negative code, with the err fn filled.
 * In a document of one column an empty line is a row with a null value.
 * In wider documents empty lines are skipped.
 */
int sf_csv_feed(struct sf_csv *p, const char *data, size_t len,
                struct err *err);

/*
 * End the document: deliver a last row that has no line ending. Returns 0,
 * or a negative code as sf_csv_feed does, and SYNC_ETRANSIENT when the
 * document ends inside a quoted value or has no header row, which is what
 * a cut transfer leaves.
 */
int sf_csv_finish(struct sf_csv *p, struct err *err);

/* Forget the document read so far, its header, row count and any error,
 * so that the reader can read a new document. */
void sf_csv_reset(struct sf_csv *p);

/* Data rows read from the current document. */
long long sf_csv_rows(const struct sf_csv *p);

/* Whether fn stopped the reading with a positive value. */
bool sf_csv_stopped(const struct sf_csv *p);

/* The header of the current document (borrowed until the next reset), or
 * NULL before it has been read; *count receives the number of columns. */
const char *const *sf_csv_headers(const struct sf_csv *p, size_t *count);

#endif
