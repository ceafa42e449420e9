/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * The SOQL grammar: a recursive-descent parser over the tokens of
 * soql_lex.c. It checks syntax only and records token positions, and
 * soql_resolve.c then binds names to the schema and types the literals.
 */
#include "base/common.h"

#include <strings.h>

#include "soql_int.h"

/* The largest n accepted in LAST_N_DAYS:n and the like, which keeps the
 * date arithmetic far from overflow. */
#define RELATIVE_N_MAX 100000

struct parser {
    struct soql_query *q;
    size_t i;
    struct soql_error *err;
};

/* Keywords that never start a field name. */
static const char *const reserved_words[] = {
    "SELECT", "FROM",     "WHERE",    "AND",   "OR",    "NOT",   "LIKE",
    "IN",     "INCLUDES", "EXCLUDES", "ORDER", "GROUP", "BY",    "LIMIT",
    "OFFSET", "HAVING",   "WITH",     "NULL",  "TRUE",  "FALSE", "ASC",
    "DESC",   "NULLS",    "FOR",      "USING",
};

/* Words that end a clause, so they are never taken as an alias. */
static const char *const clause_words[] = {
    "WHERE",  "WITH", "GROUP", "ORDER",  "LIMIT",
    "OFFSET", "FOR",  "USING", "HAVING", "UPDATE",
};

enum relative_form { REL_FIXED, REL_LAST_N, REL_NEXT_N, REL_N_AGO };

