/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * Import of an sObject-tree data plan, the format that "sf data export
 * tree --plan" writes and "sf data import tree --plan" reads. Each record
 * goes through the record module's validation as a seed write. This file
 * reads the plan, resolves "@Ref" values and undoes a failed import.
 */
#include "base/common.h"

#include <libgen.h>
#include <strings.h>

#include "sim.h"

/* A referenceId of the plan and what it became. */
struct seed_ref {
    char *name;
    char id[19];            /* "" for a record of a skipped object */
    const char *skipped_as; /* the skipped object's name, or NULL */
};

struct seed_run {
    struct sim_org *org;
    const char *plan_path;
    char *plan_dir;
    struct hmap refs; /* referenceId -> struct seed_ref */
    struct seed_ref **ref_list;
    size_t nrefs, refs_cap;
    size_t created;

    /* Each object's record count and id counter before the import, so a
     * failure can remove what the import added. */
    size_t *nrecords_before;
    uint64_t *counter_before;
};

static void run_init(struct seed_run *run, struct sim_org *org,
                     const char *plan_path)
{
    char *copy = xstrdup(plan_path);

    memset(run, 0, sizeof(*run));
    run->org = org;
    run->plan_path = plan_path;
    run->plan_dir = xstrdup(dirname(copy));
    free(copy);
    hmap_init(&run->refs, false);
    run->nrecords_before = xcalloc(org->nobjects + 1, sizeof(size_t));
    run->counter_before = xcalloc(org->nobjects + 1, sizeof(uint64_t));
    for (size_t i = 0; i < org->nobjects; i++) {
        run->nrecords_before[i] = org->objects[i]->nrecords;
        run->counter_before[i] = org->objects[i]->id_counter;
    }
}

static void run_release(struct seed_run *run)
{
    for (size_t i = 0; i < run->nrefs; i++) {
        free(run->ref_list[i]->name);
        free(run->ref_list[i]);
    }
    free(run->ref_list);
    hmap_release(&run->refs);
    free(run->plan_dir);
    free(run->nrecords_before);
    free(run->counter_before);
}

/* Free a record that never became visible outside this import. */
static void discard_record(struct sim_object *obj, struct sim_record *rec)
{
    hmap_remove(&obj->by_id, rec->id);
    for (size_t i = 0; i < rec->nvalues; i++)
        free(rec->values[i]);
    free(rec->values);
    free(rec);
}

/* Remove every record the import created and restore the id counters.
 * Imports run at start-up before the server, so nothing else adds records
 * meanwhile and the records after each starting count are the import's. */
static void undo_import(struct seed_run *run)
{
    struct sim_org *org = run->org;

    for (size_t i = 0; i < org->nobjects; i++) {
        struct sim_object *obj = org->objects[i];

        while (obj->nrecords > run->nrecords_before[i])
            discard_record(obj, obj->records[--obj->nrecords]);
        obj->id_counter = run->counter_before[i];
    }
}

static struct seed_ref *add_ref(struct seed_run *run, const char *name)
{
    struct seed_ref *ref = xcalloc(1, sizeof(*ref));

    ref->name = xstrdup(name);
    run->ref_list = xgrow(run->ref_list, &run->refs_cap, run->nrefs + 1,
                          sizeof(*run->ref_list));
    run->ref_list[run->nrefs++] = ref;
    hmap_put(&run->refs, ref->name, ref);
    return ref;
}

/* Fill err from a failed json_load_file of the named file. */
static int json_load_error(struct err *err, const char *what, const char *name,
                           const json_error_t *jerr)
{
    if (jerr->line < 1)
        return err_set(err, SYNC_EINVALID, "%s '%s': %s", what, name,
                       jerr->text);
    return err_set(err, SYNC_EINVALID,
                   "%s '%s' is not valid JSON: %s (line %d)", what, name,
                   jerr->text, jerr->line);
}

/* Read one record file of the plan; the caller owns the array returned. */
static json_t *load_records_file(struct seed_run *run, const char *file,
                                 struct err *err)
{
    char *path = file[0] == '/' ? xstrdup(file)
                                : xasprintf("%s/%s", run->plan_dir, file);
    json_error_t jerr;
    json_t *doc = json_load_file(path, 0, &jerr);
    json_t *records;

