/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/* Unit tests of sim/record.c: validation codes and messages, defaults,
 * audit fields, derived values, the recycle bin and the lock fault. */
#include "base/common.h"

#include <ctype.h>

#include "base/datetime.h"
#include "sim.h"
#include "test.h"

static struct sim_org *new_org(void)
{
    struct sim_config cfg = {0};
    struct err err = {0};
    struct sim_org *org;

    cfg.upsert_update_status = 200;
    org = sim_org_new(&cfg, &err);
    if (!org) {
        fprintf(stderr, "sim_org_new: %s\n", err.msg);
        abort();
    }
    return org;
}

static json_t *parse(const char *text)
{
    json_error_t jerr;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &jerr);

    if (!v) {
        fprintf(stderr, "bad test JSON %s: %s\n", text, jerr.text);
        abort();
    }
    return v;
}

/* Create a record of object from JSON text; NULL when it is rejected. */
static struct sim_record *create(struct sim_org *org, const char *object,
                                 const char *text, unsigned flags,
                                 struct sim_errors *errs)
{
    json_t *fields = parse(text);
    struct sim_record *rec = NULL;

    memset(errs, 0, sizeof(*errs));
    sim_record_create(org, sim_org_object(org, object), fields,
                      sim_org_integration_user(org), flags, &rec, errs);
    json_decref(fields);
    return rec;
}

static int update(struct sim_org *org, struct sim_record *rec,
                  const char *text, struct sim_errors *errs)
{
    json_t *fields = parse(text);
    int rc;

    memset(errs, 0, sizeof(*errs));
    rc = sim_record_update(org, rec, fields, sim_org_integration_user(org),
                           0, errs);
    json_decref(fields);
    return rc;
}

static const char *value(const struct sim_record *rec, const char *field)
{
    const struct sim_field *f = sim_object_field(rec->obj, field);

    return f ? sim_record_get(rec, f->index) : NULL;
}

static json_t *json_of(const struct sim_record *rec, const char *field)
{
    return sim_record_json_value(rec,
                                 sim_object_field(rec->obj, field)->index);
}

TEST(create_sets_defaults_and_audit_fields)
{
    struct sim_org *org = new_org();
    const struct sim_user *user = sim_org_integration_user(org);
    struct sim_errors errs;
    struct sim_record *rec =
        create(org, "Contact", "{\"lastname\": \"Smith\"}", 0, &errs);
    int64_t ms = 0;

    CHECK(rec != NULL);
    CHECK_INT(errs.count, 0);
    CHECK_STR(value(rec, "LastName"), "Smith");
    CHECK_STR(value(rec, "Id"), rec->id);
    CHECK_INT(strlen(rec->id), 18);
    CHECK(strncmp(rec->id, "003", 3) == 0);
    CHECK_STR(value(rec, "OwnerId"), user->id);
    CHECK_STR(value(rec, "CreatedById"), user->id);
    CHECK_STR(value(rec, "LastModifiedById"), user->id);
    CHECK_STR(value(rec, "IsDeleted"), "false");
    CHECK_STR(value(rec, "DoNotCall"), "false");
    CHECK_STR(value(rec, "HasOptedOutOfEmail"), "false");
    CHECK_STR(value(rec, "CreatedDate"), value(rec, "SystemModstamp"));
    CHECK_STR(value(rec, "LastModifiedDate"), value(rec, "SystemModstamp"));
    CHECK_INT(strlen(value(rec, "SystemModstamp")), 28);
    CHECK(strstr(value(rec, "SystemModstamp"), ".000+0000") != NULL);
    CHECK_INT(datetime_parse(value(rec, "SystemModstamp"), &ms, NULL), 0);
    CHECK_INT(rec->modstamp_ms, ms);
    CHECK(llabs(ms - datetime_now_ms()) < 5000);
    CHECK(sim_record_find(org, rec->id) == rec);
    sim_org_free(org);
}

TEST(lead_status_defaults_to_picklist_default)
{
    struct sim_org *org = new_org();
    struct sim_errors errs;
    struct sim_record *rec = create(
        org, "Lead", "{\"LastName\": \"Lee\", \"Company\": \"Acme\"}", 0,
        &errs);

    CHECK(rec != NULL);
    CHECK_STR(value(rec, "Status"), "Open - Not Contacted");
    CHECK_STR(value(rec, "IsConverted"), "false");
    CHECK(json_is_false(json_of(rec, "IsConverted")));
    sim_org_free(org);
}

TEST(name_is_computed_from_parts)
{
    struct sim_org *org = new_org();
    struct sim_errors errs;
    struct sim_record *rec = create(
        org, "Contact", "{\"FirstName\": \"Ann\", \"LastName\": \"Smith\"}", 0,
        &errs);

    CHECK_STR(value(rec, "Name"), "Ann Smith");
    CHECK_INT(update(org, rec, "{\"FirstName\": null}", &errs), 0);
    CHECK_STR(value(rec, "Name"), "Smith");
    CHECK_INT(update(org, rec, "{\"FirstName\": \"Bo\"}", &errs), 0);
    CHECK_STR(value(rec, "Name"), "Bo Smith");
    sim_org_free(org);
}