static const struct {
    const char *name;
    enum soql_date_unit unit;
    enum relative_form form;
    int from, to; /* for REL_FIXED */
} relative_literals[] = {
    {"YESTERDAY", SOQL_UNIT_DAY, REL_FIXED, -1, 0},
    {"TODAY", SOQL_UNIT_DAY, REL_FIXED, 0, 1},
    {"TOMORROW", SOQL_UNIT_DAY, REL_FIXED, 1, 2},
    {"LAST_WEEK", SOQL_UNIT_WEEK, REL_FIXED, -1, 0},
    {"THIS_WEEK", SOQL_UNIT_WEEK, REL_FIXED, 0, 1},
    {"NEXT_WEEK", SOQL_UNIT_WEEK, REL_FIXED, 1, 2},
    {"LAST_MONTH", SOQL_UNIT_MONTH, REL_FIXED, -1, 0},
    {"THIS_MONTH", SOQL_UNIT_MONTH, REL_FIXED, 0, 1},
    {"NEXT_MONTH", SOQL_UNIT_MONTH, REL_FIXED, 1, 2},
    {"LAST_90_DAYS", SOQL_UNIT_DAY, REL_FIXED, -90, 1},
    {"NEXT_90_DAYS", SOQL_UNIT_DAY, REL_FIXED, 1, 91},
    {"LAST_QUARTER", SOQL_UNIT_QUARTER, REL_FIXED, -1, 0},
    {"THIS_QUARTER", SOQL_UNIT_QUARTER, REL_FIXED, 0, 1},
    {"NEXT_QUARTER", SOQL_UNIT_QUARTER, REL_FIXED, 1, 2},
    {"LAST_YEAR", SOQL_UNIT_YEAR, REL_FIXED, -1, 0},
    {"THIS_YEAR", SOQL_UNIT_YEAR, REL_FIXED, 0, 1},
    {"NEXT_YEAR", SOQL_UNIT_YEAR, REL_FIXED, 1, 2},
    /* NOTE: sfsim's fiscal year is the calendar year, the Salesforce
     * default; orgs with a custom fiscal year differ. */
    {"LAST_FISCAL_QUARTER", SOQL_UNIT_QUARTER, REL_FIXED, -1, 0},
    {"THIS_FISCAL_QUARTER", SOQL_UNIT_QUARTER, REL_FIXED, 0, 1},
    {"NEXT_FISCAL_QUARTER", SOQL_UNIT_QUARTER, REL_FIXED, 1, 2},
    {"LAST_FISCAL_YEAR", SOQL_UNIT_YEAR, REL_FIXED, -1, 0},
    {"THIS_FISCAL_YEAR", SOQL_UNIT_YEAR, REL_FIXED, 0, 1},
    {"NEXT_FISCAL_YEAR", SOQL_UNIT_YEAR, REL_FIXED, 1, 2},
    {"LAST_N_DAYS", SOQL_UNIT_DAY, REL_LAST_N, 0, 0},
    {"NEXT_N_DAYS", SOQL_UNIT_DAY, REL_NEXT_N, 0, 0},
    {"N_DAYS_AGO", SOQL_UNIT_DAY, REL_N_AGO, 0, 0},
    {"LAST_N_WEEKS", SOQL_UNIT_WEEK, REL_LAST_N, 0, 0},
    {"NEXT_N_WEEKS", SOQL_UNIT_WEEK, REL_NEXT_N, 0, 0},
    {"N_WEEKS_AGO", SOQL_UNIT_WEEK, REL_N_AGO, 0, 0},
    {"LAST_N_MONTHS", SOQL_UNIT_MONTH, REL_LAST_N, 0, 0},
    {"NEXT_N_MONTHS", SOQL_UNIT_MONTH, REL_NEXT_N, 0, 0},
    {"N_MONTHS_AGO", SOQL_UNIT_MONTH, REL_N_AGO, 0, 0},
    {"LAST_N_QUARTERS", SOQL_UNIT_QUARTER, REL_LAST_N, 0, 0},
    {"NEXT_N_QUARTERS", SOQL_UNIT_QUARTER, REL_NEXT_N, 0, 0},
    {"N_QUARTERS_AGO", SOQL_UNIT_QUARTER, REL_N_AGO, 0, 0},
    {"LAST_N_YEARS", SOQL_UNIT_YEAR, REL_LAST_N, 0, 0},
    {"NEXT_N_YEARS", SOQL_UNIT_YEAR, REL_NEXT_N, 0, 0},
    {"N_YEARS_AGO", SOQL_UNIT_YEAR, REL_N_AGO, 0, 0},
    {"LAST_N_FISCAL_QUARTERS", SOQL_UNIT_QUARTER, REL_LAST_N, 0, 0},
    {"NEXT_N_FISCAL_QUARTERS", SOQL_UNIT_QUARTER, REL_NEXT_N, 0, 0},
    {"N_FISCAL_QUARTERS_AGO", SOQL_UNIT_QUARTER, REL_N_AGO, 0, 0},
    {"LAST_N_FISCAL_YEARS", SOQL_UNIT_YEAR, REL_LAST_N, 0, 0},
    {"NEXT_N_FISCAL_YEARS", SOQL_UNIT_YEAR, REL_NEXT_N, 0, 0},
    {"N_FISCAL_YEARS_AGO", SOQL_UNIT_YEAR, REL_N_AGO, 0, 0},
};

static const char *tok_text(const struct soql_query *q,
                            const struct soql_token *t)
{
    return q->text + t->start;
}

bool soql__is_keyword(const struct soql_query *q, const struct soql_token *t,
                      const char *kw)
{
    size_t len = strlen(kw);

    return t->kind == SOQL_TOK_IDENT && t->len == len &&
           strncasecmp(tok_text(q, t), kw, len) == 0;
}

static const struct soql_token *peek(const struct parser *p)
{
    return &p->q->toks[p->i];
}

/* The token k places ahead, or the final EOF. */
static const struct soql_token *peek_at(const struct parser *p, size_t k)
{
    size_t i = p->i + k;

    return &p->q->toks[i < p->q->ntoks ? i : p->q->ntoks - 1];
}

static bool at_kind(const struct parser *p, enum soql_tok_kind kind)
{
    return peek(p)->kind == kind;
}

