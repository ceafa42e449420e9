/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * sfsim's SOQL engine: a tokenizer, a recursive-descent parser that
 * resolves object and field names against the org's schema, and an
 * evaluator that filters, sorts and renders records. It does no HTTP
 * itself: query.c serves it over REST, and a Bulk API query job can use the
 * same calls. Every function assumes the caller holds org->lock.
 */
#ifndef SFSIM_SOQL_H
#define SFSIM_SOQL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim.h"

/* The maximum OFFSET Salesforce accepts. */
#define SOQL_MAX_OFFSET 2000

/* A query error as Salesforce reports it. */
struct soql_error {
    char code[64];    /* errorCode, e.g. "MALFORMED_QUERY" */
    char reason[512]; /* the last line of the message */
    int row, column;  /* 1-based position of the offending token, or 0
                         when the message carries no position */
};

/*
 * Build the message Salesforce sends for err on the query text: a newline,
 * the query row, a caret line, "ERROR at Row:R:Column:C" and the reason.
 * An error without a position gives the reason alone. The caller frees the
 * result.
 */
char *soql_error_message(const char *text, const struct soql_error *err);

struct soql_query;

/*
 * Parse text against org's schema. Return 0 and set *out, to be freed with
 * soql_query_free, or -1 with err filled. The query keeps borrowed pointers
 * to org's objects and fields, which live as long as the org.
 */
int soql_parse(struct sim_org *org, const char *text, struct soql_query **out,
               struct soql_error *err);

/* Free a parsed query; NULL is allowed. */
void soql_query_free(struct soql_query *q);

/* The object named in FROM (borrowed). */
struct sim_object *soql_query_object(const struct soql_query *q);

/* Whether the select list is COUNT(), so only a count is returned. */
bool soql_query_is_count(const struct soql_query *q);

/* Whether the query has an OFFSET clause (Bulk API 2.0 rejects it). */
bool soql_query_has_offset(const struct soql_query *q);

struct soql_exec_opts {
    bool include_deleted; /* queryAll: include records in the recycle bin */
    int64_t now_ms;       /* the clock of TODAY and the other relative date
                             literals; 0 for the current time */
};

struct soql_result {
    struct sim_record **records; /* owned array of borrowed records, after
                                    ORDER BY, OFFSET and LIMIT; NULL for
                                    COUNT() */
    size_t count;                /* rows in the result */
};

/*
 * Run q over the records of its object and fill out, which the caller
 * releases with soql_result_release. Relative date literals are evaluated
 * against opts->now_ms on every call.
 */
void soql_execute(struct soql_query *q, const struct soql_exec_opts *opts,
                  struct soql_result *out);

/* Free the contents of a result; the struct may be reused. */
void soql_result_release(struct soql_result *r);

/*
 * The REST form of rec's selected columns: "attributes", then each selected
 * field in select order, a parent relationship as a nested object with its
 * own attributes or null when the lookup is empty. Returns a new reference.
 */
json_t *soql_record_json(const struct soql_query *q,
                         const struct sim_record *rec, const char *version);

/*
 * Flat columns for CSV output: one per selected field, in select order.
 * The header of a parent field is dotted ("Account.Name"). COUNT() has no
 * columns.
 */
size_t soql_column_count(const struct soql_query *q);
const char *soql_column_header(const struct soql_query *q, size_t i);

/* The field a column reads, for its type (borrowed). */
const struct sim_field *soql_column_field(const struct soql_query *q, size_t i);

/*
 * The stored text of column i of rec (see struct sim_record), or NULL when
 * it is null or the parent lookup is empty. The string is borrowed and
 * valid until the record changes. Compound address fields are not stored,
 * so they read as NULL.
 */
const char *soql_record_column(const struct soql_query *q,
                               const struct sim_record *rec, size_t i);

/*
 * The reply to "GET /query?q=...&columns=true": columnMetadata, entityName,
 * groupBy, idSelected and keyPrefix. Returns a new reference.
 */
json_t *soql_columns_json(const struct soql_query *q);

#endif
