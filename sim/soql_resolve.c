/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * Binding a parsed SOQL query to the org's schema: the FROM object, field
 * paths through parent relationships, and literals typed by the field they
 * are compared with. The errors match Salesforce's codes and wording.
 */
#include "base/common.h"

#include <strings.h>

#include "base/buf.h"
#include "soql_int.h"

/* Salesforce caps FIELDS(ALL) and FIELDS(CUSTOM) queries at this LIMIT. */
#define FIELDS_LIMIT_MAX 200

enum soql_category soql__category(enum sim_type type)
{
    switch (type) {
    case SIM_T_ID:
    case SIM_T_REFERENCE:
        return SOQL_CAT_ID;
    case SIM_T_BOOLEAN:
        return SOQL_CAT_BOOL;
    case SIM_T_DATE:
        return SOQL_CAT_DATE;
    case SIM_T_DATETIME:
        return SOQL_CAT_DATETIME;
    case SIM_T_DOUBLE:
    case SIM_T_CURRENCY:
    case SIM_T_PERCENT:
    case SIM_T_INT:
        return SOQL_CAT_NUMBER;
    case SIM_T_MULTIPICKLIST:
        return SOQL_CAT_MULTI;
    case SIM_T_ADDRESS:
        return SOQL_CAT_COMPOUND;
    default:
        return SOQL_CAT_TEXT;
    }
}

/* The type name Salesforce uses in filter errors. */
static const char *filter_type_name(const struct sim_field *f)
{
    switch (soql__category(f->type)) {
    case SOQL_CAT_ID:
        return "id";
    case SOQL_CAT_BOOL:
        return "boolean";
    case SOQL_CAT_DATE:
        return "date";
    case SOQL_CAT_DATETIME:
        return "dateTime";
    case SOQL_CAT_NUMBER:
        return f->type == SIM_T_INT        ? "int"
               : f->type == SIM_T_CURRENCY ? "currency"
               : f->type == SIM_T_PERCENT  ? "percent"
                                           : "double";
    case SOQL_CAT_MULTI:
        return "multipicklist";
    case SOQL_CAT_COMPOUND:
        return "address";
    default:
        return "string";
    }
}

void soql__path_release(struct soql_path *p)
{
    free(p->refs);
    free(p->parents);
    free(p->header);
    memset(p, 0, sizeof(*p));
}

static char *tok_dup(const struct soql_query *q, size_t i)
{
    return xstrndup(q->text + q->toks[i].start, q->toks[i].len);
}

static bool tok_equal(const struct soql_query *q, size_t i, const char *s)
{
    const struct soql_token *t = &q->toks[i];

    return strlen(s) == t->len &&
           strncasecmp(q->text + t->start, s, t->len) == 0;
}

/* A boolean flag of f's describe entry; absent flags count as set. */
static bool describe_flag(const struct sim_field *f, const char *key)
{
    json_t *v = f->describe ? json_object_get(f->describe, key) : NULL;

    return !v || json_is_true(v);
}

/* The object a reference field leads to: the first of its referenceTo
 * objects that the org models, so Lead.Owner reaches User, not Group. */
static struct sim_object *relationship_target(const struct sim_org *org,
                                              const struct sim_field *f)
{
    json_t *refs =
        f->describe ? json_object_get(f->describe, "referenceTo") : NULL;
    size_t i;
    json_t *v;

    json_array_foreach(refs, i, v)
    {
        struct sim_object *obj = sim_org_object(org, json_string_value(v));

        if (obj)
            return obj;
    }
    return sim_org_object(org, f->reference_to);
}

static int no_such_column(const struct soql_query *q, size_t tok,
                          const char *name, const struct sim_object *obj,
                          struct soql_error *err)
{
    soql__error(err, &q->toks[tok], "INVALID_FIELD",
                "No such column '%s' on entity '%s'. If you are attempting "
                "to use a custom field, be sure to append the '__c' after "
                "the custom field name. Please reference your WSDL or the "
                "describe call for the appropriate names.",
                name, obj->name);
    return -1;
}