TEST(required_fields_missing)
{
    struct sim_org *org = new_org();
    struct sim_errors errs;

    CHECK(create(org, "Contact", "{\"FirstName\": \"Ann\"}", 0, &errs) ==
          NULL);
    CHECK_INT(errs.count, 1);
    CHECK_STR(errs.items[0].code, "REQUIRED_FIELD_MISSING");
    CHECK_STR(errs.items[0].message, "Required fields are missing: [LastName]");
    CHECK_INT(errs.items[0].nfields, 1);
    CHECK_STR(errs.items[0].fields[0], "LastName");

    CHECK(create(org, "Lead", "{\"LastName\": \"\"}", 0, &errs) == NULL);
    CHECK_STR(errs.items[0].code, "REQUIRED_FIELD_MISSING");
    CHECK_STR(errs.items[0].message,
              "Required fields are missing: [LastName, Company]");
    CHECK_INT(errs.items[0].nfields, 2);
    CHECK_STR(errs.items[0].fields[1], "Company");

    CHECK(create(org, "Account", "{\"Name\": null}", 0, &errs) == NULL);
    CHECK_STR(errs.items[0].message, "Required fields are missing: [Name]");
    sim_org_free(org);
}

TEST(required_field_cleared_on_update)
{
    struct sim_org *org = new_org();
    struct sim_errors errs;
    struct sim_record *rec =
        create(org, "Lead", "{\"LastName\": \"L\", \"Company\": \"C\"}", 0,
               &errs);

    CHECK_INT(update(org, rec, "{\"Company\": null}", &errs), -1);
    CHECK_STR(errs.items[0].code, "REQUIRED_FIELD_MISSING");
    CHECK_STR(errs.items[0].message, "Required fields are missing: [Company]");
    CHECK_STR(value(rec, "Company"), "C");
    CHECK_INT(update(org, rec, "{\"Status\": null}", &errs), -1);
    CHECK_STR(errs.items[0].fields[0], "Status");
    sim_org_free(org);
}

TEST(unknown_field_rejected)
{
    struct sim_org *org = new_org();
    struct sim_errors errs;

    CHECK(create(org, "Contact", "{\"LastName\": \"X\", \"Foo\": 1}", 0,
                 &errs) == NULL);
    CHECK_INT(errs.count, 1);
    CHECK_STR(errs.items[0].code, "INVALID_FIELD");
    CHECK_STR(errs.items[0].message,
              "No such column 'Foo' on sobject of type Contact");
    CHECK_INT(sim_org_object(org, "Contact")->nrecords, 0);
    sim_org_free(org);
}

TEST(read_only_fields_rejected)
{
    struct sim_org *org = new_org();
    struct sim_errors errs;
    struct sim_record *rec;

    CHECK(create(org, "Contact",
                 "{\"LastName\": \"X\", \"Name\": \"Y\", "
                 "\"CreatedDate\": \"2024-01-01T00:00:00Z\"}",
                 0, &errs) == NULL);
    CHECK_STR(errs.items[0].code, "INVALID_FIELD_FOR_INSERT_UPDATE");
    CHECK_STR(errs.items[0].message,
              "Unable to create/update fields: Name, CreatedDate. Please "
              "check the security settings of this field and verify that it "
              "is read/write for your profile or permission set.");
    CHECK_INT(errs.items[0].nfields, 2);
    CHECK_STR(errs.items[0].fields[1], "CreatedDate");

    CHECK(create(org, "Contact",
                 "{\"LastName\": \"X\", \"Id\": \"003Hn0000000001AAA\"}", 0,
                 &errs) == NULL);
    CHECK_STR(errs.items[0].code, "INVALID_FIELD_FOR_INSERT_UPDATE");
    CHECK_STR(errs.items[0].message, "cannot specify Id in an insert call");

    rec = create(org, "Lead", "{\"LastName\": \"L\", \"Company\": \"C\"}", 0,
                 &errs);
    CHECK_INT(update(org, rec, "{\"IsConverted\": true}", &errs), -1);
    CHECK_STR(errs.items[0].code, "INVALID_FIELD_FOR_INSERT_UPDATE");
    CHECK_STR(errs.items[0].fields[0], "IsConverted");
    sim_org_free(org);
}

