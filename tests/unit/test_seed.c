/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/* Tests of sim_seed_plan: references, skipped objects, errors, undo. */
#include "base/common.h"

#include <fcntl.h>
#include <libgen.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim.h"
#include "test.h"

static struct sim_org *new_org(void)
{
    struct sim_config cfg = {
        .client_id = "sfsim-client-id",
        .client_secret = "sfsim-client-secret",
        .token_lifetime_s = 7200,
        .api_limit = 100000,
        .max_body = 1 << 20,
        .upsert_update_status = 200,
    };
    struct err err;
    struct sim_org *org = sim_org_new(&cfg, &err);

    if (!org) {
        fprintf(stderr, "sim_org_new failed: %s\n", err.msg);
        abort();
    }
    return org;
}

static size_t count(const struct sim_org *org, const char *object)
{
    return sim_org_object(org, object)->nrecords;
}

/* The first record of object whose field has value, or NULL. */
static struct sim_record *find_by(const struct sim_org *org, const char *object,
                                  const char *field, const char *value)
{
    struct sim_object *obj = sim_org_object(org, object);
    struct sim_field *f = sim_object_field(obj, field);

    for (size_t i = 0; i < obj->nrecords; i++) {
        const char *v = sim_record_get(obj->records[i], f->index);

        if (v && strcmp(v, value) == 0)
            return obj->records[i];
    }
    return NULL;
}

static const char *value_of(const struct sim_record *rec, const char *field)
{
    return sim_record_get(rec, sim_object_field(rec->obj, field)->index);
}

/* tests/data/plan-small/plan.json, found from this file's path. */
static char *small_plan_path(void)
{
    char *copy = xstrdup(__FILE__);
    char *path = xasprintf("%s/../data/plan-small/plan.json", dirname(copy));

    free(copy);
    return path;
}

/* A scratch folder for plan files, removed by remove_dir. */
static char *make_dir(void)
{
    char *dir = xstrdup("/tmp/sfsim-seed-XXXXXX");

    if (!mkdtemp(dir))
        abort();
    return dir;
}

static void write_file(const char *dir, const char *name, const char *text)
{
    char *path = xasprintf("%s/%s", dir, name);
    FILE *f = fopen(path, "w");

    if (!f)
        abort();
    fputs(text, f);
    fclose(f);
    free(path);
}

static void remove_dir(char *dir)
{
    char *cmd = xasprintf("rm -rf '%s'", dir);

    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    free(cmd);
    free(dir);
}

/* Import dir/plan.json into a new org; return the rc and keep err. */
static int import_dir(struct sim_org *org, const char *dir, struct err *err)
{
    char *plan = xasprintf("%s/plan.json", dir);
    int rc = sim_seed_plan(org, plan, err);

    free(plan);
    return rc;
}

static const char account_contact_plan[] =
    "[{\"sobject\":\"Account\",\"files\":[\"a.json\"]},"
    " {\"sobject\":\"Contact\",\"files\":[\"c.json\"]}]";

static const char two_accounts[] =
    "{\"records\":["
    "{\"attributes\":{\"type\":\"Account\",\"referenceId\":\"A1\"},"
    " \"Name\":\"One\"},"
    "{\"attributes\":{\"type\":\"Account\",\"referenceId\":\"A2\"},"
    " \"Name\":\"Two\"}]}";

/* Run sim_seed_plan with stderr sent to a file; return what it logged. */
static char *seed_capturing_log(struct sim_org *org, const char *plan, int *rc,
                                struct err *err)
{
    char path[] = "/tmp/sfsim-seed-log-XXXXXX";
    int fd = mkstemp(path);
    int saved = dup(2);
    char *text = xcalloc(1, 65536);
    ssize_t n;

    fflush(stderr);
    dup2(fd, 2);
    *rc = sim_seed_plan(org, plan, err);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    lseek(fd, 0, SEEK_SET);
    n = read(fd, text, 65535);
    text[n > 0 ? n : 0] = '\0';
    close(fd);
    unlink(path);
    return text;
}