static bool at_keyword(const struct parser *p, const char *kw)
{
    return soql__is_keyword(p->q, peek(p), kw);
}

static void step(struct parser *p)
{
    if (p->i + 1 < p->q->ntoks)
        p->i++;
}

/* Consume the keyword kw when it is next. */
static bool accept_keyword(struct parser *p, const char *kw)
{
    if (!at_keyword(p, kw))
        return false;
    step(p);
    return true;
}

static bool accept_kind(struct parser *p, enum soql_tok_kind kind)
{
    if (!at_kind(p, kind))
        return false;
    step(p);
    return true;
}

static int unexpected_at(struct parser *p, const struct soql_token *t)
{
    if (t->kind == SOQL_TOK_EOF)
        soql__error(p->err, t, "MALFORMED_QUERY", "unexpected token: '<EOF>'");
    else
        soql__error(p->err, t, "MALFORMED_QUERY", "unexpected token: '%.*s'",
                    (int)t->len, tok_text(p->q, t));
    return -1;
}

static int unexpected(struct parser *p)
{
    return unexpected_at(p, peek(p));
}

static int expect_keyword(struct parser *p, const char *kw)
{
    return accept_keyword(p, kw) ? 0 : unexpected(p);
}

static int expect_kind(struct parser *p, enum soql_tok_kind kind)
{
    return accept_kind(p, kind) ? 0 : unexpected(p);
}

static int unsupported(struct parser *p, const char *what)
{
    soql__error(p->err, peek(p), "MALFORMED_QUERY",
                "%s are not supported by sfsim", what);
    return -1;
}

static bool is_clause_word(const struct parser *p, const struct soql_token *t)
{
    for (size_t i = 0; i < ARRAY_SIZE(clause_words); i++)
        if (soql__is_keyword(p->q, t, clause_words[i]))
            return true;
    return false;
}

static bool is_reserved(const struct parser *p, const struct soql_token *t)
{
    for (size_t i = 0; i < ARRAY_SIZE(reserved_words); i++)
        if (soql__is_keyword(p->q, t, reserved_words[i]))
            return true;
    return false;
}

/* Parse Name or Rel.Rel.Name into the token indices of its parts. */
static int parse_path(struct parser *p, size_t **toks, size_t *n)
{
    size_t cap = 0;

    *toks = NULL;
    *n = 0;
    for (;;) {
        if (!at_kind(p, SOQL_TOK_IDENT) || (*n == 0 && is_reserved(p, peek(p))))
            return unexpected(p);
        *toks = xgrow(*toks, &cap, *n + 1, sizeof(**toks));
        (*toks)[(*n)++] = p->i;
        step(p);
        if (!accept_kind(p, SOQL_TOK_DOT))
            return 0;
    }
}

/* Parse FIELDS(ALL), FIELDS(STANDARD) or FIELDS(CUSTOM). */
static int parse_fields_function(struct parser *p, struct soql_item *item)
{
    step(p);
    step(p);
    if (accept_keyword(p, "ALL"))
        item->fields = SOQL_FIELDS_ALL;
    else if (accept_keyword(p, "STANDARD"))
        item->fields = SOQL_FIELDS_STANDARD;
    else if (accept_keyword(p, "CUSTOM"))
        item->fields = SOQL_FIELDS_CUSTOM;
    else
        return unexpected(p);
    return expect_kind(p, SOQL_TOK_RPAREN);
}

static int parse_item(struct parser *p, struct soql_item *item)
{
    const struct soql_token *next = peek_at(p, 1);

    item->tok = p->i;
    if (at_kind(p, SOQL_TOK_LPAREN))
        return unsupported(p, "child relationship subqueries");
    if (at_keyword(p, "TYPEOF"))
        return unsupported(p, "TYPEOF expressions");
    if (at_keyword(p, "FIELDS") && next->kind == SOQL_TOK_LPAREN)
        return parse_fields_function(p, item);
    if (at_kind(p, SOQL_TOK_IDENT) && next->kind == SOQL_TOK_LPAREN) {
        if (at_keyword(p, "COUNT"))
            return unsupported(p, "aggregate functions other than a bare "
                                  "COUNT()");
        return unsupported(p, "functions in the select list");
    }
    return parse_path(p, &item->path_toks, &item->npath);
}

