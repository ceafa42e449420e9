/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * Internals shared by the files of the SOQL engine: tokens, the parsed
 * query and the helpers each file provides to the others.
 */
#ifndef SFSIM_SOQL_INT_H
#define SFSIM_SOQL_INT_H

#include "soql.h"

enum soql_tok_kind {
    SOQL_TOK_EOF,
    SOQL_TOK_IDENT,
    SOQL_TOK_STRING, /* span includes the quotes; decoded on use */
    SOQL_TOK_NUMBER,
    SOQL_TOK_DATE,
    SOQL_TOK_DATETIME,
    SOQL_TOK_COMMA,
    SOQL_TOK_DOT,
    SOQL_TOK_LPAREN,
    SOQL_TOK_RPAREN,
    SOQL_TOK_COLON,
    SOQL_TOK_EQ,
    SOQL_TOK_NE,
    SOQL_TOK_LT,
    SOQL_TOK_LE,
    SOQL_TOK_GT,
    SOQL_TOK_GE
};

struct soql_token {
    enum soql_tok_kind kind;
    size_t start, len; /* byte span in the query text */
    int row, column;   /* 1-based, columns counted in characters */
    double number;     /* SOQL_TOK_NUMBER */
    int64_t ms;        /* SOQL_TOK_DATETIME: instant in ms since the epoch */
    int64_t days;      /* SOQL_TOK_DATE: days since the epoch */
};

/* The comparison class of a field's values, from its enum sim_type. */
enum soql_category {
    SOQL_CAT_TEXT,
    SOQL_CAT_MULTI, /* multi-select picklist */
    SOQL_CAT_ID,    /* id and reference */
    SOQL_CAT_BOOL,
    SOQL_CAT_NUMBER,
    SOQL_CAT_DATE,
    SOQL_CAT_DATETIME,
    SOQL_CAT_COMPOUND /* address: selectable, not comparable */
};

/* A field reached from the FROM object through zero or more lookups. */
struct soql_path {
    struct sim_field **refs;     /* reference fields walked, in order */
    struct sim_object **parents; /* the object each reference leads to */
    size_t nrefs;
    struct sim_field *field; /* the field read at the end */
    char *header;            /* canonical dotted name */
    bool is_id;              /* the FROM object's own Id */
    bool is_modstamp;        /* the FROM object's own SystemModstamp */
};

enum soql_op {
    SOQL_OP_EQ,
    SOQL_OP_NE,
    SOQL_OP_LT,
    SOQL_OP_LE,
    SOQL_OP_GT,
    SOQL_OP_GE,
    SOQL_OP_LIKE,
    SOQL_OP_IN,
    SOQL_OP_NOT_IN,
    SOQL_OP_INCLUDES,
    SOQL_OP_EXCLUDES
};

/* Units of the relative date literals (TODAY, LAST_N_DAYS:n, ...). */
enum soql_date_unit {
    SOQL_UNIT_DAY,
    SOQL_UNIT_WEEK,
    SOQL_UNIT_MONTH,
    SOQL_UNIT_QUARTER,
    SOQL_UNIT_YEAR
};

enum soql_value_kind {
    SOQL_V_NULL,
    SOQL_V_TEXT, /* text, or a LIKE pattern with \ escapes */
    SOQL_V_ID,   /* 18-character id */
    SOQL_V_BOOL,
    SOQL_V_NUMBER,
    SOQL_V_RANGE,    /* [lo, hi) in days (date) or ms (datetime) */
    SOQL_V_RELATIVE, /* a relative date literal, bound to a range when the
                        query runs */
    SOQL_V_SET       /* multi-select values, sorted, lower-cased */
};

struct soql_value {
    enum soql_value_kind kind;
    char *text;  /* SOQL_V_TEXT (owned) */
    char id[19]; /* SOQL_V_ID */
    bool boolean;
    double number;
    int64_t lo, hi;
    /* SOQL_V_RELATIVE: units from and to, relative to the current unit */
    enum soql_date_unit unit;
    int64_t from, to;
    char **set; /* SOQL_V_SET (owned) */
    size_t nset;
};

enum soql_cond_kind {
    SOQL_COND_AND,
    SOQL_COND_OR,
    SOQL_COND_NOT,
    SOQL_COND_CMP
};

/* A literal as written, before it is typed by the field it meets. */
struct soql_literal {
    size_t tok;                /* index of its first token */
    enum soql_value_kind kind; /* SOQL_V_NULL, _TEXT, _BOOL, _NUMBER,
                                  _RANGE (date or datetime token) or
                                  _RELATIVE */
    bool datetime;             /* for _RANGE: a datetime token, not a date */
    enum soql_date_unit unit;
    int64_t from, to;
};