TEST(small_plan_imports_records)
{
    struct sim_org *org = new_org();
    char *plan = small_plan_path();
    struct err err = {0};
    int rc = sim_seed_plan(org, plan, &err);

    CHECK_INT(rc, 0);
    if (rc < 0)
        fprintf(stderr, "seed failed: %s\n", err.msg);
    CHECK_INT(count(org, "Account"), 3);
    CHECK_INT(count(org, "Contact"), 4);
    CHECK_INT(count(org, "Lead"), 1);
    free(plan);
    sim_org_free(org);
}

TEST(small_plan_resolves_refs)
{
    struct sim_org *org = new_org();
    char *plan = small_plan_path();
    struct err err = {0};
    struct sim_record *acme, *muller, *jose, *zoe, *wang, *priv;

    CHECK_INT(sim_seed_plan(org, plan, &err), 0);
    acme = find_by(org, "Account", "Name", "Acme Logistics Inc.");
    muller = find_by(org, "Account", "Name", "Müller Maschinenbau GmbH");
    jose = find_by(org, "Contact", "LastName", "García");
    zoe = find_by(org, "Contact", "LastName", "Schröder");
    wang = find_by(org, "Contact", "LastName", "王");
    priv = find_by(org, "Contact", "LastName", "O'Brien");
    CHECK(acme && muller && jose && zoe && wang && priv);
    if (acme && muller && jose && zoe && wang && priv) {
        CHECK_STR(value_of(jose, "AccountId"), acme->id);
        CHECK_STR(value_of(zoe, "AccountId"), muller->id);
        CHECK_STR(value_of(wang, "AccountId"), acme->id);
        CHECK(value_of(priv, "AccountId") == NULL);
    }
    free(plan);
    sim_org_free(org);
}

TEST(small_plan_accepts_any_case)
{
    struct sim_org *org = new_org();
    char *plan = small_plan_path();
    struct err err = {0};
    struct sim_record *jose, *acme, *lead;

    CHECK_INT(sim_seed_plan(org, plan, &err), 0);
    jose = find_by(org, "Contact", "LastName", "García");
    acme = find_by(org, "Account", "Name", "Acme Logistics Inc.");
    lead = find_by(org, "Lead", "LastName", "Kowalski");
    CHECK(jose && acme && lead);
    if (jose && acme && lead) {
        CHECK_STR(value_of(jose, "FirstName"), "José");
        CHECK_STR(value_of(jose, "Email"), "jose.garcia@acme.example.com");
        CHECK_STR(value_of(jose, "Name"), "José García");
        CHECK_STR(value_of(acme, "Phone"), "(415) 555-0100");
        CHECK_STR(value_of(acme, "BillingCity"), "San Francisco");
        CHECK_STR(value_of(acme, "NumberOfEmployees"), "250");
        CHECK_STR(value_of(lead, "FirstName"), "Łukasz");
        CHECK_STR(value_of(lead, "Company"), "Żuraw Sp. z o.o.");
    }
    free(plan);
    sim_org_free(org);
}

TEST(resolve_refs_false_keeps_text)
{
    struct sim_org *org = new_org();
    char *plan = small_plan_path();
    struct err err = {0};
    struct sim_record *lead;

    CHECK_INT(sim_seed_plan(org, plan, &err), 0);
    lead = find_by(org, "Lead", "LastName", "Kowalski");
    CHECK(lead != NULL);
    if (lead)
        CHECK_STR(value_of(lead, "Description"),
                  "@handle stays text because resolveRefs is false");
    free(plan);
    sim_org_free(org);
}

TEST(unmodelled_object_is_skipped)
{
    struct sim_org *org = new_org();
    char *plan = small_plan_path();
    struct err err = {0};
    int rc;
    char *log = seed_capturing_log(org, plan, &rc, &err);

    CHECK_INT(rc, 0);
    CHECK(strstr(log, "WARN") != NULL);
    CHECK(strstr(log, "object=Opportunity records=2") != NULL);
    CHECK(sim_org_object(org, "Opportunity") == NULL);
    free(log);
    free(plan);
    sim_org_free(org);
}