TEST(id_in_update_body)
{
    struct sim_org *org = new_org();
    struct sim_errors errs;
    struct sim_record *a = create(org, "Contact", "{\"LastName\": \"A\"}", 0,
                                  &errs);
    struct sim_record *b = create(org, "Contact", "{\"LastName\": \"B\"}", 0,
                                  &errs);
    char *same = xasprintf("{\"Id\": \"%.15s\", \"Title\": \"T\"}", a->id);
    char *other = xasprintf("{\"Id\": \"%s\"}", b->id);

    CHECK_INT(update(org, a, same, &errs), 0);
    CHECK_STR(value(a, "Title"), "T");
    CHECK_INT(update(org, a, other, &errs), -1);
    CHECK_STR(errs.items[0].code, "INVALID_FIELD_FOR_INSERT_UPDATE");
    CHECK_STR(errs.items[0].fields[0], "Id");
    free(same);
    free(other);
    sim_org_free(org);
}

TEST(string_too_long_uses_label)
{
    struct sim_org *org = new_org();
    struct sim_errors errs;
    char long_name[82], text[200], expected[200];
    struct buf accented;

    memset(long_name, 'x', 81);
    long_name[81] = '\0';
    snprintf(text, sizeof(text), "{\"LastName\": \"%s\"}", long_name);
    CHECK(create(org, "Contact", text, 0, &errs) == NULL);
    CHECK_STR(errs.items[0].code, "STRING_TOO_LONG");
    snprintf(expected, sizeof(expected),
             "Last Name: data value too large: %s (max length=80)",
             long_name);
    CHECK_STR(errs.items[0].message, expected);
    CHECK_STR(errs.items[0].fields[0], "LastName");

    /* Length counts characters, not UTF-8 bytes. */
    buf_init(&accented, 0);
    buf_puts(&accented, "{\"LastName\": \"");
    for (int i = 0; i < 80; i++)
        buf_puts(&accented, "\xc3\xa9");
    buf_puts(&accented, "\"}");
    CHECK(create(org, "Contact", accented.data, 0, &errs) != NULL);
    buf_release(&accented);
    sim_org_free(org);
}

TEST(email_format_checked)
{
    static const char *const bad[] = {"foo", "a@b", "@x.com", "a@@x.com",
                                      "a b@x.com", "a@x..com", "a.@x.com"};
    struct sim_org *org = new_org();
    struct sim_errors errs;
    char text[200];

    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        snprintf(text, sizeof(text),
                 "{\"LastName\": \"X\", \"Email\": \"%s\"}", bad[i]);
        CHECK(create(org, "Contact", text, 0, &errs) == NULL);
        CHECK_STR(errs.items[0].code, "INVALID_EMAIL_ADDRESS");
    }
    create(org, "Contact", "{\"LastName\": \"X\", \"Email\": \"foo\"}", 0,
           &errs);
    CHECK_STR(errs.items[0].message, "Email: invalid email address: foo");
    CHECK(create(org, "Contact",
                 "{\"LastName\": \"X\", \"Email\": \"ann.o'neil+tag@mail."
                 "example.co.uk\"}",
                 0, &errs) != NULL);
    sim_org_free(org);
}

TEST(restricted_picklist_checked)
{
    struct sim_org *org = new_org();
    struct sim_errors errs;

    CHECK(create(org, "Contact",
                 "{\"LastName\": \"X\", \"CleanStatus\": \"Foo\"}", 0,
                 &errs) == NULL);
    CHECK_STR(errs.items[0].code, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST");
    CHECK_STR(errs.items[0].message,
              "Clean Status: bad value for restricted picklist field: Foo");
    CHECK(create(org, "Contact",
                 "{\"LastName\": \"X\", \"CleanStatus\": \"Matched\"}", 0,
                 &errs) != NULL);
    /* Unrestricted picklists take any value. */
    CHECK(create(org, "Lead",
                 "{\"LastName\": \"X\", \"Company\": \"C\", "
                 "\"LeadSource\": \"Trade Show\", \"Status\": \"Custom\"}",
                 0, &errs) != NULL);
    sim_org_free(org);
}

TEST(wrong_json_types_are_parser_errors)
{
    static const char *const cases[][2] = {
        {"{\"LastName\": \"X\", \"Birthdate\": \"2024-13-01\"}",
         "Cannot deserialize instance of date from VALUE_STRING value "
         "2024-13-01 or request may be missing a required field"},
        {"{\"LastName\": \"X\", \"DoNotCall\": \"maybe\"}",
         "Cannot deserialize instance of boolean from VALUE_STRING value "
         "maybe or request may be missing a required field"},
        {"{\"LastName\": \"X\", \"DoNotCall\": 1}",
         "Cannot deserialize instance of boolean from VALUE_NUMBER_INT value "
         "1 or request may be missing a required field"},
        {"{\"LastName\": \"X\", \"EmailBouncedDate\": \"soon\"}",
         "Cannot deserialize instance of datetime from VALUE_STRING value "
         "soon or request may be missing a required field"},
        {"{\"LastName\": \"X\", \"MailingLatitude\": \"north\"}",
         "Cannot deserialize instance of double from VALUE_STRING value "
         "north or request may be missing a required field"},
        {"{\"LastName\": {\"a\": 1}}",
         "Cannot deserialize instance of string from START_OBJECT value { "
         "or request may be missing a required field"},
    };
    struct sim_org *org = new_org();
    struct sim_errors errs;

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        CHECK(create(org, "Contact", cases[i][0], 0, &errs) == NULL);
        CHECK_STR(errs.items[0].code, "JSON_PARSER_ERROR");
        CHECK_STR(errs.items[0].message, cases[i][1]);
    }
    CHECK(create(org, "Lead",
                 "{\"LastName\": \"X\", \"Company\": \"C\", "
                 "\"NumberOfEmployees\": 2.5}",
                 0, &errs) == NULL);
    CHECK_STR(errs.items[0].message,
              "Cannot deserialize instance of int from VALUE_NUMBER_FLOAT "
              "value 2.5 or request may be missing a required field");
    sim_org_free(org);
}