    free(path);
    if (!doc) {
        json_load_error(err, "data file", file, &jerr);
        return NULL;
    }
    records = json_object_get(doc, "records");
    if (!json_is_array(records)) {
        json_decref(doc);
        err_set(err, SYNC_EINVALID,
                "data file '%s' has no \"records\" array; expected "
                "{\"records\":[{\"attributes\":{\"type\",\"referenceId\"}, "
                "...}]}",
                file);
        return NULL;
    }
    json_incref(records);
    json_decref(doc);
    return records;
}

/* The referenceId of a record, checked to be present and new. */
static const char *record_ref(struct seed_run *run, const char *file,
                              size_t index, json_t *record, struct err *err)
{
    json_t *attrs = json_object_get(record, "attributes");
    const char *ref = json_string_value(json_object_get(attrs, "referenceId"));

    if (!json_is_object(record) || !ref || !*ref) {
        err_set(err, SYNC_EINVALID,
                "data file '%s': record %zu has no attributes.referenceId",
                file, index + 1);
        return NULL;
    }
    if (hmap_get(&run->refs, ref)) {
        err_set(err, SYNC_EINVALID,
                "data file '%s': referenceId '%s' is used by more than one "
                "record of the plan",
                file, ref);
        return NULL;
    }
    return ref;
}

/* Check that the record's attributes.type, when given, names obj_name. */
static int check_type(const char *file, const char *ref, json_t *record,
                      const char *obj_name, struct err *err)
{
    json_t *attrs = json_object_get(record, "attributes");
    const char *type = json_string_value(json_object_get(attrs, "type"));

    if (type && strcasecmp(type, obj_name) != 0)
        return err_set(err, SYNC_EINVALID,
                       "data file '%s', record '%s': attributes.type '%s' "
                       "differs from the plan's sobject '%s'",
                       file, ref, type, obj_name);
    return 0;
}

/* Record the referenceIds of a skipped object's records, so that a later
 * "@Ref" to one of them gets a message that explains why it is missing. */
static int skip_records(struct seed_run *run, const char *file, json_t *records,
                        const char *obj_name, struct err *err)
{
    size_t i;
    json_t *record;

    json_array_foreach(records, i, record)
    {
        const char *ref = record_ref(run, file, i, record, err);

        if (!ref)
            return err->code;
        add_ref(run, ref)->skipped_as = obj_name;
    }
    return 0;
}

/* Copy record without "attributes", replacing "@Ref" strings by ids. */
static json_t *resolve_fields(struct seed_run *run, const char *file,
                              const char *ref, json_t *record, bool resolve,
                              struct err *err)
{
    json_t *fields = json_object();
    const char *key;
    json_t *value;

    json_object_foreach(record, key, value)
    {
        const char *s = json_string_value(value);
        struct seed_ref *target;

        if (strcmp(key, "attributes") == 0)
            continue;
        if (json_is_object(value) && json_object_get(value, "records")) {
            err_set(err, SYNC_EINVALID,
                    "data file '%s', record '%s': nested child records under "
                    "'%s' are not supported; export the data with --plan, "
                    "which writes one file per object",
                    file, ref, key);
            json_decref(fields);
            return NULL;
        }
        if (!resolve || !s || s[0] != '@') {
            json_object_set(fields, key, value);
            continue;
        }
        target = hmap_get(&run->refs, s + 1);
        if (!target || target->skipped_as) {
            if (target)
                err_set(err, SYNC_EINVALID,
                        "data file '%s', record '%s': field '%s' refers to "
                        "'%s', a record of %s, which sfsim does not model",
                        file, ref, key, s, target->skipped_as);
            else
                err_set(err, SYNC_EINVALID,
                        "data file '%s', record '%s': field '%s' refers to "
                        "'%s', which no earlier record of the plan defines",
                        file, ref, key, s);
            json_decref(fields);
            return NULL;
        }
        json_object_set_new(fields, key, json_string(target->id));
    }
    return fields;
}

/* Fill err from the first Salesforce error of a rejected record. */
static int record_error(const char *file, const char *ref,
                        const struct sim_errors *errs, struct err *err)
{
    const struct sim_error *e = &errs->items[0];

    if (errs->count == 0)
        return err_set(err, SYNC_EINVALID,
                       "data file '%s', record '%s' was rejected", file, ref);
    err_set(err, SYNC_EINVALID, "data file '%s', record '%s': %s: %s", file,
            ref, e->code, e->message);
    err_set_http(err, 400, e->code);
    return SYNC_EINVALID;
}