static int bad_relationship(const struct soql_query *q, size_t tok,
                            const char *name, struct soql_error *err)
{
    soql__error(err, &q->toks[tok], "INVALID_FIELD",
                "Didn't understand relationship '%s' in field path. If you "
                "are attempting to use a custom relationship, be sure to "
                "append the '__r' after the custom relationship name. Please "
                "reference your WSDL or the describe call for the "
                "appropriate names.",
                name);
    return -1;
}

static bool toks_equal(const struct soql_query *q, size_t a, size_t b)
{
    const struct soql_token *ta = &q->toks[a], *tb = &q->toks[b];

    return ta->len == tb->len &&
           strncasecmp(q->text + ta->start, q->text + tb->start, ta->len) == 0;
}

/* Whether the first part of a path names the FROM object itself, as in
 * "Contact.LastName", or "c.LastName" after "FROM Contact c". */
static bool names_from_object(const struct soql_query *q, size_t tok)
{
    char *name;
    bool relationship;

    if (q->alias_tok && toks_equal(q, q->alias_tok, tok))
        return true;
    if (!tok_equal(q, tok, q->obj->name))
        return false;
    name = tok_dup(q, tok);
    relationship = hmap_get(&q->obj->by_relationship, name) != NULL;
    free(name);
    return !relationship;
}

/* Walk the relationship parts of a path; return the object of its last
 * part, or NULL with err filled. */
static struct sim_object *
resolve_hops(struct soql_query *q, const size_t *toks, size_t first, size_t n,
             struct soql_path *out, struct buf *header, struct soql_error *err)
{
    struct sim_object *obj = q->obj;

    out->refs = xcalloc(n, sizeof(*out->refs));
    out->parents = xcalloc(n, sizeof(*out->parents));
    for (size_t i = first; i + 1 < n; i++) {
        char *name = tok_dup(q, toks[i]);
        struct sim_field *f = hmap_get(&obj->by_relationship, name);
        struct sim_object *target = f ? relationship_target(q->org, f) : NULL;

        if (!target) {
            bad_relationship(q, toks[first], name, err);
            free(name);
            return NULL;
        }
        free(name);
        out->refs[out->nrefs] = f;
        out->parents[out->nrefs++] = target;
        buf_printf(header, "%s.", f->relationship_name);
        obj = target;
    }
    return obj;
}

static int resolve_path(struct soql_query *q, const size_t *toks, size_t n,
                        struct soql_path *out, struct soql_error *err)
{
    size_t first = n > 1 && names_from_object(q, toks[0]) ? 1 : 0;
    struct sim_object *obj;
    struct sim_field *f;
    struct buf header;
    char *name;

    memset(out, 0, sizeof(*out));
    buf_init(&header, 0);
    obj = resolve_hops(q, toks, first, n, out, &header, err);
    if (!obj) {
        buf_release(&header);
        soql__path_release(out);
        return -1;
    }
    name = tok_dup(q, toks[n - 1]);
    f = sim_object_field(obj, name);
    if (!f) {
        no_such_column(q, toks[first], name, obj, err);
        free(name);
        buf_release(&header);
        soql__path_release(out);
        return -1;
    }
    free(name);
    buf_puts(&header, f->name);
    out->field = f;
    out->header = buf_detach(&header);
    out->is_id = out->nrefs == 0 && (int)f->index == q->obj->f_id;
    out->is_modstamp =
        out->nrefs == 0 && (int)f->index == q->obj->f_system_modstamp;
    return 0;
}

/* Add a column to the select tree under its relationship nodes. */
static void tree_add(struct soql_select *node, const struct soql_path *p)
{
    struct soql_select *kid;

    for (size_t i = 0; i < p->nrefs; i++) {
        struct soql_select *next = NULL;

        for (size_t k = 0; k < node->nkids && !next; k++)
            if (node->kids[k]->target && node->kids[k]->field == p->refs[i])
                next = node->kids[k];
        if (!next) {
            next = xcalloc(1, sizeof(*next));
            next->field = p->refs[i];
            next->target = p->parents[i];
            node->kids =
                xrealloc(node->kids, (node->nkids + 1) * sizeof(*node->kids));
            node->kids[node->nkids++] = next;
        }
        node = next;
    }
    kid = xcalloc(1, sizeof(*kid));
    kid->field = p->field;
    node->kids = xrealloc(node->kids, (node->nkids + 1) * sizeof(*node->kids));
    node->kids[node->nkids++] = kid;
}