TEST(values_are_normalised)
{
    struct sim_org *org = new_org();
    struct sim_errors errs;
    struct sim_record *lead = create(
        org, "Lead",
        "{\"LastName\": \"X\", \"Company\": 42, \"NumberOfEmployees\": \"12\","
        " \"AnnualRevenue\": \"1500.50\", \"DoNotCall\": \"TRUE\","
        " \"Latitude\": 48.5}",
        0, &errs);
    struct sim_record *contact = create(
        org, "Contact",
        "{\"LastName\": \"X\", \"Birthdate\": \"1990-02-03\","
        " \"EmailBouncedDate\": \"2024-01-02T04:04:05.5+01:00\","
        " \"Title\": \"\"}",
        0, &errs);
    json_t *v;

    CHECK(lead != NULL);
    CHECK_STR(value(lead, "Company"), "42");
    CHECK_STR(value(lead, "NumberOfEmployees"), "12");
    CHECK_STR(value(lead, "AnnualRevenue"), "1500.5");
    CHECK_STR(value(lead, "DoNotCall"), "true");
    v = json_of(lead, "NumberOfEmployees");
    CHECK(json_is_integer(v));
    CHECK_INT(json_integer_value(v), 12);
    json_decref(v);
    v = json_of(lead, "AnnualRevenue");
    CHECK(json_is_real(v));
    CHECK(json_real_value(v) == 1500.5);
    json_decref(v);
    v = json_of(lead, "DoNotCall");
    CHECK(json_is_true(v));
    json_decref(v);
    v = json_of(lead, "Latitude");
    CHECK(json_is_real(v));
    CHECK(json_real_value(v) == 48.5);
    json_decref(v);

    CHECK(contact != NULL);
    CHECK_STR(value(contact, "Birthdate"), "1990-02-03");
    CHECK_STR(value(contact, "EmailBouncedDate"),
              "2024-01-02T03:04:05.500+0000");
    CHECK(value(contact, "Title") == NULL);
    v = json_of(contact, "Title");
    CHECK(json_is_null(v));
    json_decref(v);
    sim_org_free(org);
}

TEST(number_range_checked)
{
    struct sim_org *org = new_org();
    struct sim_errors errs;

    CHECK(create(org, "Lead",
                 "{\"LastName\": \"X\", \"Company\": \"C\", "
                 "\"NumberOfEmployees\": 123456789}",
                 0, &errs) == NULL);
    CHECK_STR(errs.items[0].code, "NUMBER_OUTSIDE_VALID_RANGE");
    CHECK_STR(errs.items[0].message,
              "Employees: value outside of valid range on numeric field: "
              "123456789");
    sim_org_free(org);
}

TEST(reference_fields_checked)
{
    struct sim_org *org = new_org();
    struct sim_errors errs;
    struct sim_record *account =
        create(org, "Account", "{\"Name\": \"Acme\"}", 0, &errs);
    struct sim_record *contact =
        create(org, "Contact", "{\"LastName\": \"C\"}", 0, &errs);
    struct sim_record *rec;
    char text[200], missing[19];

    CHECK(create(org, "Contact", "{\"LastName\": \"X\", \"AccountId\": \"abc\"}",
                 0, &errs) == NULL);
    CHECK_STR(errs.items[0].code, "MALFORMED_ID");
    CHECK_STR(errs.items[0].message,
              "Account ID: id value of incorrect type: abc");
    CHECK_STR(errs.items[0].fields[0], "AccountId");

    snprintf(text, sizeof(text), "{\"LastName\": \"X\", \"AccountId\": \"%s\"}",
             contact->id);
    CHECK(create(org, "Contact", text, 0, &errs) == NULL);
    CHECK_STR(errs.items[0].code, "INVALID_CROSS_REFERENCE_KEY");

    sim_id_to18("001Hn0000000zzz", missing);
    snprintf(text, sizeof(text), "{\"LastName\": \"X\", \"AccountId\": \"%s\"}",
             missing);
    CHECK(create(org, "Contact", text, 0, &errs) == NULL);
    CHECK_STR(errs.items[0].code, "INVALID_CROSS_REFERENCE_KEY");
    CHECK_STR(errs.items[0].message, "invalid cross reference id");

    /* A 15-character id is stored in its 18-character form. */
    snprintf(text, sizeof(text),
             "{\"LastName\": \"X\", \"AccountId\": \"%.15s\"}", account->id);
    rec = create(org, "Contact", text, 0, &errs);
    CHECK(rec != NULL);
    CHECK_STR(value(rec, "AccountId"), account->id);

    /* Owners are users, which are not records. */
    snprintf(text, sizeof(text), "{\"LastName\": \"X\", \"OwnerId\": \"%s\"}",
             sim_org_integration_user(org)->id);
    CHECK(create(org, "Contact", text, 0, &errs) != NULL);
    sim_org_free(org);
}

