/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * The org's schema: objects and fields loaded from recorded describe
 * documents, plus custom fields declared at start-up. Records are not kept
 * here (record.c).
 */
#include "base/common.h"

#include <ctype.h>
#include <strings.h>

#include "sim.h"

static const struct {
    const char *name;
    enum sim_type type;
} type_names[] = {
    {"id", SIM_T_ID},
    {"string", SIM_T_STRING},
    {"textarea", SIM_T_TEXTAREA},
    {"email", SIM_T_EMAIL},
    {"phone", SIM_T_PHONE},
    {"url", SIM_T_URL},
    {"picklist", SIM_T_PICKLIST},
    {"multipicklist", SIM_T_MULTIPICKLIST},
    {"combobox", SIM_T_COMBOBOX},
    {"boolean", SIM_T_BOOLEAN},
    {"date", SIM_T_DATE},
    {"datetime", SIM_T_DATETIME},
    {"double", SIM_T_DOUBLE},
    {"currency", SIM_T_CURRENCY},
    {"percent", SIM_T_PERCENT},
    {"int", SIM_T_INT},
    {"reference", SIM_T_REFERENCE},
    {"address", SIM_T_ADDRESS},
};

static enum sim_type parse_type(const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(type_names); i++)
        if (name && strcmp(name, type_names[i].name) == 0)
            return type_names[i].type;
    return SIM_T_OTHER;
}

static const char *type_name(enum sim_type type)
{
    for (size_t i = 0; i < ARRAY_SIZE(type_names); i++)
        if (type_names[i].type == type)
            return type_names[i].name;
    return "string";
}

static bool jbool(json_t *obj, const char *key)
{
    return json_is_true(json_object_get(obj, key));
}

static char *jstrdup(json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));

    return s ? xstrdup(s) : NULL;
}

static void load_picklist(struct sim_field *f, json_t *values)
{
    size_t i;
    json_t *v;

    json_array_foreach(values, i, v)
    {
        const char *value = json_string_value(json_object_get(v, "value"));

        if (!value || !jbool(v, "active"))
            continue;
        f->picklist = xrealloc(f->picklist,
                               (f->npicklist + 1) * sizeof(*f->picklist));
        f->picklist[f->npicklist++] = xstrdup(value);
        if (jbool(v, "defaultValue") && !f->default_value)
            f->default_value = xstrdup(value);
    }
}

/* Build a field from its describe entry; the reference is borrowed. */
static struct sim_field *field_from_describe(json_t *d)
{
    struct sim_field *f = xcalloc(1, sizeof(*f));
    json_t *refs = json_object_get(d, "referenceTo");

    f->name = jstrdup(d, "name");
    f->label = jstrdup(d, "label");
    f->type = parse_type(json_string_value(json_object_get(d, "type")));
    f->length = (int)json_integer_value(json_object_get(d, "length"));
    f->nillable = jbool(d, "nillable");
    f->createable = jbool(d, "createable");
    f->updateable = jbool(d, "updateable");
    f->defaulted_on_create = jbool(d, "defaultedOnCreate");
    f->external_id = jbool(d, "externalId");
    f->id_lookup = jbool(d, "idLookup");
    f->unique = jbool(d, "unique");
    f->custom = jbool(d, "custom");
    f->calculated = jbool(d, "calculated");
    f->restricted_picklist = jbool(d, "restrictedPicklist");
    f->relationship_name = jstrdup(d, "relationshipName");
    f->compound_name = jstrdup(d, "compoundFieldName");
    if (json_array_size(refs) > 0)
        f->reference_to = xstrdup(json_string_value(json_array_get(refs, 0)));
    load_picklist(f, json_object_get(d, "picklistValues"));
    f->describe = json_incref(d);
    return f;
}

static int field_index(const struct sim_object *obj, const char *name)
{
    struct sim_field *f = hmap_get(&obj->by_name, name);

    return f ? (int)f->index : -1;
}

static void cache_standard_fields(struct sim_object *obj)
{
    obj->f_id = field_index(obj, "Id");
    obj->f_is_deleted = field_index(obj, "IsDeleted");
    obj->f_master_record_id = field_index(obj, "MasterRecordId");
    obj->f_name = field_index(obj, "Name");
    obj->f_first_name = field_index(obj, "FirstName");
    obj->f_last_name = field_index(obj, "LastName");
    obj->f_created_date = field_index(obj, "CreatedDate");
    obj->f_created_by_id = field_index(obj, "CreatedById");
    obj->f_last_modified_date = field_index(obj, "LastModifiedDate");
    obj->f_last_modified_by_id = field_index(obj, "LastModifiedById");
    obj->f_system_modstamp = field_index(obj, "SystemModstamp");
    obj->f_owner_id = field_index(obj, "OwnerId");
}