static bool has_column(const struct soql_query *q, const char *header)
{
    for (size_t i = 0; i < q->ncolumns; i++)
        if (strcasecmp(q->columns[i].header, header) == 0)
            return true;
    return false;
}

/* Take ownership of p as the next column. */
static void add_column(struct soql_query *q, struct soql_path *p, size_t *cap)
{
    q->columns = xgrow(q->columns, cap, q->ncolumns + 1, sizeof(*q->columns));
    q->columns[q->ncolumns++] = *p;
    tree_add(&q->root, p);
}

static int add_fields_function(struct soql_query *q,
                               const struct soql_item *item, size_t *cap,
                               struct soql_error *err)
{
    const struct sim_object *obj = q->obj;

    if (item->fields != SOQL_FIELDS_STANDARD &&
        (q->limit < 0 || q->limit > FIELDS_LIMIT_MAX)) {
        soql__error(err, &q->toks[item->tok], "MALFORMED_QUERY",
                    "The SOQL FIELDS function must have a LIMIT of at most "
                    "%d",
                    FIELDS_LIMIT_MAX);
        return -1;
    }
    for (size_t i = 0; i < obj->nfields; i++) {
        struct sim_field *f = obj->fields[i];
        struct soql_path p = {0};

        if ((item->fields == SOQL_FIELDS_STANDARD && f->custom) ||
            (item->fields == SOQL_FIELDS_CUSTOM && !f->custom) ||
            has_column(q, f->name))
            continue;
        p.field = f;
        p.header = xstrdup(f->name);
        p.is_id = (int)i == obj->f_id;
        p.is_modstamp = (int)i == obj->f_system_modstamp;
        add_column(q, &p, cap);
    }
    return 0;
}

static int resolve_select(struct soql_query *q, struct soql_error *err)
{
    size_t cap = 0;

    for (size_t i = 0; i < q->nitems; i++) {
        const struct soql_item *item = &q->items[i];
        struct soql_path p;

        if (item->fields != SOQL_FIELDS_NONE) {
            if (add_fields_function(q, item, &cap, err) < 0)
                return -1;
            continue;
        }
        if (resolve_path(q, item->path_toks, item->npath, &p, err) < 0)
            return -1;
        if (has_column(q, p.header)) {
            soql__error(err, &q->toks[item->tok], "MALFORMED_QUERY",
                        "duplicate field selected: %s", p.field->name);
            soql__path_release(&p);
            return -1;
        }
        add_column(q, &p, &cap);
    }
    return 0;
}

static int type_error(const struct soql_query *q, const struct soql_cond *c,
                      const struct soql_literal *lit, struct soql_error *err)
{
    bool quoted = soql__category(c->path.field->type) == SOQL_CAT_TEXT ||
                  soql__category(c->path.field->type) == SOQL_CAT_MULTI ||
                  soql__category(c->path.field->type) == SOQL_CAT_ID;

    soql__error(err, &q->toks[lit->tok], "INVALID_QUERY_FILTER_OPERATOR",
                "value of filter criterion for field '%s' must be of type %s "
                "and should %sbe enclosed in quotes",
                c->path.field->name, filter_type_name(c->path.field),
                quoted ? "" : "not ");
    return -1;
}

static int compare_text(const void *a, const void *b)
{
    return strcasecmp(*(char *const *)a, *(char *const *)b);
}