TEST(update_stamps_and_keeps_created)
{
    struct sim_org *org = new_org();
    struct sim_errors errs;
    struct sim_record *rec =
        create(org, "Contact", "{\"LastName\": \"A\"}", 0, &errs);
    int64_t before;

    /* Move the record's stamps back so that the update must change
     * them. */
    sim_record_set(rec, sim_object_field(rec->obj, "CreatedDate")->index,
                   "2020-01-01T00:00:00.000+0000");
    sim_record_set(rec, sim_object_field(rec->obj, "SystemModstamp")->index,
                   "2020-01-01T00:00:00.000+0000");
    rec->modstamp_ms = 0;
    before = rec->modstamp_ms;
    CHECK_INT(update(org, rec, "{\"Title\": \"VP\", \"DoNotCall\": null}",
                     &errs),
              0);
    CHECK_STR(value(rec, "Title"), "VP");
    CHECK_STR(value(rec, "DoNotCall"), "false");
    CHECK_STR(value(rec, "CreatedDate"), "2020-01-01T00:00:00.000+0000");
    CHECK_STR(value(rec, "LastModifiedDate"), value(rec, "SystemModstamp"));
    CHECK(rec->modstamp_ms > before);
    sim_org_free(org);
}

TEST(late_commit_fault_moves_stamp_back)
{
    struct sim_org *org = new_org();
    struct sim_errors errs;
    struct sim_record *rec;

    org->faults.late_commit_seconds = 120;
    rec = create(org, "Contact", "{\"LastName\": \"A\"}", 0, &errs);
    CHECK(rec != NULL);
    CHECK(datetime_now_ms() - rec->modstamp_ms >= 119000);
    CHECK(datetime_now_ms() - rec->modstamp_ms < 125000);
    sim_org_free(org);
}

TEST(converted_lead_is_frozen)
{
    struct sim_org *org = new_org();
    struct sim_errors errs;
    struct sim_record *lead = create(
        org, "Lead",
        "{\"LastName\": \"L\", \"Company\": \"C\", \"IsConverted\": true}",
        SIM_WRITE_SEED, &errs);

    CHECK(lead != NULL);
    CHECK_STR(value(lead, "IsConverted"), "true");
    CHECK_INT(update(org, lead, "{\"Title\": \"X\"}", &errs), -1);
    CHECK_STR(errs.items[0].code, "CANNOT_UPDATE_CONVERTED_LEAD");
    CHECK_STR(errs.items[0].message, "cannot reference converted lead");
    CHECK(value(lead, "Title") == NULL);
    sim_org_free(org);
}

TEST(lock_fault_fails_writes)
{
    struct sim_org *org = new_org();
    struct sim_errors errs;
    struct sim_record *rec =
        create(org, "Contact", "{\"LastName\": \"A\"}", 0, &errs);
    char expected[160];

    org->faults.lock_rate = 1.0;
    CHECK_INT(update(org, rec, "{\"Title\": \"X\"}", &errs), -1);
    CHECK_STR(errs.items[0].code, "UNABLE_TO_LOCK_ROW");
    snprintf(expected, sizeof(expected),
             "unable to obtain exclusive access to this record or 1 "
             "records: %s",
             rec->id);
    CHECK_STR(errs.items[0].message, expected);
    CHECK(value(rec, "Title") == NULL);
    CHECK(create(org, "Contact", "{\"LastName\": \"B\"}", 0, &errs) == NULL);
    CHECK_STR(errs.items[0].code, "UNABLE_TO_LOCK_ROW");
    CHECK_INT(sim_record_delete(org, rec, NULL, &errs), -1);
    CHECK_INT(rec->deleted_ms, 0);
    /* Seeding and writes that drew the fault already are exempt. */
    CHECK(create(org, "Contact", "{\"LastName\": \"C\"}", SIM_WRITE_SEED,
                 &errs) != NULL);
    CHECK(create(org, "Contact", "{\"LastName\": \"D\"}", SIM_WRITE_LOCKED,
                 &errs) != NULL);
    org->faults.lock_rate = 0;
    CHECK_INT(update(org, rec, "{\"Title\": \"X\"}", &errs), 0);
    sim_org_free(org);
}