static bool at_count(const struct parser *p)
{
    return at_keyword(p, "COUNT") && peek_at(p, 1)->kind == SOQL_TOK_LPAREN &&
           peek_at(p, 2)->kind == SOQL_TOK_RPAREN;
}

static int parse_select_list(struct parser *p)
{
    struct soql_query *q = p->q;
    size_t cap = 0;

    if (at_count(p)) {
        q->count_only = true;
        step(p);
        step(p);
        step(p);
        return 0;
    }
    for (;;) {
        struct soql_item *item;

        /* COUNT() next to fields is an aggregate query (GROUP BY). */
        if (at_count(p))
            return unsupported(p, "aggregate functions other than a bare "
                                  "COUNT()");
        q->items = xgrow(q->items, &cap, q->nitems + 1, sizeof(*q->items));
        item = &q->items[q->nitems++];
        memset(item, 0, sizeof(*item));
        if (parse_item(p, item) < 0)
            return -1;
        if (!accept_kind(p, SOQL_TOK_COMMA))
            return 0;
    }
}

/* Read a non-negative integer literal. */
static int parse_count_number(struct parser *p, long long *out)
{
    const struct soql_token *t = peek(p);
    const char *s = tok_text(p->q, t);

    if (t->kind != SOQL_TOK_NUMBER || s[0] == '-' || s[0] == '+' ||
        memchr(s, '.', t->len) || t->number > 1e15)
        return unexpected(p);
    *out = (long long)t->number;
    step(p);
    return 0;
}

/* Parse a relative date literal, with its ":n" when it takes one. */
static int parse_relative(struct parser *p, size_t k, struct soql_literal *lit)
{
    long long n = 0;

    step(p);
    lit->kind = SOQL_V_RELATIVE;
    lit->unit = relative_literals[k].unit;
    if (relative_literals[k].form == REL_FIXED) {
        lit->from = relative_literals[k].from;
        lit->to = relative_literals[k].to;
        return 0;
    }
    if (expect_kind(p, SOQL_TOK_COLON) < 0 || parse_count_number(p, &n) < 0)
        return -1;
    if (n > RELATIVE_N_MAX) {
        soql__error(p->err, &p->q->toks[lit->tok], "MALFORMED_QUERY",
                    "the number in %s must be at most %d",
                    relative_literals[k].name, RELATIVE_N_MAX);
        return -1;
    }
    switch (relative_literals[k].form) {
    case REL_LAST_N:
        /* LAST_N_DAYS includes today; the longer units end before the
         * current one. */
        lit->from = -n;
        lit->to = lit->unit == SOQL_UNIT_DAY ? 1 : 0;
        break;
    case REL_NEXT_N:
        lit->from = 1;
        lit->to = n + 1;
        break;
    default:
        lit->from = -n;
        lit->to = -n + 1;
        break;
    }
    return 0;
}

static int parse_literal(struct parser *p, struct soql_literal *lit)
{
    const struct soql_token *t = peek(p);

    memset(lit, 0, sizeof(*lit));
    lit->tok = p->i;
    switch (t->kind) {
    case SOQL_TOK_STRING:
        lit->kind = SOQL_V_TEXT;
        break;
    case SOQL_TOK_NUMBER:
        lit->kind = SOQL_V_NUMBER;
        break;
    case SOQL_TOK_DATE:
    case SOQL_TOK_DATETIME:
        lit->kind = SOQL_V_RANGE;
        lit->datetime = t->kind == SOQL_TOK_DATETIME;
        break;
    case SOQL_TOK_IDENT:
        if (at_keyword(p, "null")) {
            lit->kind = SOQL_V_NULL;
            break;
        }
        if (at_keyword(p, "true") || at_keyword(p, "false")) {
            lit->kind = SOQL_V_BOOL;
            break;
        }
        for (size_t k = 0; k < ARRAY_SIZE(relative_literals); k++)
            if (at_keyword(p, relative_literals[k].name))
                return parse_relative(p, k, lit);
        return unexpected(p);
    default:
        return unexpected(p);
    }
    step(p);
    return 0;
}

