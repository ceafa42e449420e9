/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * Running a resolved SOQL query: relative date literals, the WHERE filter
 * with Salesforce's typed comparisons, ORDER BY, OFFSET and LIMIT. The
 * filter allocates nothing per record, and sorting extracts each key once
 * per row before one qsort_r.
 */
#include "base/common.h"

#include "base/datetime.h"
#include "soql_int.h"

#define MS_PER_DAY INT64_C(86400000)

const char *soql__value(const struct sim_record *rec, const struct sim_field *f)
{
    return f->index < rec->nvalues ? rec->values[f->index] : NULL;
}

const struct sim_record *soql__lookup(const struct sim_object *obj,
                                      const char *id)
{
    char id18[19];

    if (!id || !*id)
        return NULL;
    if (strlen(id) == 18)
        return hmap_get(&obj->by_id, id);
    if (sim_id_to18(id, id18) < 0)
        return NULL;
    return hmap_get(&obj->by_id, id18);
}

const struct sim_record *soql__walk(const struct soql_path *p,
                                    const struct sim_record *rec)
{
    for (size_t i = 0; i < p->nrefs && rec; i++)
        rec = soql__lookup(p->parents[i], soql__value(rec, p->refs[i]));
    return rec;
}

/* Dates. */

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;

    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Days since the epoch of a proleptic Gregorian date; month may run past
 * 1..12 and is carried into the year. */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
    int64_t carry = floor_div(m - 1, 12);
    int64_t era, yoe, doy, doe;

    y += carry;
    m -= carry * 12;
    y -= m <= 2;
    era = floor_div(y, 400);
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int64_t *m)
{
    int64_t era, doe, yoe, doy, mp;

    z += 719468;
    era = floor_div(z, 146097);
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yoe + era * 400 + (*m <= 2);
}

void soql__date_range(int64_t today, enum soql_date_unit unit, int64_t from,
                      int64_t to, int64_t *lo, int64_t *hi)
{
    int64_t y, m, start;

    civil_from_days(today, &y, &m);
    switch (unit) {
    case SOQL_UNIT_DAY:
        *lo = today + from;
        *hi = today + to;
        return;
    case SOQL_UNIT_WEEK:
        /* 1970-01-01 was a Thursday, so day 0 is weekday 4. */
        start = today - (((today + 4) % 7) + 7) % 7;
        *lo = start + 7 * from;
        *hi = start + 7 * to;
        return;
    case SOQL_UNIT_MONTH:
        *lo = days_from_civil(y, m + from, 1);
        *hi = days_from_civil(y, m + to, 1);
        return;
    case SOQL_UNIT_QUARTER:
        start = m - (m - 1) % 3;
        *lo = days_from_civil(y, start + 3 * from, 1);
        *hi = days_from_civil(y, start + 3 * to, 1);
        return;
    case SOQL_UNIT_YEAR:
        *lo = days_from_civil(y + from, 1, 1);
        *hi = days_from_civil(y + to, 1, 1);
        return;
    }
}

/* Turn the relative date literals of c into ranges for this run. */
static void bind_dates(struct soql_cond *c, int64_t now_ms)
{
    int64_t today = floor_div(now_ms, MS_PER_DAY);

    for (size_t i = 0; i < c->nkids; i++)
        bind_dates(c->kids[i], now_ms);
    for (size_t i = 0; i < c->nvalues; i++) {
        struct soql_value *v = &c->values[i];

        if (v->kind != SOQL_V_RELATIVE)
            continue;
        soql__date_range(today, v->unit, v->from, v->to, &v->lo, &v->hi);
        /* A datetime compared with a date literal covers whole UTC days. */
        if (c->category == SOQL_CAT_DATETIME) {
            v->lo *= MS_PER_DAY;
            v->hi *= MS_PER_DAY;
        }
    }
}

/* Text. Salesforce compares text without regard to case, for letters of
 * every script; sfsim folds the scripts that sim_utf8_fold covers. */