TEST(missing_plan_is_error)
{
    struct sim_org *org = new_org();
    struct err err = {0};

    CHECK_INT(sim_seed_plan(org, "/nonexistent/plan.json", &err),
              SYNC_EINVALID);
    CHECK(strstr(err.msg, "/nonexistent/plan.json") != NULL);
    sim_org_free(org);
}

TEST(missing_file_is_error)
{
    struct sim_org *org = new_org();
    char *dir = make_dir();
    struct err err = {0};

    write_file(dir, "plan.json", account_contact_plan);
    write_file(dir, "a.json", two_accounts);
    CHECK_INT(import_dir(org, dir, &err), SYNC_EINVALID);
    CHECK(strstr(err.msg, "'c.json'") != NULL);
    CHECK_INT(count(org, "Account"), 0);
    remove_dir(dir);
    sim_org_free(org);
}

TEST(bad_json_is_error)
{
    struct sim_org *org = new_org();
    char *dir = make_dir();
    struct err err = {0};

    write_file(dir, "plan.json", account_contact_plan);
    write_file(dir, "a.json", two_accounts);
    write_file(dir, "c.json", "{\"records\": [ {\"LastName\": }");
    CHECK_INT(import_dir(org, dir, &err), SYNC_EINVALID);
    CHECK(strstr(err.msg, "'c.json'") != NULL);
    CHECK(strstr(err.msg, "line 1") != NULL);
    CHECK_INT(count(org, "Account"), 0);
    remove_dir(dir);
    sim_org_free(org);
}

TEST(plan_shape_errors)
{
    static const struct {
        const char *plan;
        const char *expect;
    } cases[] = {
        {"{\"sobject\":\"Account\"}", "is not a JSON array"},
        {"[{\"sobject\":\"Account\"}]", "entry 1 needs"},
        {"[{\"files\":[\"a.json\"]}]", "entry 1 needs"},
        {"[{\"sobject\":\"Account\",\"files\":[7]}]", "is not a string"},
    };

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct sim_org *org = new_org();
        char *dir = make_dir();
        struct err err = {0};

        write_file(dir, "plan.json", cases[i].plan);
        write_file(dir, "a.json", two_accounts);
        CHECK_INT(import_dir(org, dir, &err), SYNC_EINVALID);
        if (!strstr(err.msg, cases[i].expect))
            fprintf(stderr, "case %zu: message '%s' lacks '%s'\n", i, err.msg,
                    cases[i].expect);
        CHECK(strstr(err.msg, cases[i].expect) != NULL);
        remove_dir(dir);
        sim_org_free(org);
    }
}

TEST(unknown_ref_undoes_import)
{
    struct sim_org *org = new_org();
    struct sim_object *account = sim_org_object(org, "Account");
    uint64_t counter = account->id_counter;
    char *dir = make_dir();
    struct err err = {0};

    write_file(dir, "plan.json", account_contact_plan);
    write_file(dir, "a.json", two_accounts);
    write_file(dir, "c.json",
               "{\"records\":["
               "{\"attributes\":{\"type\":\"Contact\",\"referenceId\":\"C1\"},"
               " \"LastName\":\"Ok\", \"AccountId\":\"@A1\"},"
               "{\"attributes\":{\"type\":\"Contact\",\"referenceId\":\"C2\"},"
               " \"LastName\":\"Bad\", \"AccountId\":\"@A9\"}]}");
    CHECK_INT(import_dir(org, dir, &err), SYNC_EINVALID);
    CHECK(strstr(err.msg, "'c.json'") != NULL);
    CHECK(strstr(err.msg, "'C2'") != NULL);
    CHECK(strstr(err.msg, "'@A9'") != NULL);
    CHECK_INT(count(org, "Account"), 0);
    CHECK_INT(count(org, "Contact"), 0);
    CHECK_INT(account->id_counter, counter);
    CHECK(account->by_id.count == 0);
    remove_dir(dir);
    sim_org_free(org);
}

