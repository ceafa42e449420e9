/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * Output of SOQL results: records as REST JSON with nested parent
 * relationships, flat string columns for CSV, and the column metadata
 * that "?columns=true" returns.
 */
#include "base/common.h"

#include "soql_int.h"

static void render_node(json_t *out, const struct soql_select *node,
                        const struct sim_record *rec, const char *version)
{
    for (size_t i = 0; i < node->nkids; i++) {
        const struct soql_select *kid = node->kids[i];
        const struct sim_record *parent;
        json_t *nested;

        if (!kid->target) {
            json_object_set_new(out, kid->field->name,
                                sim_record_json_value(rec, kid->field->index));
            continue;
        }
        parent = soql__lookup(kid->target, soql__value(rec, kid->field));
        if (!parent) {
            json_object_set_new(out, kid->field->relationship_name,
                                json_null());
            continue;
        }
        nested = json_object();
        json_object_set_new(nested, "attributes",
                            sim_record_attributes(parent, version));
        render_node(nested, kid, parent, version);
        json_object_set_new(out, kid->field->relationship_name, nested);
    }
}

json_t *soql_record_json(const struct soql_query *q,
                         const struct sim_record *rec, const char *version)
{
    json_t *out = json_object();

    json_object_set_new(out, "attributes", sim_record_attributes(rec, version));
    render_node(out, &q->root, rec, version);
    return out;
}

size_t soql_column_count(const struct soql_query *q)
{
    return q->ncolumns;
}

const char *soql_column_header(const struct soql_query *q, size_t i)
{
    return q->columns[i].header;
}

const struct sim_field *soql_column_field(const struct soql_query *q, size_t i)
{
    return q->columns[i].field;
}

const char *soql_record_column(const struct soql_query *q,
                               const struct sim_record *rec, size_t i)
{
    const struct soql_path *p = &q->columns[i];
    const struct sim_record *target = soql__walk(p, rec);

    if (!target)
        return NULL;
    if (p->is_id)
        return target->id;
    return soql__value(target, p->field);
}

/* The Apex type that column metadata reports for a field. */
static const char *apex_type(enum sim_type type)
{
    switch (type) {
    case SIM_T_ID:
    case SIM_T_REFERENCE:
        return "Id";
    case SIM_T_BOOLEAN:
        return "Boolean";
    case SIM_T_DATE:
        return "Date";
    case SIM_T_DATETIME:
        return "Datetime";
    case SIM_T_DOUBLE:
    case SIM_T_PERCENT:
        return "Double";
    case SIM_T_CURRENCY:
        return "Decimal";
    case SIM_T_INT:
        return "Integer";
    case SIM_T_ADDRESS:
        return "Address";
    default:
        return "String";
    }
}

/* One columnMetadata entry; joins is stolen. */
static json_t *column_json(const char *name, const char *display,
                           const char *apex, const struct sim_field *f,
                           bool leaf, json_t *joins)
{
    enum soql_category cat = soql__category(f->type);

    return json_pack("{s:b, s:s, s:b, s:s, s:b, s:s, s:n, s:b, s:o, s:b,"
                     " s:b, s:b}",
                     "aggregate", 0, "apexType", apex, "booleanType",
                     leaf && cat == SOQL_CAT_BOOL, "columnName", name, "custom",
                     f->custom, "displayName", display, "foreignKeyName",
                     "insertable", leaf && f->createable, "joinColumns", joins,
                     "numberType", leaf && cat == SOQL_CAT_NUMBER, "textType",
                     leaf && (cat == SOQL_CAT_TEXT || cat == SOQL_CAT_MULTI),
                     "updatable", leaf && f->updateable);
}

static json_t *columns_of(const struct soql_select *node, const char *prefix)
{
    json_t *list = json_array();

    for (size_t i = 0; i < node->nkids; i++) {
        const struct soql_select *kid = node->kids[i];
        const struct sim_field *f = kid->field;
        char *display, *inner;

        if (!kid->target) {
            display = xasprintf("%s%s", prefix, f->name);
            json_array_append_new(list, column_json(f->name, display,
                                                    apex_type(f->type), f, true,
                                                    json_array()));
        } else {
            display = xasprintf("%s%s", prefix, f->relationship_name);
            inner = xasprintf("%s.", display);

            json_array_append_new(list,
                                  column_json(f->relationship_name, display,
                                              kid->target->name, f, false,
                                              columns_of(kid, inner)));
            free(inner);
        }
        free(display);
    }
    return list;
}

json_t *soql_columns_json(const struct soql_query *q)
{
    bool id_selected = false;

    for (size_t i = 0; i < q->ncolumns; i++)
        if (q->columns[i].is_id)
            id_selected = true;
    return json_pack("{s:o, s:s, s:b, s:b, s:s}", "columnMetadata",
                     columns_of(&q->root, ""), "entityName", q->obj->name,
                     "groupBy", 0, "idSelected", id_selected, "keyPrefix",
                     q->obj->key_prefix);
}