static int fold_compare(const char *a, const char *b)
{
    return sim_utf8_casecmp(a, b);
}

/* Whether a[0..len) equals b without regard to case; len ends at a
 * character boundary. */
static bool fold_equal_n(const char *a, size_t len, const char *b)
{
    const char *end = a + len;

    while (a < end)
        if (!*b || sim_utf8_next_folded(&a) != sim_utf8_next_folded(&b))
            return false;
    return !*b;
}

static const char *next_char(const char *s)
{
    s++;
    while (((unsigned char)*s & 0xC0) == 0x80)
        s++;
    return s;
}

/* Match s against a LIKE pattern: % is any run, _ one character, and a
 * backslash makes the next character literal. */
static bool like_match(const char *pat, const char *s)
{
    const char *star_pat = NULL, *star_s = NULL;

    while (*s) {
        const char *lit = pat, *t = s;

        if (*pat == '%') {
            star_pat = ++pat;
            star_s = s;
            continue;
        }
        if (*pat == '_') {
            pat++;
            s = next_char(s);
            continue;
        }
        if (*lit == '\\' && lit[1])
            lit++;
        if (*pat && sim_utf8_next_folded(&lit) == sim_utf8_next_folded(&t)) {
            pat = lit;
            s = t;
            continue;
        }
        if (!star_pat)
            return false;
        star_s = next_char(star_s);
        s = star_s;
        pat = star_pat;
    }
    while (*pat == '%')
        pat++;
    return !*pat;
}

static bool op_holds(enum soql_op op, int cmp)
{
    switch (op) {
    case SOQL_OP_LT:
        return cmp < 0;
    case SOQL_OP_LE:
        return cmp <= 0;
    case SOQL_OP_GT:
        return cmp > 0;
    case SOQL_OP_GE:
        return cmp >= 0;
    default:
        return false;
    }
}

/* One record value, read as the category of its field. */
struct operand {
    bool null;
    const char *text; /* text, multi-select value or 18-character id */
    int64_t integer;  /* boolean (0 or 1), days or ms */
    double number;
};

static bool set_contains(const char *value, const char *item)
{
    const char *p = value;

    while (p && *p) {
        const char *end = strchr(p, ';');
        size_t len = end ? (size_t)(end - p) : strlen(p);

        if (fold_equal_n(p, len, item))
            return true;
        p = end ? end + 1 : NULL;
    }
    return false;
}

/* Whether the multi-select value contains every item of v. */
static bool set_includes(const char *value, const struct soql_value *v)
{
    for (size_t i = 0; i < v->nset; i++)
        if (!set_contains(value, v->set[i]))
            return false;
    return true;
}

/* Whether the multi-select value contains exactly the items of v. */
static bool set_equal(const char *value, const struct soql_value *v)
{
    const char *p = value;

    if (!set_includes(value, v))
        return false;
    while (*p) {
        const char *end = strchr(p, ';');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        bool found = len == 0;

        for (size_t i = 0; i < v->nset && !found; i++)
            found = fold_equal_n(p, len, v->set[i]);
        if (!found)
            return false;
        p += len;
        if (*p == ';')
            p++;
    }
    return true;
}

/* Whether the operand equals literal v, nulls included. */
static bool operand_equal(const struct soql_cond *c, const struct operand *o,
                          const struct soql_value *v)
{
    if (v->kind == SOQL_V_NULL || o->null)
        return v->kind == SOQL_V_NULL && o->null;
    switch (c->category) {
    case SOQL_CAT_TEXT:
        return fold_compare(o->text, v->text) == 0;
    case SOQL_CAT_MULTI:
        return set_equal(o->text, v);
    case SOQL_CAT_ID:
        return memcmp(o->text, v->id, 18) == 0;
    case SOQL_CAT_BOOL:
        return o->integer == v->boolean;
    case SOQL_CAT_NUMBER:
        return o->number == v->number;
    case SOQL_CAT_DATE:
    case SOQL_CAT_DATETIME:
        return o->integer >= v->lo && o->integer < v->hi;
    default:
        return false;
    }
}