struct soql_cond {
    enum soql_cond_kind kind;
    struct soql_cond **kids; /* AND and OR: two or more; NOT: one */
    size_t nkids;

    /* SOQL_COND_CMP */
    size_t *path_toks; /* the identifier tokens of the field path */
    size_t npath;
    size_t op_tok;
    enum soql_op op;
    struct soql_literal *lits;
    size_t nlits;
    struct soql_path path;       /* resolved */
    enum soql_category category; /* of path.field */
    struct soql_value *values;   /* typed from lits */
    size_t nvalues;
};

struct soql_order {
    size_t *path_toks;
    size_t npath;
    struct soql_path path;
    enum soql_category category;
    bool desc;
    bool nulls_last;
};

/* A node of the select tree: a field, or a parent relationship whose
 * columns are rendered as a nested object. */
struct soql_select {
    struct sim_field *field;   /* the field, or the relationship's
                                  reference field */
    struct sim_object *target; /* the relationship's object, or NULL for a
                                  plain field */
    struct soql_select **kids;
    size_t nkids;
};

enum soql_fields_kind {
    SOQL_FIELDS_NONE,
    SOQL_FIELDS_ALL,
    SOQL_FIELDS_STANDARD,
    SOQL_FIELDS_CUSTOM
};

/* A select-list item as written: a field path or FIELDS(...). */
struct soql_item {
    size_t *path_toks;
    size_t npath;
    enum soql_fields_kind fields;
    size_t tok; /* the item's first token */
};

struct soql_query {
    char *text;
    struct soql_token *toks;
    size_t ntoks;
    struct sim_org *org;
    struct sim_object *obj;
    size_t obj_tok;
    size_t alias_tok; /* 0 for none; token 0 is always SELECT */

    bool count_only;
    struct soql_item *items;
    size_t nitems;
    struct soql_path *columns; /* flat, in select order */
    size_t ncolumns;
    struct soql_select root; /* the columns as a tree, for JSON */

    struct soql_cond *where;
    struct soql_order *order;
    size_t norder;
    long long limit;  /* -1 for none */
    long long offset; /* -1 for none */
};

/* soql_lex.c */

/* Split text into tokens ending with SOQL_TOK_EOF. Return 0 and set *out
 * (freed by the caller) and *count, or -1 with err filled. */
int soql__tokenize(const char *text, struct soql_token **out, size_t *count,
                   struct soql_error *err);

/*
 * Decode the string token t of text. In LIKE mode the result is a pattern:
 * % and _ are wildcards, and a backslash makes the next byte literal.
 * Otherwise it is the plain value, in which \% and \_ are errors. Return 0
 * and set *out (owned by the caller), or -1 with err filled.
 */
int soql__decode_string(const char *text, const struct soql_token *t, bool like,
                        char **out, struct soql_error *err);

/* Fill err for a problem at token t; t NULL gives no position. */
void soql__error(struct soql_error *err, const struct soql_token *t,
                 const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* soql_parse.c */

/* Whether token t is the keyword kw, ignoring case. */
bool soql__is_keyword(const struct soql_query *q, const struct soql_token *t,
                      const char *kw);

/* Free a condition tree; NULL is allowed. */
void soql__cond_free(struct soql_cond *c);

/* soql_resolve.c */

enum soql_category soql__category(enum sim_type type);

/* Resolve names and type the literals of a syntactically valid query. */
int soql__resolve(struct soql_query *q, struct soql_error *err);

/* Free what a path owns. */
void soql__path_release(struct soql_path *p);

/* soql_eval.c */

/* The record at the end of p's lookups from rec, or NULL. */
const struct sim_record *soql__walk(const struct soql_path *p,
                                    const struct sim_record *rec);

/* The record of obj with this 15- or 18-character id, or NULL. */
const struct sim_record *soql__lookup(const struct sim_object *obj,
                                      const char *id);

/* The stored value of field f of rec, or NULL. */
const char *soql__value(const struct sim_record *rec,
                        const struct sim_field *f);

/*
 * Compute the day range [lo, hi) of a relative date literal: it starts
 * from units after the start of the unit that contains today (days since the
 * epoch) and ends to units after it. Weeks start on Sunday.
 */
void soql__date_range(int64_t today, enum soql_date_unit unit, int64_t from,
                      int64_t to, int64_t *lo, int64_t *hi);

#endif
