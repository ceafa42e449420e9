/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/* Tests of sim_generate: the spec, determinism and realistic values. */
#include "base/common.h"

#include "base/datetime.h"
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

static struct sim_org *generated(const char *spec, uint64_t seed)
{
    struct sim_org *org = new_org();
    struct err err = {0};

    if (sim_generate(org, spec, seed, &err) < 0) {
        fprintf(stderr, "sim_generate failed: %s\n", err.msg);
        abort();
    }
    return org;
}

static const char *value_of(const struct sim_record *rec, const char *field)
{
    return sim_record_get(rec, sim_object_field(rec->obj, field)->index);
}

static bool is_date_field(const struct sim_field *f)
{
    return f->type == SIM_T_DATETIME;
}

/* Whether two records hold the same values, datetimes aside (they follow
 * the clock's hour). */
static bool same_values(const struct sim_record *a, const struct sim_record *b)
{
    if (strcmp(a->id, b->id) != 0)
        return false;
    for (size_t i = 0; i < a->nvalues; i++) {
        const char *x = a->values[i], *y = b->values[i];

        if (is_date_field(a->obj->fields[i]))
            continue;
        if ((x == NULL) != (y == NULL) || (x && strcmp(x, y) != 0))
            return false;
    }
    return true;
}

TEST(spec_errors_name_value_and_form)
{
    static const struct {
        const char *spec;
        const char *expect;
    } cases[] = {
        {"contacts=abc", "'abc'"},
        {"widgets=3", "'widgets'"},
        {"contacts=-3", "'-3'"},
        {"contacts=", "''"},
        {"contacts=1e3", "'1e3'"},
        {"contacts", "'contacts'"},
        {"", "'' is not name=count"},
        {"contacts=5,contacts=6", "'contacts' is given twice"},
        {"contacts=5,", "'' is not name=count"},
        {"leads=100000000000", "above the maximum"},
        {"leads=99999999999999999999999", "above the maximum"},
    };

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct sim_org *org = new_org();
        struct err err = {0};
        int rc = sim_generate(org, cases[i].spec, 1, &err);

        CHECK_INT(rc, SYNC_EINVALID);
        if (!strstr(err.msg, cases[i].expect))
            fprintf(stderr, "spec '%s': message '%s' lacks '%s'\n",
                    cases[i].spec, err.msg, cases[i].expect);
        CHECK(strstr(err.msg, cases[i].expect) != NULL);
        CHECK(strstr(err.msg, "contacts=N,leads=M,accounts=K") != NULL);
        CHECK_INT(sim_org_object(org, "Contact")->nrecords, 0);
        sim_org_free(org);
    }
}

TEST(spec_accepts_subsets_and_case)
{
    struct sim_org *org = generated(" Leads = 3 ,accounts=2", 1);

    CHECK_INT(sim_org_object(org, "Lead")->nrecords, 3);
    CHECK_INT(sim_org_object(org, "Account")->nrecords, 2);
    CHECK_INT(sim_org_object(org, "Contact")->nrecords, 0);
    sim_org_free(org);
    org = generated("contacts=0", 1);
    CHECK_INT(sim_org_object(org, "Contact")->nrecords, 0);
    sim_org_free(org);
}

TEST(same_seed_same_records)
{
    const char *spec = "accounts=20,contacts=300,leads=100";
    struct sim_org *a = generated(spec, 42);
    struct sim_org *b = generated(spec, 42);
    const char *objects[] = {"Account", "Contact", "Lead"};

    for (size_t k = 0; k < ARRAY_SIZE(objects); k++) {
        struct sim_object *x = sim_org_object(a, objects[k]);
        struct sim_object *y = sim_org_object(b, objects[k]);
        size_t differing = 0;

        CHECK_INT(x->nrecords, y->nrecords);
        for (size_t i = 0; i < x->nrecords && i < y->nrecords; i++)
            differing += !same_values(x->records[i], y->records[i]);
        CHECK_INT(differing, 0);
    }
    sim_org_free(a);
    sim_org_free(b);
}

TEST(different_seed_different_records)
{
    const char *spec = "accounts=5,contacts=50";
    struct sim_org *a = generated(spec, 1);
    struct sim_org *b = generated(spec, 2);
    struct sim_object *x = sim_org_object(a, "Contact");
    struct sim_object *y = sim_org_object(b, "Contact");
    size_t same_email = 0;

    CHECK_INT(x->nrecords, 50);
    CHECK_INT(y->nrecords, 50);
    CHECK(!same_values(x->records[0], y->records[0]));
    for (size_t i = 0; i < 50; i++)
        same_email += strcmp(value_of(x->records[i], "Email"),
                             value_of(y->records[i], "Email")) == 0;
    CHECK(same_email < 5);
    sim_org_free(a);
    sim_org_free(b);
}

static bool is_ascii(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s >= 0x80)
            return false;
    return true;
}