/* <, <=, > and >= against one literal; nulls never match. */
static bool operand_range(const struct soql_cond *c, const struct operand *o,
                          const struct soql_value *v)
{
    int cmp;

    if (o->null || v->kind == SOQL_V_NULL)
        return false;
    switch (c->category) {
    case SOQL_CAT_TEXT:
        cmp = fold_compare(o->text, v->text);
        break;
    case SOQL_CAT_ID:
        cmp = memcmp(o->text, v->id, 18);
        break;
    case SOQL_CAT_NUMBER:
        cmp = (o->number > v->number) - (o->number < v->number);
        break;
    case SOQL_CAT_DATE:
    case SOQL_CAT_DATETIME:
        /* A literal is the range [lo, hi): a single day or instant, or a
         * relative period. */
        switch (c->op) {
        case SOQL_OP_LT:
            return o->integer < v->lo;
        case SOQL_OP_LE:
            return o->integer < v->hi;
        case SOQL_OP_GT:
            return o->integer >= v->hi;
        default:
            return o->integer >= v->lo;
        }
    default:
        return false;
    }
    return op_holds(c->op, cmp);
}

static bool any_equal(const struct soql_cond *c, const struct operand *o)
{
    for (size_t i = 0; i < c->nvalues; i++)
        if (operand_equal(c, o, &c->values[i]))
            return true;
    return false;
}

static bool any_includes(const struct soql_cond *c, const struct operand *o)
{
    for (size_t i = 0; i < c->nvalues; i++)
        if (!o->null && c->values[i].kind == SOQL_V_SET &&
            set_includes(o->text, &c->values[i]))
            return true;
    return false;
}

static bool apply_operator(const struct soql_cond *c, const struct operand *o)
{
    const struct soql_value *v = &c->values[0];

    switch (c->op) {
    case SOQL_OP_EQ:
        return operand_equal(c, o, v);
    case SOQL_OP_NE:
        /* Unlike SQL, SOQL's != matches null values. */
        return !operand_equal(c, o, v);
    case SOQL_OP_IN:
        return any_equal(c, o);
    case SOQL_OP_NOT_IN:
        return !any_equal(c, o);
    case SOQL_OP_LIKE:
        return !o->null && v->kind == SOQL_V_TEXT &&
               like_match(v->text, o->text);
    case SOQL_OP_INCLUDES:
        return any_includes(c, o);
    case SOQL_OP_EXCLUDES:
        return !any_includes(c, o);
    default:
        return operand_range(c, o, v);
    }
}

/* Read the value of path p of rec into o, typed by category cat. The id
 * buffer stores a normalised id while o is in use. */
static void read_operand(const struct soql_path *p, enum soql_category cat,
                         const struct sim_record *rec, struct operand *o,
                         char id[19])
{
    const struct sim_record *target = soql__walk(p, rec);
    const char *s = target ? soql__value(target, p->field) : NULL;

    memset(o, 0, sizeof(*o));
    if (target && p->is_id)
        s = target->id;
    if (target && p->is_modstamp) {
        o->integer = target->modstamp_ms;
        return;
    }
    if (!s || !*s) {
        o->null = true;
        return;
    }
    o->text = s;
    switch (cat) {
    case SOQL_CAT_ID:
        if (strlen(s) != 18) {
            if (sim_id_to18(s, id) < 0)
                o->null = true;
            o->text = id;
        }
        break;
    case SOQL_CAT_BOOL:
        o->integer = strcmp(s, "true") == 0;
        break;
    case SOQL_CAT_NUMBER:
        o->number = strtod(s, NULL);
        break;
    case SOQL_CAT_DATE:
        o->null = date_parse(s, &o->integer, NULL) < 0;
        break;
    case SOQL_CAT_DATETIME:
        o->null = datetime_parse(s, &o->integer, NULL) < 0;
        break;
    default:
        break;
    }
}