/* Split "a;b" into a sorted set of lower-case values. */
static void split_set(const char *text, struct soql_value *v)
{
    const char *p = text;

    v->kind = SOQL_V_SET;
    while (*p) {
        const char *end = strchr(p, ';');
        size_t len = end ? (size_t)(end - p) : strlen(p);

        if (len > 0) {
            char *item = xstrndup(p, len);

            for (char *c = item; *c; c++)
                if (*c >= 'A' && *c <= 'Z')
                    *c = (char)(*c + 32);
            v->set = xrealloc(v->set, (v->nset + 1) * sizeof(*v->set));
            v->set[v->nset++] = item;
        }
        p += len;
        if (*p == ';')
            p++;
    }
    qsort(v->set, v->nset, sizeof(*v->set), compare_text);
}

/* Type a string literal for a text, multi-select or id field. */
static int type_string(const struct soql_query *q, struct soql_cond *c,
                       const struct soql_literal *lit, struct soql_value *v,
                       struct soql_error *err)
{
    const struct soql_token *t = &q->toks[lit->tok];
    char *text = NULL;

    if (soql__decode_string(q->text, t, c->op == SOQL_OP_LIKE, &text, err) < 0)
        return -1;
    if (!*text && c->op != SOQL_OP_LIKE) {
        /* Salesforce stores an empty text as null, so '' matches null. */
        free(text);
        v->kind = SOQL_V_NULL;
        return 0;
    }
    if (c->category == SOQL_CAT_MULTI) {
        split_set(text, v);
        free(text);
        return 0;
    }
    if (c->category == SOQL_CAT_ID) {
        if (sim_id_to18(text, v->id) < 0) {
            soql__error(err, t, "INVALID_QUERY_FILTER_OPERATOR",
                        "invalid ID field: %s", text);
            free(text);
            return -1;
        }
        free(text);
        v->kind = SOQL_V_ID;
        return 0;
    }
    v->kind = SOQL_V_TEXT;
    v->text = text;
    return 0;
}

/* Type one literal of comparison c by the category of its field. */
static int type_literal(const struct soql_query *q, struct soql_cond *c,
                        const struct soql_literal *lit, struct soql_value *v,
                        struct soql_error *err)
{
    const struct soql_token *t = &q->toks[lit->tok];

    memset(v, 0, sizeof(*v));
    if (lit->kind == SOQL_V_NULL) {
        v->kind = SOQL_V_NULL;
        return 0;
    }
    switch (c->category) {
    case SOQL_CAT_TEXT:
    case SOQL_CAT_MULTI:
    case SOQL_CAT_ID:
        if (lit->kind != SOQL_V_TEXT)
            return type_error(q, c, lit, err);
        return type_string(q, c, lit, v, err);
    case SOQL_CAT_BOOL:
        if (lit->kind != SOQL_V_BOOL)
            return type_error(q, c, lit, err);
        v->kind = SOQL_V_BOOL;
        v->boolean = soql__is_keyword(q, t, "true");
        return 0;
    case SOQL_CAT_NUMBER:
        if (lit->kind != SOQL_V_NUMBER)
            return type_error(q, c, lit, err);
        v->kind = SOQL_V_NUMBER;
        v->number = t->number;
        return 0;
    case SOQL_CAT_DATE:
    case SOQL_CAT_DATETIME:
        break;
    default:
        return type_error(q, c, lit, err);
    }
    if (lit->kind == SOQL_V_RELATIVE) {
        v->kind = SOQL_V_RELATIVE;
        v->unit = lit->unit;
        v->from = lit->from;
        v->to = lit->to;
        return 0;
    }
    /* A date field takes a date literal and a datetime field a datetime
     * literal; Salesforce rejects the other pairings. */
    if (lit->kind != SOQL_V_RANGE ||
        lit->datetime != (c->category == SOQL_CAT_DATETIME))
        return type_error(q, c, lit, err);
    v->kind = SOQL_V_RANGE;
    v->lo = lit->datetime ? t->ms : t->days;
    v->hi = v->lo + 1;
    return 0;
}

static int bad_operator(const struct soql_query *q, const struct soql_cond *c,
                        struct soql_error *err)
{
    const struct soql_token *t = &q->toks[c->path_toks[0]];