static void add_field(struct sim_object *obj, struct sim_field *f)
{
    obj->fields = xgrow(obj->fields, &obj->fields_cap, obj->nfields + 1,
                        sizeof(*obj->fields));
    f->index = obj->nfields;
    obj->fields[obj->nfields++] = f;
    hmap_put(&obj->by_name, f->name, f);
    if (f->type == SIM_T_REFERENCE && f->relationship_name)
        hmap_put(&obj->by_relationship, f->relationship_name, f);
}

struct sim_object *sim_schema_load(struct sim_org *org, json_t *describe,
                                   struct err *err)
{
    const char *name = json_string_value(json_object_get(describe, "name"));
    const char *prefix =
        json_string_value(json_object_get(describe, "keyPrefix"));
    json_t *fields = json_object_get(describe, "fields");
    struct sim_object *obj;
    size_t i;
    json_t *d;

    if (!name || !prefix || strlen(prefix) != 3 || !json_is_array(fields)) {
        err_set(err, SYNC_EINVALID,
                "describe document lacks name, keyPrefix or fields");
        return NULL;
    }
    obj = xcalloc(1, sizeof(*obj));
    obj->name = xstrdup(name);
    obj->label = jstrdup(describe, "label");
    memcpy(obj->key_prefix, prefix, 4);
    memcpy(obj->pod, org->pod, sizeof(obj->pod));
    hmap_init(&obj->by_name, true);
    hmap_init(&obj->by_relationship, true);
    hmap_init(&obj->by_id, false);
    json_array_foreach(fields, i, d)
    {
        if (json_string_value(json_object_get(d, "name")))
            add_field(obj, field_from_describe(d));
    }
    obj->describe = json_deep_copy(describe);
    json_object_del(obj->describe, "fields");
    cache_standard_fields(obj);
    org->objects = xgrow(org->objects, &org->objects_cap, org->nobjects + 1,
                         sizeof(*org->objects));
    org->objects[org->nobjects++] = obj;
    hmap_put(&org->objects_by_name, obj->name, obj);
    hmap_put(&org->objects_by_prefix, obj->key_prefix, obj);
    return obj;
}

struct sim_field *sim_object_field(const struct sim_object *obj,
                                   const char *name)
{
    return hmap_get(&obj->by_name, name);
}

static bool valid_custom_name(const char *name)
{
    size_t len = strlen(name);

    if (len < 4 || len > 43 || strcmp(name + len - 3, "__c") != 0 ||
        !isalpha((unsigned char)name[0]))
        return false;
    for (size_t i = 0; i < len - 3; i++)
        if (!isalnum((unsigned char)name[i]) && name[i] != '_')
            return false;
    return !strstr(name, "___") && name[len - 4] != '_';
}

/* The describe entry of a custom field, shaped as Salesforce's. */
static json_t *custom_describe(const char *name, enum sim_type type,
                               int length, bool extid)
{
    bool text = type == SIM_T_STRING || type == SIM_T_EMAIL ||
                type == SIM_T_PHONE || type == SIM_T_URL ||
                type == SIM_T_TEXTAREA;
    char *label = xstrndup(name, strlen(name) - 3);
    json_t *d;

    for (char *p = label; *p; p++)
        if (*p == '_')
            *p = ' ';
    d = json_pack(
        "{s:s, s:s, s:s, s:i, s:i, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b,"
        " s:b, s:b, s:b, s:b, s:b, s:[], s:[], s:n, s:n, s:n, s:s, s:b,"
        " s:b, s:i, s:i, s:i}",
        "name", name, "label", label, "type", type_name(type), "length",
        text ? length : 0, "byteLength", text ? length * 3 : 0, "custom",
        1, "nillable", type != SIM_T_BOOLEAN, "createable", 1, "updateable",
        1, "defaultedOnCreate", type == SIM_T_BOOLEAN, "externalId", extid,
        "idLookup", extid, "unique", 0, "filterable", 1, "sortable",
        type != SIM_T_TEXTAREA, "groupable", type != SIM_T_TEXTAREA,
        "calculated", 0, "caseSensitive", 0, "picklistValues",
        "referenceTo", "relationshipName", "compoundFieldName",
        "defaultValue", "soapType",
        type == SIM_T_BOOLEAN  ? "xsd:boolean"
        : type == SIM_T_DOUBLE ? "xsd:double"
        : type == SIM_T_INT    ? "xsd:int"
        : type == SIM_T_DATE   ? "xsd:date"
        : type == SIM_T_DATETIME ? "xsd:dateTime"
                                 : "xsd:string",
        "nameField", 0, "restrictedPicklist", 0, "precision",
        type == SIM_T_DOUBLE ? 18 : 0, "scale", type == SIM_T_DOUBLE ? 2 : 0,
        "digits", type == SIM_T_INT ? 9 : 0);
    if (type == SIM_T_BOOLEAN)
        json_object_set_new(d, "defaultValue", json_false());
    free(label);
    return d;
}