TEST(ref_to_skipped_record_is_error)
{
    struct sim_org *org = new_org();
    char *dir = make_dir();
    struct err err = {0};

    write_file(dir, "plan.json",
               "[{\"sobject\":\"Opportunity\",\"files\":[\"o.json\"]},"
               " {\"sobject\":\"Contact\",\"files\":[\"c.json\"]}]");
    write_file(dir, "o.json",
               "{\"records\":[{\"attributes\":{\"type\":\"Opportunity\","
               "\"referenceId\":\"O1\"}, \"Name\":\"Deal\"}]}");
    write_file(dir, "c.json",
               "{\"records\":[{\"attributes\":{\"type\":\"Contact\","
               "\"referenceId\":\"C1\"}, \"LastName\":\"X\","
               " \"Description\":\"@O1\"}]}");
    CHECK_INT(import_dir(org, dir, &err), SYNC_EINVALID);
    CHECK(strstr(err.msg, "Opportunity") != NULL);
    CHECK(strstr(err.msg, "does not model") != NULL);
    remove_dir(dir);
    sim_org_free(org);
}

TEST(invalid_record_names_ref_and_code)
{
    struct sim_org *org = new_org();
    char *dir = make_dir();
    struct err err = {0};

    write_file(dir, "plan.json", account_contact_plan);
    write_file(dir, "a.json", two_accounts);
    write_file(dir, "c.json",
               "{\"records\":["
               "{\"attributes\":{\"type\":\"Contact\",\"referenceId\":\"C1\"},"
               " \"FirstName\":\"No last name\"}]}");
    CHECK_INT(import_dir(org, dir, &err), SYNC_EINVALID);
    CHECK(strstr(err.msg, "'c.json'") != NULL);
    CHECK(strstr(err.msg, "'C1'") != NULL);
    CHECK(strstr(err.msg, "REQUIRED_FIELD_MISSING") != NULL);
    CHECK_STR(err.sf_code, "REQUIRED_FIELD_MISSING");
    CHECK_INT(count(org, "Account"), 0);
    remove_dir(dir);
    sim_org_free(org);
}

TEST(unknown_field_is_invalid_field)
{
    struct sim_org *org = new_org();
    char *dir = make_dir();
    struct err err = {0};

    write_file(dir, "plan.json", account_contact_plan);
    write_file(dir, "a.json", two_accounts);
    write_file(
        dir, "c.json",
        "{\"records\":["
        "{\"attributes\":{\"type\":\"Contact\",\"referenceId\":\"C1\"},"
        " \"LastName\":\"X\", \"Picture__c\":\"https://x.test/a.png\"}]}");
    CHECK_INT(import_dir(org, dir, &err), SYNC_EINVALID);
    CHECK(strstr(err.msg, "INVALID_FIELD") != NULL);
    CHECK(strstr(err.msg, "Picture__c") != NULL);
    remove_dir(dir);
    sim_org_free(org);
}

TEST(record_shape_errors)
{
    static const struct {
        const char *contacts;
        const char *expect;
    } cases[] = {
        {"{\"rows\":[]}", "has no \"records\" array"},
        {"{\"records\":[{\"LastName\":\"X\"}]}", "record 1 has no"},
        {"{\"records\":[{\"attributes\":{\"type\":\"Lead\","
         "\"referenceId\":\"C1\"},\"LastName\":\"X\"}]}",
         "differs from the plan's sobject"},
        {"{\"records\":[{\"attributes\":{\"referenceId\":\"A1\"},"
         "\"LastName\":\"X\"}]}",
         "'A1' is used by more than one record"},
        {"{\"records\":[{\"attributes\":{\"referenceId\":\"C1\"},"
         "\"LastName\":\"X\",\"Cases\":{\"records\":[]}}]}",
         "nested child records under 'Cases'"},
    };

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct sim_org *org = new_org();
        char *dir = make_dir();
        struct err err = {0};

        write_file(dir, "plan.json", account_contact_plan);
        write_file(dir, "a.json", two_accounts);
        write_file(dir, "c.json", cases[i].contacts);
        CHECK_INT(import_dir(org, dir, &err), SYNC_EINVALID);
        if (!strstr(err.msg, cases[i].expect))
            fprintf(stderr, "case %zu: message '%s' lacks '%s'\n", i, err.msg,
                    cases[i].expect);
        CHECK(strstr(err.msg, cases[i].expect) != NULL);
        CHECK_INT(count(org, "Account"), 0);
        remove_dir(dir);
        sim_org_free(org);
    }
}