    if (c->op == SOQL_OP_INCLUDES || c->op == SOQL_OP_EXCLUDES)
        soql__error(err, t, "INVALID_QUERY_FILTER_OPERATOR",
                    "includes or excludes operator only valid on "
                    "multipicklist field");
    else
        soql__error(err, t, "INVALID_QUERY_FILTER_OPERATOR",
                    "invalid operator on %s field",
                    filter_type_name(c->path.field));
    return -1;
}

static bool is_range(enum soql_op op)
{
    return op == SOQL_OP_LT || op == SOQL_OP_LE || op == SOQL_OP_GT ||
           op == SOQL_OP_GE;
}

/* Whether op applies to values of category cat. */
static bool operator_valid(enum soql_category cat, enum soql_op op)
{
    bool set_op = op == SOQL_OP_INCLUDES || op == SOQL_OP_EXCLUDES;

    switch (cat) {
    case SOQL_CAT_TEXT:
        return !set_op;
    case SOQL_CAT_MULTI:
        return op != SOQL_OP_LIKE && !is_range(op);
    case SOQL_CAT_BOOL:
        return op != SOQL_OP_LIKE && !set_op && !is_range(op);
    default:
        return op != SOQL_OP_LIKE && !set_op;
    }
}

static int resolve_comparison(struct soql_query *q, struct soql_cond *c,
                              struct soql_error *err)
{
    const struct sim_field *f;

    if (resolve_path(q, c->path_toks, c->npath, &c->path, err) < 0)
        return -1;
    f = c->path.field;
    c->category = soql__category(f->type);
    if (!describe_flag(f, "filterable") || c->category == SOQL_CAT_COMPOUND) {
        soql__error(err, &q->toks[c->path_toks[0]], "INVALID_FIELD",
                    "field '%s' can not be filtered in a query call", f->name);
        return -1;
    }
    if (!operator_valid(c->category, c->op))
        return bad_operator(q, c, err);
    c->values = xcalloc(c->nlits, sizeof(*c->values));
    for (size_t i = 0; i < c->nlits; i++) {
        if (type_literal(q, c, &c->lits[i], &c->values[i], err) < 0)
            return -1;
        c->nvalues++;
    }
    return 0;
}

static int resolve_cond(struct soql_query *q, struct soql_cond *c,
                        struct soql_error *err)
{
    if (c->kind == SOQL_COND_CMP)
        return resolve_comparison(q, c, err);
    for (size_t i = 0; i < c->nkids; i++)
        if (resolve_cond(q, c->kids[i], err) < 0)
            return -1;
    return 0;
}

static int resolve_order(struct soql_query *q, struct soql_error *err)
{
    for (size_t i = 0; i < q->norder; i++) {
        struct soql_order *o = &q->order[i];

        if (resolve_path(q, o->path_toks, o->npath, &o->path, err) < 0)
            return -1;
        o->category = soql__category(o->path.field->type);
        if (!describe_flag(o->path.field, "sortable") ||
            o->category == SOQL_CAT_COMPOUND || o->category == SOQL_CAT_MULTI) {
            soql__error(err, &q->toks[o->path_toks[0]], "INVALID_FIELD",
                        "field '%s' can not be sorted in a query call",
                        o->path.field->name);
            return -1;
        }
    }
    return 0;
}

int soql__resolve(struct soql_query *q, struct soql_error *err)
{
    char *name = tok_dup(q, q->obj_tok);

    q->obj = sim_org_object(q->org, name);
    if (!q->obj) {
        soql__error(err, &q->toks[q->obj_tok], "INVALID_TYPE",
                    "sObject type '%s' is not supported. If you are "
                    "attempting to use a custom object, be sure to append "
                    "the '__c' after the entity name. Please reference your "
                    "WSDL or the describe call for the appropriate names.",
                    name);
        free(name);
        return -1;
    }
    free(name);
    if (resolve_select(q, err) < 0)
        return -1;
    if (q->where && resolve_cond(q, q->where, err) < 0)
        return -1;
    return resolve_order(q, err);
}