static bool matches(const struct soql_cond *c, const struct sim_record *rec)
{
    struct operand o;
    char id[19];

    switch (c->kind) {
    case SOQL_COND_AND:
        for (size_t i = 0; i < c->nkids; i++)
            if (!matches(c->kids[i], rec))
                return false;
        return true;
    case SOQL_COND_OR:
        for (size_t i = 0; i < c->nkids; i++)
            if (matches(c->kids[i], rec))
                return true;
        return false;
    case SOQL_COND_NOT:
        return !matches(c->kids[0], rec);
    default:
        read_operand(&c->path, c->category, rec, &o, id);
        return apply_operator(c, &o);
    }
}

/* Sorting. */

/* A sort key read once per row. A text key keeps its first 8 folded bytes
 * in order, so most comparisons touch no record memory. */
struct sort_key {
    const char *s; /* an 18-character id, or text of 8 bytes or more whose
                      prefix alone cannot decide */
    union {
        uint64_t u; /* text prefix or picklist rank */
        int64_t i;  /* boolean, days or ms */
        double d;
    } v;
    bool null;
};

/* A row and its keys; rows are sorted through an array of pointers so
 * that each comparison reads one contiguous row. */
struct sort_row {
    struct sim_record *rec;
    size_t seq;
    struct sort_key keys[];
};

/* The position of value in the picklist of f, or npicklist when absent. */
static uint64_t picklist_rank(const struct sim_field *f, const char *value)
{
    for (size_t i = 0; i < f->npicklist; i++)
        if (strcmp(f->picklist[i], value) == 0)
            return i;
    return f->npicklist;
}

/* The first 8 bytes of the folded form of s as a big-endian number; set
 * *whole when they are all of it. */
static uint64_t text_prefix(const char *s, bool *whole)
{
    unsigned char bytes[8];
    bool complete;
    size_t n = sim_utf8_fold_prefix(s, bytes, sizeof(bytes), &complete);
    uint64_t u = 0;

    for (size_t i = 0; i < sizeof(bytes); i++)
        u = u << 8 | (i < n ? bytes[i] : 0);
    *whole = complete && n < sizeof(bytes);
    return u;
}

static void read_key(const struct soql_order *o, const struct sim_record *rec,
                     struct sort_key *k)
{
    const struct sim_record *target = soql__walk(&o->path, rec);
    const char *s = target ? soql__value(target, o->path.field) : NULL;
    bool whole;

    memset(k, 0, sizeof(*k));
    if (target && o->path.is_modstamp) {
        k->v.i = target->modstamp_ms;
        return;
    }
    if (target && o->path.is_id)
        s = target->id;
    k->null = !s || !*s;
    if (k->null)
        return;
    k->s = s;
    switch (o->category) {
    case SOQL_CAT_TEXT:
        /* Salesforce sorts a picklist by the order of its values. */
        if (o->path.field->type == SIM_T_PICKLIST) {
            k->v.u = picklist_rank(o->path.field, s);
            break;
        }
        k->v.u = text_prefix(s, &whole);
        if (whole)
            k->s = NULL;
        break;
    case SOQL_CAT_BOOL:
        k->v.i = strcmp(s, "true") == 0;
        break;
    case SOQL_CAT_NUMBER:
        k->v.d = strtod(s, NULL);
        break;
    case SOQL_CAT_DATE:
        k->null = date_parse(s, &k->v.i, NULL) < 0;
        break;
    case SOQL_CAT_DATETIME:
        k->null = datetime_parse(s, &k->v.i, NULL) < 0;
        break;
    default:
        break;
    }
}