static int parse_literal_list(struct parser *p, struct soql_cond *c)
{
    size_t cap = 0;

    if (expect_kind(p, SOQL_TOK_LPAREN) < 0)
        return -1;
    if (at_keyword(p, "SELECT"))
        return unsupported(p, "semi-join subqueries");
    for (;;) {
        c->lits = xgrow(c->lits, &cap, c->nlits + 1, sizeof(*c->lits));
        if (parse_literal(p, &c->lits[c->nlits]) < 0)
            return -1;
        c->nlits++;
        if (!accept_kind(p, SOQL_TOK_COMMA))
            break;
    }
    return expect_kind(p, SOQL_TOK_RPAREN);
}

static const struct {
    enum soql_tok_kind kind;
    enum soql_op op;
} symbol_ops[] = {
    {SOQL_TOK_EQ, SOQL_OP_EQ}, {SOQL_TOK_NE, SOQL_OP_NE},
    {SOQL_TOK_LT, SOQL_OP_LT}, {SOQL_TOK_LE, SOQL_OP_LE},
    {SOQL_TOK_GT, SOQL_OP_GT}, {SOQL_TOK_GE, SOQL_OP_GE},
};

/* Parse the operator of a comparison; return 1 when it takes a list. */
static int parse_operator(struct parser *p, struct soql_cond *c)
{
    c->op_tok = p->i;
    for (size_t i = 0; i < ARRAY_SIZE(symbol_ops); i++) {
        if (accept_kind(p, symbol_ops[i].kind)) {
            c->op = symbol_ops[i].op;
            return 0;
        }
    }
    if (accept_keyword(p, "LIKE")) {
        c->op = SOQL_OP_LIKE;
        return 0;
    }
    if (accept_keyword(p, "IN")) {
        c->op = SOQL_OP_IN;
        return 1;
    }
    if (accept_keyword(p, "INCLUDES")) {
        c->op = SOQL_OP_INCLUDES;
        return 1;
    }
    if (accept_keyword(p, "EXCLUDES")) {
        c->op = SOQL_OP_EXCLUDES;
        return 1;
    }
    if (at_keyword(p, "NOT") && soql__is_keyword(p->q, peek_at(p, 1), "IN")) {
        step(p);
        step(p);
        c->op = SOQL_OP_NOT_IN;
        return 1;
    }
    return unexpected(p);
}

static struct soql_cond *new_cond(enum soql_cond_kind kind)
{
    struct soql_cond *c = xcalloc(1, sizeof(*c));

    c->kind = kind;
    return c;
}

static void add_kid(struct soql_cond *c, struct soql_cond *kid, size_t *cap)
{
    c->kids = xgrow(c->kids, cap, c->nkids + 1, sizeof(*c->kids));
    c->kids[c->nkids++] = kid;
}

static struct soql_cond *parse_comparison(struct parser *p)
{
    struct soql_cond *c = new_cond(SOQL_COND_CMP);
    int list;

    if (parse_path(p, &c->path_toks, &c->npath) < 0)
        goto fail;
    list = parse_operator(p, c);
    if (list < 0)
        goto fail;
    if (list) {
        if (parse_literal_list(p, c) < 0)
            goto fail;
        return c;
    }
    c->lits = xcalloc(1, sizeof(*c->lits));
    c->nlits = 1;
    if (parse_literal(p, &c->lits[0]) < 0)
        goto fail;
    return c;
fail:
    soql__cond_free(c);
    return NULL;
}

