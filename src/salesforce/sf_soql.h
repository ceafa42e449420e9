/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * A SOQL builder. Queries are assembled from parts: identifiers are
 * checked against the API-name grammar and every value is written as an
 * escaped literal, so no caller text is ever pasted into a query. It only
 * builds text; sf_query runs it.
 *
 *     struct sf_soql q;
 *     sf_soql_init(&q);
 *     sf_soql_select(&q, fields, n);
 *     sf_soql_from(&q, "Contact");
 *     sf_soql_where_datetime(&q, "SystemModstamp", ">=", since_ms);
 *     sf_soql_order_by(&q, "SystemModstamp", SF_SOQL_ASC);
 *     text = sf_soql_finish(&q, err);   (NULL on the first error)
 *     sf_soql_release(&q);
 *
 * Each builder call returns 0, or the first error so far (SYNC_EINVALID).
 * After an error the later calls do nothing, so checking once at
 * sf_soql_finish is enough.
 */
#ifndef SFSYNC_SF_SOQL_H
#define SFSYNC_SF_SOQL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"

/* Length of "2024-01-02T03:04:05Z" and its NUL. */
#define SF_SOQL_DATETIME_SIZE 21

enum sf_soql_stage {
    SF_SOQL_STAGE_START,
    SF_SOQL_STAGE_SELECT,
    SF_SOQL_STAGE_FROM,
    SF_SOQL_STAGE_WHERE,
    SF_SOQL_STAGE_ORDER_BY,
    SF_SOQL_STAGE_LIMIT,
};

enum sf_soql_order {
    SF_SOQL_ASC = 0,
    SF_SOQL_DESC = 1 << 0,
    SF_SOQL_NULLS_FIRST = 1 << 1,
    SF_SOQL_NULLS_LAST = 1 << 2,
};

/* Wildcards around an escaped LIKE text. */
enum sf_soql_like {
    SF_SOQL_LIKE_EXACT = 0,
    SF_SOQL_LIKE_PREFIX = 1 << 0, /* text% : starts with */
    SF_SOQL_LIKE_SUFFIX = 1 << 1, /* %text : ends with */
    SF_SOQL_LIKE_CONTAINS = SF_SOQL_LIKE_PREFIX | SF_SOQL_LIKE_SUFFIX,
};

/* A query being built. Fields are private to sf_soql.c. */
struct sf_soql {
    struct buf text;
    int rc;                  /* first error, or 0 */
    char error[ERR_MSG_MAX]; /* its message */
    enum sf_soql_stage stage;
    int depth;             /* open groups */
    bool have_operand;     /* a condition or group just ended */
    bool expect_operand;   /* after AND, OR, NOT or '(' */
    const char *connector; /* written before the next condition */
};

void sf_soql_init(struct sf_soql *q);
void sf_soql_release(struct sf_soql *q);

/* SELECT f1, f2, ...; every field must pass sf_soql_ident_valid. */
int sf_soql_select(struct sf_soql *q, const char *const *fields, size_t n);

/* SELECT COUNT(), for sf_query_count. */
int sf_soql_select_count(struct sf_soql *q);

int sf_soql_from(struct sf_soql *q, const char *object);

/*
 * Conditions. The first one starts the WHERE clause; two conditions in a
 * row are joined by AND unless sf_soql_or came between them. op is one of
 * = != < <= > >=.
 */
int sf_soql_where_string(struct sf_soql *q, const char *field, const char *op,
                         const char *value);
int sf_soql_where_int(struct sf_soql *q, const char *field, const char *op,
                      long long value);
int sf_soql_where_bool(struct sf_soql *q, const char *field, const char *op,
                       bool value);

/* field op 2024-01-02T03:04:05Z; milliseconds are dropped (rounded down),
 * because SOQL datetimes have one-second resolution. */
int sf_soql_where_datetime(struct sf_soql *q, const char *field, const char *op,
                           int64_t ms);

/* field = null, or field != null when is_null is false. */
int sf_soql_where_null(struct sf_soql *q, const char *field, bool is_null);

/* field LIKE 'text' with _ and % in text matched literally and the
 * wildcards of flags (enum sf_soql_like) added around it. */
int sf_soql_where_like(struct sf_soql *q, const char *field, const char *text,
                       unsigned flags);

/* field IN ('a', 'b'), or NOT IN when negate; n must be at least 1. */
int sf_soql_where_in(struct sf_soql *q, const char *field, bool negate,
                     const char *const *values, size_t n);

/* Join the next condition with AND (the default) or OR. */
int sf_soql_and(struct sf_soql *q);
int sf_soql_or(struct sf_soql *q);

/* Negate the next condition or group. */
int sf_soql_not(struct sf_soql *q);

/* Open and close a parenthesised group of conditions. */
int sf_soql_group_begin(struct sf_soql *q);
int sf_soql_group_end(struct sf_soql *q);

/* ORDER BY field; a second call adds another sort key. flags is a set of
 * enum sf_soql_order. */
int sf_soql_order_by(struct sf_soql *q, const char *field, unsigned flags);

/* LIMIT n, with n at least 0. */
int sf_soql_limit(struct sf_soql *q, long long n);

/*
 * Return the finished query as a string that the caller frees, or NULL
 * with err set to the first error (SYNC_EINVALID), also when the query has
 * no SELECT or FROM or leaves a group, AND, OR or NOT open.
 */
char *sf_soql_finish(struct sf_soql *q, struct err *err);

/* Whether name matches [A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*. */
bool sf_soql_ident_valid(const char *name);

/*
 * Append value to b escaped for a SOQL string literal, without the quotes.
 * Backslash, ' and " get a backslash. Newline, CR, tab, backspace and form
 * feed become \n \r \t \b \f, and other control bytes become \uXXXX.
 * With like, _ and % also get a backslash so that they match literally.
 */
void sf_soql_escape(struct buf *b, const char *value, bool like);

/* Append value to b as a quoted, escaped string literal. */
void sf_soql_quote(struct buf *b, const char *value);

/* Format ms as a SOQL datetime literal, 2024-01-02T03:04:05Z. */
void sf_soql_datetime(int64_t ms, char out[SF_SOQL_DATETIME_SIZE]);

#endif