static int create_records(struct seed_run *run, const char *file,
                          json_t *records, struct sim_object *obj, bool resolve,
                          struct err *err)
{
    const struct sim_user *user = sim_org_integration_user(run->org);
    size_t i;
    json_t *record;

    json_array_foreach(records, i, record)
    {
        const char *ref = record_ref(run, file, i, record, err);
        struct sim_errors errs = {0};
        struct sim_record *rec = NULL;
        json_t *fields;
        int rc;

        if (!ref || check_type(file, ref, record, obj->name, err) < 0)
            return err->code;
        fields = resolve_fields(run, file, ref, record, resolve, err);
        if (!fields)
            return err->code;
        rc = sim_record_create(run->org, obj, fields, user, SIM_WRITE_SEED,
                               &rec, &errs);
        json_decref(fields);
        if (rc < 0 || !rec)
            return record_error(file, ref, &errs, err);
        memcpy(add_ref(run, ref)->id, rec->id, sizeof(rec->id));
        run->created++;
    }
    return 0;
}

/* Import the files of one plan entry. */
static int import_entry(struct seed_run *run, size_t index, json_t *entry,
                        struct err *err)
{
    const char *name = json_string_value(json_object_get(entry, "sobject"));
    json_t *files = json_object_get(entry, "files");
    json_t *resolve_flag = json_object_get(entry, "resolveRefs");
    struct sim_object *obj;
    size_t skipped = 0, i;
    bool derived = false;
    json_t *file;

    if (!name || !json_is_array(files))
        return err_set(err, SYNC_EINVALID,
                       "data plan '%s': entry %zu needs \"sobject\" (a "
                       "string) and \"files\" (an array of file names)",
                       run->plan_path, index + 1);
    obj = sim_org_object(run->org, name);
    /* User and Organization records come from --user and the org itself,
     * so a plan's records of them are skipped. */
    if (obj && obj->derived) {
        log_warn("sim", "skipped records of an object sfsim derives from "
                        "its users and org",
                 "object=%s plan=%s", obj->name, run->plan_path);
        derived = true;
        obj = NULL;
    }
    json_array_foreach(files, i, file)
    {
        const char *fname = json_string_value(file);
        json_t *records;
        int rc;

        if (!fname)
            return err_set(err, SYNC_EINVALID,
                           "data plan '%s': file %zu of '%s' is not a "
                           "string",
                           run->plan_path, i + 1, name);
        records = load_records_file(run, fname, err);
        if (!records)
            return err->code;
        /* An explicit "resolveRefs": false keeps "@" strings as text, and
         * any other value resolves them. */
        if (obj)
            rc = create_records(run, fname, records, obj,
                                !json_is_false(resolve_flag), err);
        else
            rc = skip_records(run, fname, records, name, err);
        skipped += obj ? 0 : json_array_size(records);
        json_decref(records);
        if (rc < 0)
            return rc;
    }
    if (!obj && !derived)
        log_warn("sim", "skipped records of an object sfsim does not model",
                 "object=%s records=%zu plan=%s", name, skipped,
                 run->plan_path);
    return 0;
}

static int import_plan(struct seed_run *run, struct err *err)
{
    json_error_t jerr;
    json_t *plan = json_load_file(run->plan_path, 0, &jerr);
    size_t i;
    json_t *entry;
    int rc = 0;

    if (!plan)
        return json_load_error(err, "data plan", run->plan_path, &jerr);
    if (!json_is_array(plan)) {
        json_decref(plan);
        return err_set(err, SYNC_EINVALID,
                       "data plan '%s' is not a JSON array of "
                       "{\"sobject\", \"files\"} entries",
                       run->plan_path);
    }
    json_array_foreach(plan, i, entry)
    {
        if ((rc = import_entry(run, i, entry, err)) < 0)
            break;
    }
    json_decref(plan);
    return rc;
}

int sim_seed_plan(struct sim_org *org, const char *plan_path, struct err *err)
{
    struct seed_run run;
    int rc;

    run_init(&run, org, plan_path);
    sim_state_begin(org);
    rc = import_plan(&run, err);
    if (rc == 0)
        rc = sim_state_commit(org, err);
    if (rc < 0) {
        sim_state_rollback(org);
        undo_import(&run);
    } else {
        log_info("sim", "data plan imported", "plan=%s records=%zu", plan_path,
                 run.created);
    }
    run_release(&run);
    return rc;
}