static struct soql_cond *parse_expr(struct parser *p);

static struct soql_cond *parse_unary(struct parser *p)
{
    struct soql_cond *c, *kid;
    size_t cap = 0;

    if (accept_keyword(p, "NOT")) {
        kid = parse_unary(p);
        if (!kid)
            return NULL;
        c = new_cond(SOQL_COND_NOT);
        add_kid(c, kid, &cap);
        return c;
    }
    if (!accept_kind(p, SOQL_TOK_LPAREN))
        return parse_comparison(p);
    c = parse_expr(p);
    if (c && expect_kind(p, SOQL_TOK_RPAREN) < 0) {
        soql__cond_free(c);
        return NULL;
    }
    return c;
}

/*
 * Parse a chain of conditions joined by AND, or by OR. SOQL does not rank
 * AND above OR: mixing them without parentheses is a syntax error.
 */
static struct soql_cond *parse_expr(struct parser *p)
{
    struct soql_cond *first = parse_unary(p), *chain, *kid;
    const char *joiner, *other;
    size_t cap = 0;

    if (!first)
        return NULL;
    if (at_keyword(p, "AND")) {
        joiner = "AND";
        other = "OR";
    } else if (at_keyword(p, "OR")) {
        joiner = "OR";
        other = "AND";
    } else {
        return first;
    }
    chain = new_cond(joiner[0] == 'A' ? SOQL_COND_AND : SOQL_COND_OR);
    add_kid(chain, first, &cap);
    while (accept_keyword(p, joiner)) {
        kid = parse_unary(p);
        if (!kid) {
            soql__cond_free(chain);
            return NULL;
        }
        add_kid(chain, kid, &cap);
    }
    if (at_keyword(p, other)) {
        unexpected(p);
        soql__cond_free(chain);
        return NULL;
    }
    return chain;
}

static int parse_order_by(struct parser *p)
{
    struct soql_query *q = p->q;
    size_t cap = 0;

    for (;;) {
        struct soql_order *o;

        q->order = xgrow(q->order, &cap, q->norder + 1, sizeof(*q->order));
        o = &q->order[q->norder++];
        memset(o, 0, sizeof(*o));
        if (parse_path(p, &o->path_toks, &o->npath) < 0)
            return -1;
        if (accept_keyword(p, "DESC"))
            o->desc = true;
        else
            accept_keyword(p, "ASC");
        /* Salesforce puts nulls first in ascending order and last in
         * descending order unless NULLS requests otherwise. */
        o->nulls_last = o->desc;
        if (accept_keyword(p, "NULLS")) {
            if (accept_keyword(p, "FIRST"))
                o->nulls_last = false;
            else if (accept_keyword(p, "LAST"))
                o->nulls_last = true;
            else
                return unexpected(p);
        }
        if (!accept_kind(p, SOQL_TOK_COMMA))
            return 0;
    }
}

/* Parse the clauses after FROM: WHERE, WITH, ORDER BY, LIMIT, OFFSET and
 * FOR, in that order. */