TEST(emails_unique_and_ascii)
{
    struct sim_org *org = generated("accounts=50,contacts=3000,leads=2000", 7);
    const char *objects[] = {"Contact", "Lead"};
    struct hmap seen;
    size_t duplicates = 0, non_ascii = 0, malformed = 0;

    hmap_init(&seen, true);
    for (size_t k = 0; k < ARRAY_SIZE(objects); k++) {
        struct sim_object *obj = sim_org_object(org, objects[k]);

        for (size_t i = 0; i < obj->nrecords; i++) {
            const char *email = value_of(obj->records[i], "Email");

            if (!email || !strchr(email, '@')) {
                malformed++;
                continue;
            }
            non_ascii += !is_ascii(email);
            if (hmap_put(&seen, email, (void *)email))
                duplicates++;
        }
    }
    CHECK_INT(duplicates, 0);
    CHECK_INT(non_ascii, 0);
    CHECK_INT(malformed, 0);
    hmap_release(&seen);
    sim_org_free(org);
}

TEST(names_include_non_ascii)
{
    struct sim_org *org = generated("contacts=2000", 3);
    struct sim_object *obj = sim_org_object(org, "Contact");
    size_t non_ascii = 0, wrong_name = 0;

    for (size_t i = 0; i < obj->nrecords; i++) {
        const struct sim_record *rec = obj->records[i];
        char *expect = xasprintf("%s %s", value_of(rec, "FirstName"),
                                 value_of(rec, "LastName"));

        non_ascii += !is_ascii(value_of(rec, "LastName")) ||
                     !is_ascii(value_of(rec, "FirstName"));
        wrong_name += strcmp(value_of(rec, "Name"), expect) != 0;
        free(expect);
    }
    CHECK(non_ascii > 100);
    CHECK(non_ascii < 1500);
    CHECK_INT(wrong_name, 0);
    sim_org_free(org);
}

TEST(phones_in_mixed_formats)
{
    struct sim_org *org = generated("contacts=3000", 5);
    struct sim_object *obj = sim_org_object(org, "Contact");
    size_t paren = 0, dashed = 0, plus_one = 0, bare = 0, uk = 0, ext = 0;
    size_t too_long = 0, missing = 0;

    for (size_t i = 0; i < obj->nrecords; i++) {
        const char *p = value_of(obj->records[i], "Phone");
        size_t len = p ? strlen(p) : 0;

        if (!p) {
            missing++;
            continue;
        }
        too_long += len > 40;
        paren += p[0] == '(';
        dashed += len == 12 && p[3] == '-' && p[7] == '-';
        plus_one += strncmp(p, "+1 ", 3) == 0;
        bare += len == 10 && strspn(p, "0123456789") == 10;
        uk += strncmp(p, "+44 20 7946 0", 13) == 0;
        ext += strstr(p, " ext") != NULL || strstr(p, " x") != NULL;
    }
    CHECK_INT(missing, 0);
    CHECK_INT(too_long, 0);
    CHECK(paren > 0);
    CHECK(dashed > 0);
    CHECK(plus_one > 0);
    CHECK(bare > 0);
    CHECK(uk > 0);
    CHECK(ext > 30);
    CHECK(ext < 300);
    sim_org_free(org);
}

TEST(contacts_link_generated_accounts)
{
    struct sim_org *org = generated("accounts=40,contacts=1000", 11);
    struct sim_object *obj = sim_org_object(org, "Contact");
    size_t linked = 0, dangling = 0;

    for (size_t i = 0; i < obj->nrecords; i++) {
        const char *account = value_of(obj->records[i], "AccountId");
        struct sim_record *rec = account ? sim_record_find(org, account) : NULL;

        if (!account)
            continue;
        linked++;
        dangling += !rec || strcmp(rec->obj->name, "Account") != 0;
    }
    CHECK(linked > 850);
    CHECK(linked < 1000);
    CHECK_INT(dangling, 0);
    sim_org_free(org);
}

TEST(flags_and_picklists)
{
    struct sim_org *org = generated("contacts=4000,leads=4000", 9);
    struct sim_object *lead = sim_org_object(org, "Lead");
    struct sim_object *contact = sim_org_object(org, "Contact");
    struct sim_field *status = sim_object_field(lead, "Status");
    size_t do_not_call = 0, opted_out = 0, converted = 0, bad_status = 0;
    size_t null_flags = 0, sources = 0;

    for (size_t i = 0; i < contact->nrecords; i++) {
        const struct sim_record *rec = contact->records[i];
        const char *dnc = value_of(rec, "DoNotCall");
        const char *opt = value_of(rec, "HasOptedOutOfEmail");

        null_flags += !dnc || !opt || !value_of(rec, "IsDeleted");
        do_not_call += dnc && strcmp(dnc, "true") == 0;
        opted_out += opt && strcmp(opt, "true") == 0;
    }
    for (size_t i = 0; i < lead->nrecords; i++) {
        const char *s = value_of(lead->records[i], "Status");
        bool known = false;

        for (size_t j = 0; s && j < status->npicklist; j++)
            known = known || strcmp(s, status->picklist[j]) == 0;
        bad_status += !known;
        converted += s && strcmp(s, "Closed - Converted") == 0;
        sources += value_of(lead->records[i], "LeadSource") != NULL;
    }
    CHECK_INT(null_flags, 0);
    CHECK(do_not_call > 40);
    CHECK(do_not_call < 240);
    CHECK(opted_out > 60);
    CHECK(opted_out < 300);
    CHECK_INT(bad_status, 0);
    CHECK_INT(converted, 0);
    CHECK(sources > 3000);
    sim_org_free(org);
}