TEST(failed_import_leaves_state_empty)
{
    struct sim_org *org = new_org();
    char *dir = make_dir();
    char *state = xasprintf("%s/state.db", dir);
    struct err err = {0};

    CHECK_INT(sim_state_open(org, state, &err), 0);
    write_file(dir, "plan.json", account_contact_plan);
    write_file(dir, "a.json", two_accounts);
    write_file(dir, "c.json",
               "{\"records\":[{\"attributes\":{"
               "\"referenceId\":\"C1\"}}]}");
    CHECK_INT(import_dir(org, dir, &err), SYNC_EINVALID);
    sim_org_free(org);

    org = new_org();
    CHECK_INT(sim_state_open(org, state, &err), 0);
    CHECK(sim_state_was_empty(org));
    CHECK_INT(count(org, "Account"), 0);
    sim_org_free(org);
    free(state);
    remove_dir(dir);
}

/* The Trailhead sample plans, when SFSYNC_SHARED_DATA points at them. */
static char *shared_plan(const char *name)
{
    const char *root = getenv("SFSYNC_SHARED_DATA");
    char *path;

    if (!root || !*root) {
        printf("skip: SFSYNC_SHARED_DATA is not set, so the %s sample "
               "is not imported\n",
               name);
        return NULL;
    }
    path = xasprintf("%s/trailhead/%s/data-plan.json", root, name);
    if (access(path, R_OK) != 0) {
        printf("skip: %s is missing\n", path);
        free(path);
        return NULL;
    }
    return path;
}

TEST(apex_recipes_sample_imports)
{
    char *plan = shared_plan("apex-recipes");
    struct sim_org *org;
    struct err err = {0};
    int rc;
    char *log;

    if (!plan)
        return;
    org = new_org();
    log = seed_capturing_log(org, plan, &rc, &err);
    CHECK_INT(rc, 0);
    if (rc < 0)
        fprintf(stderr, "seed failed: %s\n", err.msg);
    CHECK_INT(count(org, "Account"), 50);
    CHECK_INT(count(org, "Contact"), 150);
    CHECK(strstr(log, "object=Opportunity") != NULL);
    free(log);
    free(plan);
    sim_org_free(org);
}

TEST(lwc_recipes_needs_custom_field)
{
    char *plan = shared_plan("lwc-recipes");
    struct sim_org *org;
    struct err err = {0};

    if (!plan)
        return;
    org = new_org();
    CHECK_INT(sim_seed_plan(org, plan, &err), SYNC_EINVALID);
    CHECK(strstr(err.msg, "INVALID_FIELD") != NULL);
    CHECK(strstr(err.msg, "Picture__c") != NULL);
    CHECK_INT(count(org, "Account"), 0);
    sim_org_free(org);

    org = new_org();
    CHECK_INT(sim_schema_add_custom(org, "Contact.Picture__c:url:255", &err),
              0);
    CHECK_INT(sim_seed_plan(org, plan, &err), 0);
    CHECK_INT(count(org, "Contact"), 6);
    free(plan);
    sim_org_free(org);
}

TEST_MAIN(TEST_ENTRY(small_plan_imports_records),
          TEST_ENTRY(small_plan_resolves_refs),
          TEST_ENTRY(small_plan_accepts_any_case),
          TEST_ENTRY(resolve_refs_false_keeps_text),
          TEST_ENTRY(unmodelled_object_is_skipped),
          TEST_ENTRY(missing_plan_is_error), TEST_ENTRY(missing_file_is_error),
          TEST_ENTRY(bad_json_is_error), TEST_ENTRY(plan_shape_errors),
          TEST_ENTRY(unknown_ref_undoes_import),
          TEST_ENTRY(ref_to_skipped_record_is_error),
          TEST_ENTRY(invalid_record_names_ref_and_code),
          TEST_ENTRY(unknown_field_is_invalid_field),
          TEST_ENTRY(record_shape_errors),
          TEST_ENTRY(failed_import_leaves_state_empty),
          TEST_ENTRY(apex_recipes_sample_imports),
          TEST_ENTRY(lwc_recipes_needs_custom_field))