TEST(delete_moves_to_recycle_bin)
{
    struct sim_org *org = new_org();
    struct sim_errors errs;
    struct sim_record *rec =
        create(org, "Contact", "{\"LastName\": \"A\"}", 0, &errs);

    CHECK_INT(sim_record_delete(org, rec, NULL, &errs), 0);
    CHECK(rec->deleted_ms > 0);
    CHECK_STR(value(rec, "IsDeleted"), "true");
    CHECK_INT(rec->modstamp_ms, rec->deleted_ms);
    CHECK(sim_record_find(org, rec->id) == rec);
    CHECK_INT(sim_org_object(org, "Contact")->nrecords, 1);
    CHECK_INT(sim_record_delete(org, rec, NULL, &errs), -1);
    CHECK_STR(errs.items[0].code, "ENTITY_IS_DELETED");
    CHECK_STR(errs.items[0].message, "entity is deleted");
    CHECK_INT(update(org, rec, "{\"Title\": \"X\"}", &errs), -1);
    CHECK_STR(errs.items[0].code, "ENTITY_IS_DELETED");
    sim_org_free(org);
}

TEST(find_accepts_15_and_any_case_18)
{
    struct sim_org *org = new_org();
    struct sim_errors errs;
    struct sim_record *rec =
        create(org, "Lead", "{\"LastName\": \"L\", \"Company\": \"C\"}", 0,
               &errs);
    char id15[16], lower[19];

    memcpy(id15, rec->id, 15);
    id15[15] = '\0';
    for (int i = 0; i < 19; i++)
        lower[i] = (char)tolower((unsigned char)rec->id[i]);
    CHECK(sim_record_find(org, id15) == rec);
    CHECK(sim_record_find(org, lower) == rec);
    CHECK(sim_record_find(org, "00QHn0000000zzz") == NULL);
    CHECK(sim_record_find(org, "junk") == NULL);
    CHECK(sim_record_find(org, NULL) == NULL);
    sim_org_free(org);
}

TEST(compound_address_rendered)
{
    struct sim_org *org = new_org();
    struct sim_errors errs;
    struct sim_record *rec = create(
        org, "Contact",
        "{\"LastName\": \"A\", \"MailingCity\": \"Paris\", "
        "\"MailingLatitude\": 48.85, \"MailingStreet\": \"1 Rue\"}",
        0, &errs);
    json_t *addr = json_of(rec, "MailingAddress");
    json_t *other = json_of(rec, "OtherAddress");
    json_t *whole;

    CHECK(json_is_object(addr));
    CHECK_INT(json_object_size(addr), 8);
    CHECK_STR(json_string_value(json_object_get(addr, "city")), "Paris");
    CHECK_STR(json_string_value(json_object_get(addr, "street")), "1 Rue");
    CHECK(json_real_value(json_object_get(addr, "latitude")) == 48.85);
    CHECK(json_is_null(json_object_get(addr, "postalCode")));
    CHECK(json_is_null(json_object_get(addr, "geocodeAccuracy")));
    CHECK(json_is_null(other));
    json_decref(addr);
    json_decref(other);

    /* A Lead's Address is built from Street, City and so on. */
    rec = create(org, "Lead",
                 "{\"LastName\": \"L\", \"Company\": \"C\", "
                 "\"Country\": \"FR\"}",
                 0, &errs);
    addr = json_of(rec, "Address");
    CHECK_STR(json_string_value(json_object_get(addr, "country")), "FR");
    json_decref(addr);

    whole = sim_record_json(rec, "60.0", NULL, 0);
    CHECK_STR(json_string_value(json_object_get(
                  json_object_get(whole, "attributes"), "type")),
              "Lead");
    CHECK(strstr(json_string_value(json_object_get(
                     json_object_get(whole, "attributes"), "url")),
                 "/services/data/v60.0/sobjects/Lead/00Q") != NULL);
    CHECK_INT(json_object_size(whole), rec->obj->nfields + 1);
    CHECK(json_is_boolean(json_object_get(whole, "IsConverted")));
    json_decref(whole);
    sim_org_free(org);
}

TEST(seeded_create_keeps_given_values)
{
    struct sim_org *org = new_org();
    struct sim_errors errs;
    char id[19], text[300];
    struct sim_record *rec;

    sim_id_to18("003Hn0000000ABC", id);
    snprintf(text, sizeof(text),
             "{\"Id\": \"%s\", \"LastName\": \"S\", \"Name\": \"ignored\", "
             "\"SystemModstamp\": \"2024-05-01T10:00:00.000+0000\", "
             "\"CreatedDate\": \"2024-04-01T10:00:00Z\"}",
             id);
    rec = create(org, "Contact", text, SIM_WRITE_SEED, &errs);
    CHECK(rec != NULL);
    CHECK_STR(rec->id, id);
    CHECK_STR(value(rec, "Id"), id);
    CHECK_STR(value(rec, "Name"), "S");
    CHECK_STR(value(rec, "CreatedDate"), "2024-04-01T10:00:00.000+0000");
    CHECK_STR(value(rec, "SystemModstamp"), "2024-05-01T10:00:00.000+0000");
    CHECK_INT(rec->modstamp_ms, 1714557600000LL);
    CHECK(sim_record_find(org, id) == rec);
    CHECK(create(org, "Contact", text, SIM_WRITE_SEED, &errs) == NULL);
    CHECK_STR(errs.items[0].code, "DUPLICATE_VALUE");
    sim_org_free(org);
}

