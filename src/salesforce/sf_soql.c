/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * The SOQL builder: clause order, AND/OR/NOT and groups, and the literal
 * forms of strings, LIKE patterns, numbers, booleans and datetimes.
 */
#include "base/common.h"

#include "salesforce/sf_soql.h"

#include <ctype.h>
#include <stdarg.h>

#include "base/datetime.h"

/* Maximum length of an identifier quoted in an error message. */
#define NAME_SHOWN 60

static const char *stage_names[] = {
    "start", "SELECT", "FROM", "WHERE", "ORDER BY", "LIMIT",
};

void sf_soql_init(struct sf_soql *q)
{
    memset(q, 0, sizeof(*q));
    buf_init(&q->text, 0);
    q->connector = " AND ";
}

void sf_soql_release(struct sf_soql *q)
{
    buf_release(&q->text);
}

static int fail(struct sf_soql *q, const char *fmt, ...) ATTR_PRINTF(2, 3);

/* Record the first error; later ones are dropped. */
static int fail(struct sf_soql *q, const char *fmt, ...)
{
    va_list ap;

    if (q->rc)
        return q->rc;
    q->rc = SYNC_EINVALID;
    va_start(ap, fmt);
    vsnprintf(q->error, sizeof(q->error), fmt, ap);
    va_end(ap);
    return q->rc;
}

bool sf_soql_ident_valid(const char *name)
{
    const char *p = name;

    if (!p)
        return false;
    for (;;) {
        if (!isalpha((unsigned char)*p))
            return false;
        p++;
        while (isalnum((unsigned char)*p) || *p == '_')
            p++;
        if (*p == '\0')
            return true;
        if (*p != '.')
            return false;
        p++;
    }
}

static int check_ident(struct sf_soql *q, const char *kind, const char *name)
{
    if (sf_soql_ident_valid(name))
        return 0;
    return fail(q,
                "invalid SOQL %s '%.*s': use an API name such as "
                "'Account.Name' or 'Ext_Id__c'",
                kind, NAME_SHOWN, name ? name : "(null)");
}

static bool op_valid(const char *op)
{
    static const char *ops[] = {"=", "!=", "<", "<=", ">", ">="};

    for (size_t i = 0; op && i < ARRAY_SIZE(ops); i++)
        if (strcmp(op, ops[i]) == 0)
            return true;
    return false;
}

/* Move to stage, which must not come before the current one. */
static int enter(struct sf_soql *q, enum sf_soql_stage stage, bool repeat)
{
    if (q->rc)
        return q->rc;
    if (q->stage > stage || (q->stage == stage && !repeat))
        return fail(q, "SOQL clause out of order: %s after %s",
                    stage_names[stage], stage_names[q->stage]);
    if (stage > SF_SOQL_STAGE_WHERE && (q->depth || q->expect_operand))
        return fail(q,
                    "SOQL condition incomplete before %s: close the "
                    "group or add the condition after AND, OR or NOT",
                    stage_names[stage]);
    q->stage = stage;
    return 0;
}

int sf_soql_select(struct sf_soql *q, const char *const *fields, size_t n)
{
    if (enter(q, SF_SOQL_STAGE_SELECT, false))
        return q->rc;
    if (n == 0)
        return fail(q, "SOQL SELECT needs at least one field");
    for (size_t i = 0; i < n; i++)
        if (check_ident(q, "field", fields[i]))
            return q->rc;
    buf_puts(&q->text, "SELECT ");
    for (size_t i = 0; i < n; i++) {
        if (i)
            buf_puts(&q->text, ", ");
        buf_puts(&q->text, fields[i]);
    }
    return 0;
}

int sf_soql_select_count(struct sf_soql *q)
{
    if (enter(q, SF_SOQL_STAGE_SELECT, false))
        return q->rc;
    buf_puts(&q->text, "SELECT COUNT()");
    return 0;
}

int sf_soql_from(struct sf_soql *q, const char *object)
{
    if (q->stage != SF_SOQL_STAGE_SELECT && !q->rc)
        return fail(q, "SOQL FROM must follow SELECT");
    if (enter(q, SF_SOQL_STAGE_FROM, false) || check_ident(q, "object", object))
        return q->rc;
    buf_printf(&q->text, " FROM %s", object);
    return 0;
}

/* Write WHERE or the pending connector before an operand. */
static int begin_operand(struct sf_soql *q)
{
    if (q->rc)
        return q->rc;
    if (q->stage < SF_SOQL_STAGE_FROM)
        return fail(q, "SOQL WHERE needs SELECT and FROM first");
    if (q->stage == SF_SOQL_STAGE_FROM) {
        q->stage = SF_SOQL_STAGE_WHERE;
        buf_puts(&q->text, " WHERE ");
    } else if (enter(q, SF_SOQL_STAGE_WHERE, true)) {
        return q->rc;
    }
    if (q->have_operand)
        buf_puts(&q->text, q->connector);
    q->connector = " AND ";
    q->have_operand = false;
    return 0;
}