static int parse_tail(struct parser *p)
{
    struct soql_query *q = p->q;

    if (accept_keyword(p, "WHERE")) {
        q->where = parse_expr(p);
        if (!q->where)
            return -1;
    }
    if (accept_keyword(p, "WITH")) {
        /* Sharing and field-level security modes change nothing here,
         * because sfsim has no sharing rules. */
        if (!accept_keyword(p, "SECURITY_ENFORCED") &&
            !accept_keyword(p, "USER_MODE") &&
            !accept_keyword(p, "SYSTEM_MODE"))
            return unexpected(p);
    }
    if (at_keyword(p, "GROUP"))
        return unsupported(p, "GROUP BY clauses");
    if (accept_keyword(p, "ORDER")) {
        if (expect_keyword(p, "BY") < 0 || parse_order_by(p) < 0)
            return -1;
    }
    if (accept_keyword(p, "LIMIT") && parse_count_number(p, &q->limit) < 0)
        return -1;
    if (accept_keyword(p, "OFFSET")) {
        if (parse_count_number(p, &q->offset) < 0)
            return -1;
        if (q->offset > SOQL_MAX_OFFSET) {
            soql__error(p->err, NULL, "NUMBER_OUTSIDE_VALID_RANGE",
                        "Maximum SOQL offset allowed is %d", SOQL_MAX_OFFSET);
            return -1;
        }
    }
    if (accept_keyword(p, "FOR")) {
        if (!accept_keyword(p, "VIEW") && !accept_keyword(p, "REFERENCE") &&
            !accept_keyword(p, "UPDATE"))
            return unexpected(p);
    }
    return at_kind(p, SOQL_TOK_EOF) ? 0 : unexpected(p);
}

static int parse_query(struct parser *p)
{
    struct soql_query *q = p->q;

    if (expect_keyword(p, "SELECT") < 0 || parse_select_list(p) < 0 ||
        expect_keyword(p, "FROM") < 0)
        return -1;
    if (!at_kind(p, SOQL_TOK_IDENT))
        return unexpected(p);
    q->obj_tok = p->i;
    step(p);
    if (accept_kind(p, SOQL_TOK_COMMA))
        return unsupported(p, "queries of several objects");
    if (at_kind(p, SOQL_TOK_IDENT) && !is_clause_word(p, peek(p))) {
        q->alias_tok = p->i;
        step(p);
    }
    return parse_tail(p);
}

void soql__cond_free(struct soql_cond *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->nkids; i++)
        soql__cond_free(c->kids[i]);
    free(c->kids);
    free(c->path_toks);
    free(c->lits);
    for (size_t i = 0; i < c->nvalues; i++) {
        free(c->values[i].text);
        for (size_t j = 0; j < c->values[i].nset; j++)
            free(c->values[i].set[j]);
        free(c->values[i].set);
    }
    free(c->values);
    soql__path_release(&c->path);
    free(c);
}

static void select_free(struct soql_select *s)
{
    for (size_t i = 0; i < s->nkids; i++) {
        select_free(s->kids[i]);
        free(s->kids[i]);
    }
    free(s->kids);
}

void soql_query_free(struct soql_query *q)
{
    if (!q)
        return;
    for (size_t i = 0; i < q->nitems; i++)
        free(q->items[i].path_toks);
    free(q->items);
    for (size_t i = 0; i < q->ncolumns; i++)
        soql__path_release(&q->columns[i]);
    free(q->columns);
    select_free(&q->root);
    soql__cond_free(q->where);
    for (size_t i = 0; i < q->norder; i++) {
        free(q->order[i].path_toks);
        soql__path_release(&q->order[i].path);
    }
    free(q->order);
    free(q->toks);
    free(q->text);
    free(q);
}

int soql_parse(struct sim_org *org, const char *text, struct soql_query **out,
               struct soql_error *err)
{
    struct soql_query *q = xcalloc(1, sizeof(*q));
    struct parser p = {.q = q, .err = err};

    *out = NULL;
    q->org = org;
    q->text = xstrdup(text);
    q->limit = -1;
    q->offset = -1;
    if (soql__tokenize(q->text, &q->toks, &q->ntoks, err) < 0 ||
        parse_query(&p) < 0 || soql__resolve(q, err) < 0) {
        soql_query_free(q);
        return -1;
    }
    *out = q;
    return 0;
}

struct sim_object *soql_query_object(const struct soql_query *q)
{
    return q->obj;
}

bool soql_query_is_count(const struct soql_query *q)
{
    return q->count_only;
}

bool soql_query_has_offset(const struct soql_query *q)
{
    return q->offset >= 0;
}