TEST(lookup_matches_without_case)
{
    struct sim_org *org = new_org();
    struct sim_object *contact = sim_org_object(org, "Contact");
    const struct sim_field *email = sim_object_field(contact, "Email");
    struct sim_errors errs;
    struct sim_record *found[4];
    struct sim_record *a = create(
        org, "Contact", "{\"LastName\": \"A\", \"Email\": \"a@x.com\"}", 0,
        &errs);

    create(org, "Contact", "{\"LastName\": \"B\", \"Email\": \"A@X.com\"}", 0,
           &errs);
    CHECK_INT(sim_record_lookup(contact, email, "a@X.COM", found, 4), 2);
    CHECK(found[0] == a);
    CHECK_INT(sim_record_lookup(contact, email, "none@x.com", found, 4), 0);
    CHECK_INT(sim_record_lookup(contact, sim_object_field(contact, "Id"),
                                a->id, found, 4),
              1);
    sim_record_delete(org, a, NULL, &errs);
    CHECK_INT(sim_record_lookup(contact, email, "a@x.com", found, 4), 1);
    sim_org_free(org);
}

TEST(error_json_shapes)
{
    struct sim_errors errs = {0};
    json_t *rest, *save, *e;

    sim_errors_add(&errs, "REQUIRED_FIELD_MISSING", "LastName",
                   "Required fields are missing: [%s]", "LastName");
    sim_errors_add(&errs, "INVALID_FIELD", NULL, "No such column");
    rest = sim_errors_rest_json(&errs);
    save = sim_errors_save_json(&errs);
    CHECK_INT(json_array_size(rest), 2);
    e = json_array_get(rest, 0);
    CHECK_STR(json_string_value(json_object_get(e, "errorCode")),
              "REQUIRED_FIELD_MISSING");
    CHECK_STR(json_string_value(json_object_get(e, "message")),
              "Required fields are missing: [LastName]");
    CHECK_STR(json_string_value(
                  json_array_get(json_object_get(e, "fields"), 0)),
              "LastName");
    CHECK(json_object_get(json_array_get(rest, 1), "fields") == NULL);
    e = json_array_get(save, 1);
    CHECK_STR(json_string_value(json_object_get(e, "statusCode")),
              "INVALID_FIELD");
    CHECK(json_is_array(json_object_get(e, "fields")));
    CHECK(json_object_get(e, "errorCode") == NULL);
    json_decref(rest);
    json_decref(save);
}

TEST(error_builders_repair_utf8)
{
    struct sim_errors errs = {0};
    struct http_resp resp;
    char long_value[600];
    json_t *rest, *body;

    /* A bad byte echoed from a request, and a message cut by the 512-byte
     * buffer inside a two-byte character. */
    sim_errors_add(&errs, "INVALID_FIELD", NULL, "No such column '%s'",
                   "ab\xff");
    memset(long_value, 'x', sizeof(long_value));
    for (size_t i = 496; i + 1 < sizeof(long_value); i += 2)
        memcpy(long_value + i, "\xc3\xa9", 2);
    long_value[sizeof(long_value) - 1] = '\0';
    sim_errors_add(&errs, "STRING_TOO_LONG", NULL, "value %s", long_value);
    rest = sim_errors_rest_json(&errs);
    CHECK_INT(json_array_size(rest), 2);
    CHECK_STR(json_string_value(json_object_get(json_array_get(rest, 0),
                                                "message")),
              "No such column 'ab\xef\xbf\xbd'");
    CHECK(json_string_value(
              json_object_get(json_array_get(rest, 1), "message")) != NULL);
    json_decref(rest);

    memset(&resp, 0, sizeof(resp));
    buf_init(&resp.body, 0);
    sim_reply_error(&resp, 404, "NOT_FOUND", "no record '%s'", "\xff\xfe");
    CHECK_INT(resp.status, 404);
    body = json_loadb(resp.body.data, resp.body.len, 0, NULL);
    CHECK(json_is_array(body));
    CHECK_STR(json_string_value(json_object_get(json_array_get(body, 0),
                                                "message")),
              "no record '\xef\xbf\xbd\xef\xbf\xbd'");
    json_decref(body);
    buf_release(&resp.body);
    free(resp.content_type);
}