static int compare_key(enum soql_category cat, const struct sort_key *a,
                       const struct sort_key *b)
{
    switch (cat) {
    case SOQL_CAT_TEXT:
        if (a->v.u != b->v.u)
            return a->v.u < b->v.u ? -1 : 1;
        /* Equal prefixes are either both complete or both partial. */
        return a->s && b->s ? fold_compare(a->s, b->s) : 0;
    case SOQL_CAT_ID:
        /* A stored 15-character id is shorter than 18 bytes. */
        return strncmp(a->s, b->s, 18);
    case SOQL_CAT_NUMBER:
        return (a->v.d > b->v.d) - (a->v.d < b->v.d);
    default:
        return (a->v.i > b->v.i) - (a->v.i < b->v.i);
    }
}

static int compare_rows(const void *pa, const void *pb, void *payload)
{
    const struct soql_query *q = payload;
    const struct sort_row *a = *(const struct sort_row *const *)pa;
    const struct sort_row *b = *(const struct sort_row *const *)pb;

    for (size_t k = 0; k < q->norder; k++) {
        const struct soql_order *o = &q->order[k];
        const struct sort_key *ka = &a->keys[k], *kb = &b->keys[k];
        int r;

        if (ka->null || kb->null) {
            if (ka->null && kb->null)
                continue;
            r = ka->null ? -1 : 1;
            return o->nulls_last ? -r : r;
        }
        r = compare_key(o->category, ka, kb);
        if (r)
            return o->desc ? -r : r;
    }
    /* Ties keep creation order, so that pages are stable. */
    return (a->seq > b->seq) - (a->seq < b->seq);
}

static void sort_records(const struct soql_query *q, struct sim_record **recs,
                         size_t n)
{
    size_t stride =
        sizeof(struct sort_row) + q->norder * sizeof(struct sort_key);
    char *store = xmalloc((n ? n : 1) * stride);
    struct sort_row **rows = xmalloc((n ? n : 1) * sizeof(*rows));

    for (size_t i = 0; i < n; i++) {
        rows[i] = (struct sort_row *)(store + i * stride);
        rows[i]->rec = recs[i];
        rows[i]->seq = recs[i]->seq;
        for (size_t k = 0; k < q->norder; k++)
            read_key(&q->order[k], recs[i], &rows[i]->keys[k]);
    }
    qsort_r(rows, n, sizeof(*rows), compare_rows, (void *)q);
    for (size_t i = 0; i < n; i++)
        recs[i] = rows[i]->rec;
    free(rows);
    free(store);
}

void soql_execute(struct soql_query *q, const struct soql_exec_opts *opts,
                  struct soql_result *out)
{
    const struct sim_object *obj = q->obj;
    size_t offset = q->offset > 0 ? (size_t)q->offset : 0;
    size_t want = SIZE_MAX, n = 0, count;
    struct sim_record **recs = NULL;

    memset(out, 0, sizeof(*out));
    if (q->where)
        bind_dates(q->where, opts->now_ms ? opts->now_ms : datetime_now_ms());
    /* Without ORDER BY the scan can stop once OFFSET + LIMIT rows match. */
    if (q->limit >= 0 && q->norder == 0)
        want = offset + (size_t)q->limit;
    if (!q->count_only)
        recs = xmalloc((obj->nrecords ? obj->nrecords : 1) * sizeof(*recs));
    for (size_t i = 0; i < obj->nrecords && n < want; i++) {
        struct sim_record *rec = obj->records[i];

        if (rec->deleted_ms && !opts->include_deleted)
            continue;
        if (q->where && !matches(q->where, rec))
            continue;
        if (recs)
            recs[n] = rec;
        n++;
    }
    if (recs && q->norder)
        sort_records(q, recs, n);
    count = n > offset ? n - offset : 0;
    if (q->limit >= 0 && count > (size_t)q->limit)
        count = (size_t)q->limit;
    if (recs && offset)
        memmove(recs, recs + (n > offset ? offset : n), count * sizeof(*recs));
    out->records = recs;
    out->count = count;
}

void soql_result_release(struct soql_result *r)
{
    free(r->records);
    memset(r, 0, sizeof(*r));
}