static void end_operand(struct sf_soql *q)
{
    q->have_operand = true;
    q->expect_operand = false;
}

/* Start a condition with its field after checking it. */
static int begin_condition(struct sf_soql *q, const char *field)
{
    if (q->rc || check_ident(q, "field", field) || begin_operand(q))
        return q->rc;
    buf_puts(&q->text, field);
    return 0;
}

/* Start a comparison "field op " after checking both. */
static int begin_compare(struct sf_soql *q, const char *field, const char *op)
{
    if (!q->rc && !op_valid(op))
        return fail(q, "invalid SOQL operator '%.8s': use = != < <= > >=",
                    op ? op : "(null)");
    if (begin_condition(q, field))
        return q->rc;
    buf_printf(&q->text, " %s ", op);
    return 0;
}

int sf_soql_where_string(struct sf_soql *q, const char *field, const char *op,
                         const char *value)
{
    if (!value && !q->rc)
        return fail(q,
                    "SOQL value of '%.*s' is NULL: use "
                    "sf_soql_where_null",
                    NAME_SHOWN, field ? field : "");
    if (begin_compare(q, field, op))
        return q->rc;
    sf_soql_quote(&q->text, value);
    end_operand(q);
    return 0;
}

int sf_soql_where_int(struct sf_soql *q, const char *field, const char *op,
                      long long value)
{
    if (begin_compare(q, field, op))
        return q->rc;
    buf_printf(&q->text, "%lld", value);
    end_operand(q);
    return 0;
}

int sf_soql_where_bool(struct sf_soql *q, const char *field, const char *op,
                       bool value)
{
    if (op && strcmp(op, "=") != 0 && strcmp(op, "!=") != 0 && !q->rc)
        return fail(q,
                    "invalid SOQL operator '%.8s' for a boolean: use = "
                    "or !=",
                    op);
    if (begin_compare(q, field, op))
        return q->rc;
    buf_puts(&q->text, value ? "true" : "false");
    end_operand(q);
    return 0;
}

int sf_soql_where_datetime(struct sf_soql *q, const char *field, const char *op,
                           int64_t ms)
{
    char text[SF_SOQL_DATETIME_SIZE];

    if (begin_compare(q, field, op))
        return q->rc;
    sf_soql_datetime(ms, text);
    buf_puts(&q->text, text);
    end_operand(q);
    return 0;
}

int sf_soql_where_null(struct sf_soql *q, const char *field, bool is_null)
{
    if (begin_compare(q, field, is_null ? "=" : "!="))
        return q->rc;
    buf_puts(&q->text, "null");
    end_operand(q);
    return 0;
}

int sf_soql_where_like(struct sf_soql *q, const char *field, const char *text,
                       unsigned flags)
{
    if (!text && !q->rc)
        return fail(q, "SOQL LIKE text of '%.*s' is NULL", NAME_SHOWN,
                    field ? field : "");
    if (begin_condition(q, field))
        return q->rc;
    buf_puts(&q->text, " LIKE '");
    if (flags & SF_SOQL_LIKE_SUFFIX)
        buf_putc(&q->text, '%');
    sf_soql_escape(&q->text, text, true);
    if (flags & SF_SOQL_LIKE_PREFIX)
        buf_putc(&q->text, '%');
    buf_putc(&q->text, '\'');
    end_operand(q);
    return 0;
}

int sf_soql_where_in(struct sf_soql *q, const char *field, bool negate,
                     const char *const *values, size_t n)
{
    if (n == 0 && !q->rc)
        return fail(q, "SOQL IN list of '%.*s' is empty", NAME_SHOWN,
                    field ? field : "");
    for (size_t i = 0; i < n && !q->rc; i++)
        if (!values[i])
            return fail(q, "SOQL IN list of '%.*s' holds a NULL at %zu",
                        NAME_SHOWN, field ? field : "", i);
    if (begin_condition(q, field))
        return q->rc;
    buf_puts(&q->text, negate ? " NOT IN (" : " IN (");
    for (size_t i = 0; i < n; i++) {
        if (i)
            buf_puts(&q->text, ", ");
        sf_soql_quote(&q->text, values[i]);
    }
    buf_putc(&q->text, ')');
    end_operand(q);
    return 0;
}

static int connect_with(struct sf_soql *q, const char *connector)
{
    if (q->rc)
        return q->rc;
    if (!q->have_operand || q->expect_operand)
        return fail(q, "SOQL%s needs a condition before it", connector);
    q->connector = connector;
    q->expect_operand = true;
    return 0;
}

int sf_soql_and(struct sf_soql *q)
{
    return connect_with(q, " AND ");
}

int sf_soql_or(struct sf_soql *q)
{
    return connect_with(q, " OR ");
}