TEST(account_delete_cascades_to_contacts)
{
    struct sim_org *org = new_org();
    struct sim_errors errs;
    struct sim_record *account, *child, *other;
    char *text;

    account = create(org, "Account", "{\"Name\": \"A\"}", 0, &errs);
    text = xasprintf("{\"LastName\": \"C\", \"AccountId\": \"%s\"}",
                     account->id);
    child = create(org, "Contact", text, 0, &errs);
    other = create(org, "Contact", "{\"LastName\": \"D\"}", 0, &errs);
    free(text);
    CHECK_INT(sim_record_delete(org, account, NULL, &errs), 0);
    CHECK(child->deleted_ms != 0);
    CHECK_INT(child->deleted_ms, account->deleted_ms);
    CHECK_STR(sim_record_get(child, (size_t)child->obj->f_is_deleted),
              "true");
    CHECK(other->deleted_ms == 0);
    sim_org_free(org);
}

TEST(derived_objects_are_read_only)
{
    struct sim_org *org = new_org();
    struct sim_object *user = sim_org_object(org, "User");
    struct sim_record *rec;
    struct sim_errors errs = {0};

    CHECK_INT(user->nrecords, 1);
    rec = user->records[0];
    CHECK_STR(rec->id, sim_org_integration_user(org)->id);
    CHECK(create(org, "User", "{}", 0, &errs) == NULL);
    CHECK_STR(errs.items[0].code, "INVALID_TYPE_FOR_OPERATION");
    CHECK_STR(errs.items[0].message, "entity type cannot be inserted: User");
    CHECK_INT(update(org, rec, "{\"LastName\": \"X\"}", &errs), -1);
    CHECK_STR(errs.items[0].message, "entity type cannot be updated: User");
    CHECK_INT(sim_record_delete(org, rec, NULL, &errs), -1);
    CHECK_STR(errs.items[0].message, "entity type cannot be deleted: User");
    sim_org_add_user(org, "rep@example.com", "pw");
    CHECK_INT(user->nrecords, 2);
    CHECK_STR(sim_record_get(user->records[1],
                             sim_object_field(user, "Username")->index),
              "rep@example.com");
    CHECK_INT(sim_org_object(org, "Organization")->nrecords, 1);
    CHECK_STR(sim_org_object(org, "Organization")->records[0]->id,
              org->org_id);
    sim_org_free(org);
}

TEST(select_adds_id_and_rejects_unknown)
{
    struct sim_org *org = new_org();
    struct sim_object *contact = sim_org_object(org, "Contact");
    struct sim_errors errs = {0};
    json_t *names = parse("[\"email\", \"LastName\", \"Email\"]");
    const struct sim_field **fields;
    size_t n = 0;

    fields = sim_record_select(contact, names, &n, &errs);
    CHECK_INT(n, 3);
    CHECK_STR(fields[0]->name, "Email");
    CHECK_STR(fields[1]->name, "LastName");
    CHECK_STR(fields[2]->name, "Id");
    free(fields);
    json_decref(names);
    names = parse("[\"Bogus\"]");
    CHECK(sim_record_select(contact, names, &n, &errs) == NULL);
    CHECK_STR(errs.items[0].code, "INVALID_FIELD");
    json_decref(names);
    sim_org_free(org);
}

TEST_MAIN(TEST_ENTRY(create_sets_defaults_and_audit_fields),
          TEST_ENTRY(lead_status_defaults_to_picklist_default),
          TEST_ENTRY(name_is_computed_from_parts),
          TEST_ENTRY(required_fields_missing),
          TEST_ENTRY(required_field_cleared_on_update),
          TEST_ENTRY(unknown_field_rejected),
          TEST_ENTRY(read_only_fields_rejected),
          TEST_ENTRY(id_in_update_body),
          TEST_ENTRY(string_too_long_uses_label),
          TEST_ENTRY(email_format_checked),
          TEST_ENTRY(restricted_picklist_checked),
          TEST_ENTRY(wrong_json_types_are_parser_errors),
          TEST_ENTRY(values_are_normalised),
          TEST_ENTRY(number_range_checked),
          TEST_ENTRY(reference_fields_checked),
          TEST_ENTRY(update_stamps_and_keeps_created),
          TEST_ENTRY(late_commit_fault_moves_stamp_back),
          TEST_ENTRY(converted_lead_is_frozen),
          TEST_ENTRY(lock_fault_fails_writes),
          TEST_ENTRY(delete_moves_to_recycle_bin),
          TEST_ENTRY(find_accepts_15_and_any_case_18),
          TEST_ENTRY(compound_address_rendered),
          TEST_ENTRY(seeded_create_keeps_given_values),
          TEST_ENTRY(lookup_matches_without_case),
          TEST_ENTRY(error_json_shapes),
          TEST_ENTRY(error_builders_repair_utf8),
          TEST_ENTRY(account_delete_cascades_to_contacts),
          TEST_ENTRY(derived_objects_are_read_only),
          TEST_ENTRY(select_adds_id_and_rejects_unknown))