TEST(stamps_increase_within_window)
{
    struct sim_org *org = generated("contacts=2000", 13);
    struct sim_object *obj = sim_org_object(org, "Contact");
    int64_t now = datetime_now_ms(), previous = 0;
    size_t unordered = 0, outside = 0, mismatched = 0, edited = 0;

    for (size_t i = 0; i < obj->nrecords; i++) {
        const struct sim_record *rec = obj->records[i];
        int64_t created, modified, modstamp;

        if (datetime_parse(value_of(rec, "CreatedDate"), &created, NULL) ||
            datetime_parse(value_of(rec, "LastModifiedDate"), &modified,
                           NULL) ||
            datetime_parse(value_of(rec, "SystemModstamp"), &modstamp, NULL)) {
            mismatched++;
            continue;
        }
        unordered +=
            created < previous || modified < created || modstamp < modified;
        outside += created < now - 31LL * 86400000 || modstamp > now;
        mismatched += rec->modstamp_ms != modstamp || created % 1000 != 0;
        edited += modified != created;
        previous = created;
    }
    CHECK_INT(unordered, 0);
    CHECK_INT(outside, 0);
    CHECK_INT(mismatched, 0);
    CHECK(edited > 200);
    CHECK(edited < 1000);
    sim_org_free(org);
}

/* A create body built from the createable values of rec, so that the
 * record module's own validation can judge the generated values. */
static json_t *create_body(const struct sim_record *rec)
{
    json_t *body = json_object();

    for (size_t i = 0; i < rec->nvalues; i++) {
        const struct sim_field *f = rec->obj->fields[i];
        const char *v = rec->values[i];

        if (!v || !f->createable)
            continue;
        if (f->type == SIM_T_BOOLEAN)
            json_object_set_new(body, f->name,
                                json_boolean(strcmp(v, "true") == 0));
        else if (f->type == SIM_T_INT)
            json_object_set_new(body, f->name,
                                json_integer(strtoll(v, NULL, 10)));
        else
            json_object_set_new(body, f->name, json_string(v));
    }
    return body;
}

TEST(values_pass_record_validation)
{
    struct sim_org *org =
        generated("accounts=200,contacts=1500,leads=1500", 17);
    const char *objects[] = {"Account", "Contact", "Lead"};
    size_t rejected = 0;

    for (size_t k = 0; k < ARRAY_SIZE(objects); k++) {
        struct sim_object *obj = sim_org_object(org, objects[k]);

        for (size_t i = 0; i < obj->nrecords; i++) {
            json_t *body = create_body(obj->records[i]);
            struct sim_errors errs = {0};

            if (sim_record_validate(org, obj, NULL, body, SIM_WRITE_SEED,
                                    &errs) < 0) {
                if (rejected++ < 5)
                    fprintf(stderr, "%s %s rejected: %s: %s\n", objects[k],
                            obj->records[i]->id, errs.items[0].code,
                            errs.items[0].message);
            }
            json_decref(body);
        }
    }
    CHECK_INT(rejected, 0);
    sim_org_free(org);
}

TEST(ids_follow_existing_records)
{
    struct sim_org *org = generated("contacts=10", 1);
    struct err err = {0};
    struct sim_object *obj = sim_org_object(org, "Contact");

    CHECK_INT(sim_generate(org, "contacts=10", 2, &err), 0);
    CHECK_INT(obj->nrecords, 20);
    CHECK_INT(obj->by_id.count, 20);
    sim_org_free(org);
}

TEST_MAIN(TEST_ENTRY(spec_errors_name_value_and_form),
          TEST_ENTRY(spec_accepts_subsets_and_case),
          TEST_ENTRY(same_seed_same_records),
          TEST_ENTRY(different_seed_different_records),
          TEST_ENTRY(emails_unique_and_ascii),
          TEST_ENTRY(names_include_non_ascii),
          TEST_ENTRY(phones_in_mixed_formats),
          TEST_ENTRY(contacts_link_generated_accounts),
          TEST_ENTRY(flags_and_picklists),
          TEST_ENTRY(stamps_increase_within_window),
          TEST_ENTRY(values_pass_record_validation),
          TEST_ENTRY(ids_follow_existing_records))