int sim_schema_add_custom(struct sim_org *org, const char *spec,
                          struct err *err)
{
    char *copy = xstrdup(spec), *save = NULL;
    char *target = strtok_r(copy, ":", &save);
    char *tname = strtok_r(NULL, ":", &save);
    char *opt, *dot;
    struct sim_object *obj;
    enum sim_type type;
    bool extid = false;
    int length = 255, rc = 0;
    json_t *d;

    dot = target ? strchr(target, '.') : NULL;
    if (!dot || !tname) {
        rc = err_set(err, SYNC_EINVALID,
                     "invalid custom field '%s': expected "
                     "Object.Name__c:type[:length][:extid]",
                     spec);
        goto out;
    }
    *dot = '\0';
    obj = sim_org_object(org, target);
    if (!obj) {
        rc = err_set(err, SYNC_EINVALID,
                     "invalid custom field '%s': unknown object '%s'", spec,
                     target);
        goto out;
    }
    if (obj->schema_borrowed)
        BUG("custom field added to org %u, which shares org 1's schema",
            org->number);
    if (!valid_custom_name(dot + 1) || sim_object_field(obj, dot + 1)) {
        rc = err_set(err, SYNC_EINVALID,
                     "invalid custom field '%s': the name must be new and "
                     "look like Name__c",
                     spec);
        goto out;
    }
    type = parse_type(tname);
    if (type == SIM_T_OTHER || type == SIM_T_ID || type == SIM_T_ADDRESS ||
        type == SIM_T_REFERENCE) {
        rc = err_set(err, SYNC_EINVALID,
                     "invalid custom field '%s': unsupported type '%s'; use "
                     "string, textarea, email, phone, url, picklist, boolean,"
                     " date, datetime, double, currency, percent or int",
                     spec, tname);
        goto out;
    }
    while ((opt = strtok_r(NULL, ":", &save))) {
        char *end;
        long n;

        if (strcmp(opt, "extid") == 0) {
            extid = true;
            continue;
        }
        n = strtol(opt, &end, 10);
        if (*end || n < 1 || n > 131072) {
            rc = err_set(err, SYNC_EINVALID,
                         "invalid custom field '%s': '%s' is neither a "
                         "length (1-131072) nor 'extid'",
                         spec, opt);
            goto out;
        }
        length = (int)n;
    }
    /* Salesforce offers External ID only on text, email and number fields
     * (and auto-number, which sfsim does not model). */
    if (extid && type != SIM_T_STRING && type != SIM_T_EMAIL &&
        type != SIM_T_INT && type != SIM_T_DOUBLE) {
        rc = err_set(err, SYNC_EINVALID,
                     "invalid custom field '%s': an external id must be of "
                     "type string, email, int or double, not '%s'",
                     spec, tname);
        goto out;
    }
    d = custom_describe(dot + 1, type, length, extid);
    add_field(obj, field_from_describe(d));
    json_decref(d);
    for (size_t i = 0; i < obj->nrecords; i++) {
        struct sim_record *rec = obj->records[i];

        rec->values = xrealloc(rec->values,
                               obj->nfields * sizeof(*rec->values));
        rec->values[obj->nfields - 1] = NULL;
        rec->nvalues = obj->nfields;
    }
out:
    free(copy);
    return rc;
}

/* Copy v with every "/vOLD.0/" in its strings replaced by the version. */
static json_t *with_version(json_t *v, const char *version)
{
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        const char *p = strstr(s, "/services/data/v");
        const char *q;
        char *out;
        json_t *r;

        if (!p)
            return json_incref(v);
        q = strchr(p + 16, '/');
        if (!q)
            q = p + strlen(p);
        out = xasprintf("%.*s/services/data/v%s%s", (int)(p - s), s,
                        version, q);
        r = json_string(out);
        free(out);
        return r;
    }
    if (json_is_object(v)) {
        json_t *r = json_object();
        const char *key;
        json_t *item;

        json_object_foreach(v, key, item)
        {
            json_object_set_new(r, key, with_version(item, version));
        }
        return r;
    }
    return json_incref(v);
}

json_t *sim_object_describe(const struct sim_org *org,
                            const struct sim_object *obj, const char *version)
{
    json_t *d = json_deep_copy(obj->describe);
    json_t *fields = json_array();

    (void)org;
    json_object_set_new(d, "urls",
                        with_version(json_object_get(obj->describe, "urls"),
                                     version));
    for (size_t i = 0; i < obj->nfields; i++)
        json_array_append(fields, obj->fields[i]->describe);
    json_object_set_new(d, "fields", fields);
    return d;
}