int sf_soql_not(struct sf_soql *q)
{
    if (begin_operand(q))
        return q->rc;
    buf_puts(&q->text, "NOT ");
    q->expect_operand = true;
    return 0;
}

int sf_soql_group_begin(struct sf_soql *q)
{
    if (begin_operand(q))
        return q->rc;
    buf_putc(&q->text, '(');
    q->depth++;
    q->expect_operand = true;
    return 0;
}

int sf_soql_group_end(struct sf_soql *q)
{
    if (q->rc)
        return q->rc;
    if (q->depth == 0)
        return fail(q, "SOQL group closed without being opened");
    if (!q->have_operand || q->expect_operand)
        return fail(q, "SOQL group is empty or ends with AND, OR or NOT");
    buf_putc(&q->text, ')');
    q->depth--;
    end_operand(q);
    return 0;
}

int sf_soql_order_by(struct sf_soql *q, const char *field, unsigned flags)
{
    bool first = q->stage != SF_SOQL_STAGE_ORDER_BY;

    if (q->stage < SF_SOQL_STAGE_FROM && !q->rc)
        return fail(q, "SOQL ORDER BY needs SELECT and FROM first");
    if ((flags & SF_SOQL_NULLS_FIRST) && (flags & SF_SOQL_NULLS_LAST) && !q->rc)
        return fail(q, "SOQL ORDER BY takes NULLS FIRST or NULLS LAST, "
                       "not both");
    if (enter(q, SF_SOQL_STAGE_ORDER_BY, true) ||
        check_ident(q, "ORDER BY field", field))
        return q->rc;
    buf_puts(&q->text, first ? " ORDER BY " : ", ");
    buf_puts(&q->text, field);
    buf_puts(&q->text, (flags & SF_SOQL_DESC) ? " DESC" : " ASC");
    if (flags & SF_SOQL_NULLS_FIRST)
        buf_puts(&q->text, " NULLS FIRST");
    if (flags & SF_SOQL_NULLS_LAST)
        buf_puts(&q->text, " NULLS LAST");
    return 0;
}

int sf_soql_limit(struct sf_soql *q, long long n)
{
    if (q->stage < SF_SOQL_STAGE_FROM && !q->rc)
        return fail(q, "SOQL LIMIT needs SELECT and FROM first");
    if (n < 0 && !q->rc)
        return fail(q, "SOQL LIMIT %lld is negative", n);
    if (enter(q, SF_SOQL_STAGE_LIMIT, false))
        return q->rc;
    buf_printf(&q->text, " LIMIT %lld", n);
    return 0;
}

char *sf_soql_finish(struct sf_soql *q, struct err *err)
{
    if (!q->rc && q->stage < SF_SOQL_STAGE_FROM)
        fail(q, "SOQL query needs SELECT and FROM");
    if (!q->rc && (q->depth || q->expect_operand))
        fail(q, "SOQL condition incomplete at the end: close the group or "
                "add the condition after AND, OR or NOT");
    if (q->rc) {
        err_set(err, q->rc, "%s", q->error);
        return NULL;
    }
    return xstrdup(q->text.data);
}

void sf_soql_escape(struct buf *b, const char *value, bool like)
{
    for (const char *p = value; *p; p++) {
        unsigned char c = (unsigned char)*p;

        switch (c) {
        case '\\':
            buf_puts(b, "\\\\");
            break;
        case '\'':
            buf_puts(b, "\\'");
            break;
        case '"':
            buf_puts(b, "\\\"");
            break;
        case '\n':
            buf_puts(b, "\\n");
            break;
        case '\r':
            buf_puts(b, "\\r");
            break;
        case '\t':
            buf_puts(b, "\\t");
            break;
        case '\b':
            buf_puts(b, "\\b");
            break;
        case '\f':
            buf_puts(b, "\\f");
            break;
        case '_':
        case '%':
            if (like)
                buf_putc(b, '\\');
            buf_putc(b, (char)c);
            break;
        default:
            /* A raw control byte is not a documented literal character,
             * but \uXXXX is. */
            if (c < 0x20 || c == 0x7f)
                buf_printf(b, "\\u%04x", c);
            else
                buf_putc(b, (char)c);
        }
    }
}

void sf_soql_quote(struct buf *b, const char *value)
{
    buf_putc(b, '\'');
    sf_soql_escape(b, value, false);
    buf_putc(b, '\'');
}

void sf_soql_datetime(int64_t ms, char out[SF_SOQL_DATETIME_SIZE])
{
    char full[DATETIME_LEN];
    int64_t floor_ms = ms - ((ms % 1000) + 1000) % 1000;

    /* 2024-01-02T03:04:05.000Z without the fraction. */
    datetime_format_z(floor_ms, full);
    memcpy(out, full, 19);
    out[19] = 'Z';
    out[20] = '\0';
}
