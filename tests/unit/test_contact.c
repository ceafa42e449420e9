/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/* Unit tests of the contact model and its mapping to Salesforce fields. */
#include "base/common.h"

#include "model/contact.h"
#include "model/mapping.h"
#include "test.h"

static char *repeat(const char *unit, size_t count)
{
    size_t len = strlen(unit);
    char *s = xmalloc(len * count + 1);

    for (size_t i = 0; i < count; i++)
        memcpy(s + i * len, unit, len);
    s[len * count] = '\0';
    return s;
}

TEST(field_table_matches_spec)
{
    static const struct {
        const char *name;
        enum contact_field_type type;
        size_t max_len;
    } expected[] = {
        {"first_name", CONTACT_TYPE_TEXT, 40},
        {"last_name", CONTACT_TYPE_TEXT, 80},
        {"company", CONTACT_TYPE_TEXT, 255},
        {"title", CONTACT_TYPE_TEXT, 128},
        {"email", CONTACT_TYPE_EMAIL, 80},
        {"phone", CONTACT_TYPE_PHONE, 40},
        {"mobile_phone", CONTACT_TYPE_PHONE, 40},
        {"street", CONTACT_TYPE_TEXT, 255},
        {"city", CONTACT_TYPE_TEXT, 40},
        {"state", CONTACT_TYPE_TEXT, 80},
        {"postal_code", CONTACT_TYPE_TEXT, 20},
        {"country", CONTACT_TYPE_TEXT, 80},
        {"lead_status", CONTACT_TYPE_PICKLIST, 255},
        {"lead_source", CONTACT_TYPE_PICKLIST, 255},
        {"do_not_call", CONTACT_TYPE_BOOL, 0},
        {"email_opt_out", CONTACT_TYPE_BOOL, 0},
        {"owner", CONTACT_TYPE_TEXT, 255},
    };

    CHECK_INT(ARRAY_SIZE(expected), CONTACT_FIELD_COUNT);
    for (size_t i = 0; i < ARRAY_SIZE(expected); i++) {
        int f = contact_field_by_name(expected[i].name);

        CHECK_INT(f, (int)i);
        if (f < 0)
            continue;
        CHECK_INT(contact_fields[f].type, expected[i].type);
        CHECK_INT(contact_fields[f].max_len, expected[i].max_len);
    }
    CHECK_STR(contact_fields[CONTACT_PHONE].e164_name, "phone_e164");
    CHECK_STR(contact_fields[CONTACT_MOBILE_PHONE].valid_name,
              "mobile_phone_valid");
    CHECK_INT(contact_field_by_name("FirstName"), -1);
    CHECK_INT(contact_field_by_name("phone_e164"), -1);
    CHECK_INT(contact_field_by_name(NULL), -1);
}

TEST(set_text_empty_is_null)
{
    struct contact c;

    contact_init(&c);
    contact_set_text(&c, CONTACT_CITY, "Oslo");
    CHECK_STR(contact_text(&c, CONTACT_CITY), "Oslo");
    contact_set_text(&c, CONTACT_CITY, "");
    CHECK(contact_text(&c, CONTACT_CITY) == NULL);
    contact_release(&c);
}

TEST(validate_rejects_too_long)
{
    struct contact c;
    struct err err;
    char *name = repeat("a", 41);

    contact_init(&c);
    contact_set_text(&c, CONTACT_FIRST_NAME, name);
    err_clear(&err);
    CHECK_INT(contact_validate(&c, &err), SYNC_EINVALID);
    CHECK_STR(err.msg,
              "field 'first_name' is 41 characters long; the maximum is 40");
    /* Nothing is truncated. */
    CHECK_STR(contact_text(&c, CONTACT_FIRST_NAME), name);
    free(name);

    name = repeat("a", 40);
    contact_set_text(&c, CONTACT_FIRST_NAME, name);
    CHECK_INT(contact_validate(&c, NULL), 0);
    free(name);

    /* The maximum counts characters: 40 two-byte characters fit. */
    name = repeat("\xc3\xa9", 40);
    contact_set_text(&c, CONTACT_FIRST_NAME, name);
    CHECK_INT(contact_validate(&c, NULL), 0);
    free(name);

    name = repeat("9", 21);
    contact_set_text(&c, CONTACT_POSTAL_CODE, name);
    err_clear(&err);
    CHECK_INT(contact_validate(&c, &err), SYNC_EINVALID);
    CHECK_STR(err.msg,
              "field 'postal_code' is 21 characters long; the maximum is 20");
    free(name);
    contact_release(&c);
}

TEST(validate_rejects_bad_utf8)
{
    static const char *const bad[] = {
        "Caf\xc3",             /* truncated sequence */
        "\xc0\xaf",            /* overlong '/' */
        "\xed\xa0\x80",        /* surrogate U+D800 */
        "\xf4\x90\x80\x80",    /* above U+10FFFF */
        "ok\xff",
    };
    struct contact c;
    struct err err;

    contact_init(&c);
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        contact_set_text(&c, CONTACT_CITY, bad[i]);
        err_clear(&err);
        CHECK_INT(contact_validate(&c, &err), SYNC_EINVALID);
        CHECK(strstr(err.msg, "field 'city' is not valid UTF-8") != NULL);
    }
    contact_set_text(&c, CONTACT_CITY, "K\xc3\xb8" "benhavn \xf0\x9f\x93\x9e");
    CHECK_INT(contact_validate(&c, NULL), 0);
    contact_release(&c);
}

TEST(validate_checks_email)
{
    static const char *const good[] = {
        "a@example.com", "first.last+tag@sub.example.co.uk",
        "o'brien@example.ie", "x_y-z@e-x.io",
    };
    static const char *const bad[] = {
        "plainaddress", "@example.com", "a@", "a@example", "a@@example.com",
        "a b@example.com", "a@exa mple.com", ".a@example.com",
        "a.@example.com", "a..b@example.com", "a@-example.com",
        "a@example-.com", "a@example..com", "a@example.123",
        "j\xc3\xb8rn@example.no",
    };
    struct contact c;
    struct err err;

    contact_init(&c);
    for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
        contact_set_text(&c, CONTACT_EMAIL, good[i]);
        err_clear(&err);
        CHECK_INT(contact_validate(&c, &err), 0);
        if (err.code)
            fprintf(stderr, "'%s': %s\n", good[i], err.msg);
    }
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        contact_set_text(&c, CONTACT_EMAIL, bad[i]);
        err_clear(&err);
        CHECK_INT(contact_validate(&c, &err), SYNC_EINVALID);
        CHECK(strstr(err.msg, "is not a valid email address") != NULL);
    }
    contact_set_text(&c, CONTACT_EMAIL, "a@");
    err_clear(&err);
    contact_validate(&c, &err);
    CHECK_STR(err.msg,
              "field 'email' value 'a@' is not a valid email address");
    contact_release(&c);
}

TEST(normalize_keeps_original_text)
{
    struct contact c;

    contact_init(&c);
    contact_set_text(&c, CONTACT_PHONE, "(415) 555-2671");
    contact_set_text(&c, CONTACT_MOBILE_PHONE, "not a phone");
    CHECK_INT(contact_normalize_phones(&c, "US", NULL), 0);
    CHECK_STR(c.values[CONTACT_PHONE].e164, "+14155552671");
    CHECK_STR(contact_text(&c, CONTACT_PHONE), "(415) 555-2671");
    CHECK(c.values[CONTACT_MOBILE_PHONE].e164 == NULL);
    CHECK(!c.values[CONTACT_MOBILE_PHONE].valid);
    CHECK_STR(contact_text(&c, CONTACT_MOBILE_PHONE), "not a phone");

    /* Changing the text drops the old E.164 form. */
    contact_set_text(&c, CONTACT_PHONE, "020 7946 0958");
    CHECK(c.values[CONTACT_PHONE].e164 == NULL);
    CHECK_INT(contact_normalize_phones(&c, "GB", NULL), 0);
    CHECK_STR(c.values[CONTACT_PHONE].e164, "+442079460958");
    CHECK_INT(contact_normalize_phones(&c, "XX", NULL), SYNC_EINVALID);
    contact_release(&c);
}

TEST(parse_value_reads_bools)
{
    struct contact c;
    struct err err;

    contact_init(&c);
    CHECK_INT(contact_parse_value(&c, CONTACT_DO_NOT_CALL, "yes", NULL), 0);
    CHECK(c.values[CONTACT_DO_NOT_CALL].flag);
    CHECK_INT(contact_parse_value(&c, CONTACT_DO_NOT_CALL, "FALSE", NULL), 0);
    CHECK(!c.values[CONTACT_DO_NOT_CALL].flag);
    err_clear(&err);
    CHECK_INT(contact_parse_value(&c, CONTACT_DO_NOT_CALL, "maybe", &err),
              SYNC_EINVALID);
    CHECK_STR(err.msg, "field 'do_not_call' takes true or false, not 'maybe'");
    CHECK_INT(contact_parse_value(&c, CONTACT_TITLE, "CTO", NULL), 0);
    CHECK_STR(contact_text(&c, CONTACT_TITLE), "CTO");
    contact_release(&c);
}

static void fill_sample(struct contact *c)
{
    contact_set_text(c, CONTACT_FIRST_NAME, "Ada");
    contact_set_text(c, CONTACT_LAST_NAME, "Lovelace");
    contact_set_text(c, CONTACT_COMPANY, "Analytical Engines");
    contact_set_text(c, CONTACT_EMAIL, "ada@example.com");
    contact_set_text(c, CONTACT_PHONE, "+44 20 7946 0958");
    contact_set_flag(c, CONTACT_DO_NOT_CALL, true);
}

TEST(diff_and_copy_fields)
{
    struct contact a, b;

    contact_init(&a);
    contact_init(&b);
    fill_sample(&a);
    contact_copy(&b, &a);
    CHECK_INT(contact_diff(&a, &b), 0);
    CHECK(b.values[CONTACT_FIRST_NAME].text !=
          a.values[CONTACT_FIRST_NAME].text);

    contact_set_text(&b, CONTACT_CITY, "London");
    contact_set_flag(&b, CONTACT_DO_NOT_CALL, false);
    contact_set_text(&b, CONTACT_EMAIL, NULL);
    CHECK_INT(contact_diff(&a, &b), CONTACT_FIELD_BIT(CONTACT_CITY) |
                                        CONTACT_FIELD_BIT(CONTACT_DO_NOT_CALL) |
                                        CONTACT_FIELD_BIT(CONTACT_EMAIL));

    contact_copy_fields(&a, &b, CONTACT_FIELD_BIT(CONTACT_CITY));
    CHECK_STR(contact_text(&a, CONTACT_CITY), "London");
    CHECK_STR(contact_text(&a, CONTACT_EMAIL), "ada@example.com");
    CHECK_INT(contact_diff(&a, &b), CONTACT_FIELD_BIT(CONTACT_DO_NOT_CALL) |
                                        CONTACT_FIELD_BIT(CONTACT_EMAIL));
    contact_release(&a);
    contact_release(&b);
}

TEST(phone_match_needs_names)
{
    static const struct {
        const char *first_a, *last_a, *email_a;
        const char *first_b, *last_b, *email_b;
        bool agrees;
    } cases[] = {
        {"Alice", "Smith", NULL, "Bob", "Jones", NULL, false},
        {"Alice", "Smith", NULL, "Bob", "Smith", NULL, false},
        {"Alice", "Smith", NULL, "alice", " SMITH ", NULL, true},
        {"Alice", "Smith", NULL, NULL, "Smith", NULL, true},
        {NULL, "Smith", "a@x.com", "Alice", "smith", NULL, true},
        {"Alice", "Smith", "a@x.com", "Alice", "Jones", NULL, false},
        {NULL, NULL, NULL, NULL, "Jones", NULL, false},
        {NULL, NULL, NULL, NULL, NULL, NULL, true},
        /* Both emails decide, whatever the names. */
        {"Alice", "Smith", "a@x.com", "Bob", "Jones", "A@X.COM", true},
        {"Alice", "Smith", "a@x.com", "Alice", "Smith", "b@x.com", false},
    };

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct contact a, b;

        contact_init(&a);
        contact_init(&b);
        contact_set_text(&a, CONTACT_FIRST_NAME, cases[i].first_a);
        contact_set_text(&a, CONTACT_LAST_NAME, cases[i].last_a);
        contact_set_text(&a, CONTACT_EMAIL, cases[i].email_a);
        contact_set_text(&b, CONTACT_FIRST_NAME, cases[i].first_b);
        contact_set_text(&b, CONTACT_LAST_NAME, cases[i].last_b);
        contact_set_text(&b, CONTACT_EMAIL, cases[i].email_b);
        CHECK_INT(contact_phone_match_agrees(&a, &b), cases[i].agrees);
        CHECK_INT(contact_phone_match_agrees(&b, &a), cases[i].agrees);
        contact_release(&a);
        contact_release(&b);
    }
}

TEST(json_round_trip)
{
    struct contact a, b;
    json_t *obj;
    uint32_t mask;

    contact_init(&a);
    contact_init(&b);
    fill_sample(&a);
    a.id = 7;
    a.version = 3;
    CHECK_INT(contact_normalize_phones(&a, "US", NULL), 0);
    obj = contact_to_json(&a);
    CHECK(obj != NULL);
    CHECK_INT(json_integer_value(json_object_get(obj, "id")), 7);
    CHECK_STR(json_string_value(json_object_get(obj, "first_name")), "Ada");
    CHECK_STR(json_string_value(json_object_get(obj, "phone_e164")),
              "+442079460958");
    CHECK(json_is_true(json_object_get(obj, "phone_valid")));
    CHECK(json_is_null(json_object_get(obj, "city")));
    CHECK(json_is_true(json_object_get(obj, "do_not_call")));
    CHECK(json_is_false(json_object_get(obj, "email_opt_out")));
    CHECK_STR(json_string_value(json_object_get(obj, "created_at")),
              "1970-01-01T00:00:00.000Z");

    CHECK_INT(contact_fields_from_json(&b, obj, &mask, NULL), 0);
    CHECK_INT(mask, CONTACT_ALL_FIELDS);
    CHECK_INT(contact_diff(&a, &b), 0);
    /* Record keys are not fields, and so are not read back. */
    CHECK_INT(b.id, 0);
    json_decref(obj);

    obj = contact_fields_to_json(&a, CONTACT_FIELD_BIT(CONTACT_PHONE));
    CHECK_INT(json_object_size(obj), 1);
    CHECK_STR(json_string_value(json_object_get(obj, "phone")),
              "+44 20 7946 0958");
    json_decref(obj);
    contact_release(&a);
    contact_release(&b);
}

TEST(json_rejects_bad_input)
{
    struct contact c;
    struct err err;
    json_t *obj;

    contact_init(&c);
    obj = json_pack("{s:s}", "nickname", "Ace");
    err_clear(&err);
    CHECK_INT(contact_fields_from_json(&c, obj, NULL, &err), SYNC_EINVALID);
    CHECK_STR(err.msg, "unknown contact field 'nickname'");
    json_decref(obj);

    obj = json_pack("{s:s}", "do_not_call", "yes");
    err_clear(&err);
    CHECK_INT(contact_fields_from_json(&c, obj, NULL, &err), SYNC_EINVALID);
    CHECK_STR(err.msg, "field 'do_not_call' must be true or false");
    json_decref(obj);

    obj = json_pack("{s:i}", "city", 5);
    err_clear(&err);
    CHECK_INT(contact_fields_from_json(&c, obj, NULL, &err), SYNC_EINVALID);
    CHECK_STR(err.msg, "field 'city' must be a string or null");
    json_decref(obj);

    obj = json_stringn("a\0b", 3);
    CHECK_INT(contact_fields_from_json(&c, obj, NULL, NULL), SYNC_EINVALID);
    json_decref(obj);

    obj = json_object();
    json_object_set_new(obj, "city", json_stringn("a\0b", 3));
    err_clear(&err);
    CHECK_INT(contact_fields_from_json(&c, obj, NULL, &err), SYNC_EINVALID);
    CHECK_STR(err.msg, "field 'city' contains a NUL byte");
    json_decref(obj);
    contact_release(&c);
}

TEST(mapping_soql_fields)
{
    struct mapping m;
    char *fields;

    mapping_init(&m);
    fields = mapping_soql_fields(&m, SF_OBJECT_CONTACT);
    CHECK_STR(fields,
              "FirstName, LastName, Title, Email, Phone, MobilePhone, "
              "MailingStreet, MailingCity, MailingState, MailingPostalCode, "
              "MailingCountry, LeadSource, DoNotCall, HasOptedOutOfEmail, "
              "OwnerId, Account.Name");
    free(fields);
    fields = mapping_soql_fields(&m, SF_OBJECT_LEAD);
    CHECK_STR(fields,
              "FirstName, LastName, Company, Title, Email, Phone, "
              "MobilePhone, Street, City, State, PostalCode, Country, Status, "
              "LeadSource, DoNotCall, HasOptedOutOfEmail, OwnerId");
    free(fields);
    mapping_release(&m);
}

TEST(mapping_directions)
{
    struct mapping m;
    const struct mapping_row *row;

    mapping_init(&m);
    row = mapping_find(&m, SF_OBJECT_CONTACT, CONTACT_COMPANY);
    CHECK(row != NULL);
    if (row) {
        CHECK_STR(row->sf_field, "Account.Name");
        CHECK(row->flags & MAPPING_FROM_SF);
        CHECK(row->flags & MAPPING_TO_SF);
        CHECK(row->flags & MAPPING_DERIVED);
    }
    CHECK(mapping_find(&m, SF_OBJECT_CONTACT, CONTACT_LEAD_STATUS) == NULL);
    row = mapping_find(&m, SF_OBJECT_LEAD, CONTACT_LEAD_STATUS);
    CHECK(row != NULL);
    if (row)
        CHECK_STR(row->sf_field, "Status");
    /* A Contact's company flows to Salesforce through its Account. */
    CHECK(mapping_fields(&m, SF_OBJECT_CONTACT, MAPPING_TO_SF) &
          CONTACT_FIELD_BIT(CONTACT_COMPANY));
    CHECK(mapping_fields(&m, SF_OBJECT_LEAD, MAPPING_TO_SF) &
          CONTACT_FIELD_BIT(CONTACT_COMPANY));
    CHECK_INT(mapping_object_parse("lead"), SF_OBJECT_LEAD);
    CHECK_INT(mapping_object_parse("Account"), -1);
    mapping_release(&m);
}

TEST(mapping_reads_contact_record)
{
    static const char record_json[] =
        "{\"attributes\": {\"type\": \"Contact\"},"
        " \"Id\": \"0035500001H9cakAAB\", \"FirstName\": \"Grace\","
        " \"LastName\": \"Hopper\", \"Email\": null,"
        " \"phone\": \"(415) 555-2671\", \"DoNotCall\": true,"
        " \"HasOptedOutOfEmail\": false, \"OwnerId\": \"005000000000001AAA\","
        " \"Account\": {\"attributes\": {\"type\": \"Account\"},"
        "               \"Name\": \"Navy\"}}";
    struct mapping m;
    struct contact c;
    json_t *record = json_loads(record_json, 0, NULL);
    uint32_t mask;

    mapping_init(&m);
    contact_init(&c);
    contact_set_text(&c, CONTACT_EMAIL, "old@example.com");
    contact_set_text(&c, CONTACT_CITY, "Arlington");
    CHECK_INT(mapping_from_record(&m, SF_OBJECT_CONTACT, record, &c, &mask,
                                  NULL),
              0);
    CHECK_STR(contact_text(&c, CONTACT_FIRST_NAME), "Grace");
    CHECK_STR(contact_text(&c, CONTACT_COMPANY), "Navy");
    /* Field names match in any case, as Salesforce treats them. */
    CHECK_STR(contact_text(&c, CONTACT_PHONE), "(415) 555-2671");
    CHECK(contact_text(&c, CONTACT_EMAIL) == NULL);
    CHECK(c.values[CONTACT_DO_NOT_CALL].flag);
    CHECK_STR(contact_text(&c, CONTACT_OWNER), "005000000000001AAA");
    /* MailingCity was not selected, so the local city stays. */
    CHECK_STR(contact_text(&c, CONTACT_CITY), "Arlington");
    CHECK(!(mask & CONTACT_FIELD_BIT(CONTACT_CITY)));
    CHECK(mask & CONTACT_FIELD_BIT(CONTACT_COMPANY));
    CHECK(mask & CONTACT_FIELD_BIT(CONTACT_EMAIL));

    /* A Contact without an Account has no company. */
    json_object_set_new(record, "Account", json_null());
    CHECK_INT(mapping_from_record(&m, SF_OBJECT_CONTACT, record, &c, &mask,
                                  NULL),
              0);
    CHECK(contact_text(&c, CONTACT_COMPANY) == NULL);
    CHECK(mask & CONTACT_FIELD_BIT(CONTACT_COMPANY));

    json_object_set_new(record, "DoNotCall", json_string("yes"));
    CHECK_INT(mapping_from_record(&m, SF_OBJECT_CONTACT, record, &c, &mask,
                                  NULL),
              SYNC_EINVALID);
    json_decref(record);
    contact_release(&c);
    mapping_release(&m);
}

TEST(mapping_builds_payload)
{
    struct mapping m;
    struct contact c;
    struct err err;
    json_t *payload;
    uint32_t mask = CONTACT_FIELD_BIT(CONTACT_LAST_NAME) |
                    CONTACT_FIELD_BIT(CONTACT_COMPANY) |
                    CONTACT_FIELD_BIT(CONTACT_CITY) |
                    CONTACT_FIELD_BIT(CONTACT_LEAD_STATUS) |
                    CONTACT_FIELD_BIT(CONTACT_DO_NOT_CALL);

    mapping_init(&m);
    contact_init(&c);
    fill_sample(&c);

    payload = mapping_to_payload(&m, SF_OBJECT_CONTACT, &c, mask, NULL);
    CHECK(payload != NULL);
    CHECK_INT(json_object_size(payload), 3);
    CHECK_STR(json_string_value(json_object_get(payload, "LastName")),
              "Lovelace");
    /* A Contact's company is its Account's name: it is never sent. */
    CHECK(json_object_get(payload, "Account.Name") == NULL);
    CHECK(json_is_null(json_object_get(payload, "MailingCity")));
    CHECK(json_is_true(json_object_get(payload, "DoNotCall")));
    json_decref(payload);

    payload = mapping_to_payload(&m, SF_OBJECT_LEAD, &c, mask, NULL);
    CHECK_STR(json_string_value(json_object_get(payload, "Company")),
              "Analytical Engines");
    /* Status is not nillable: an empty lead_status is left out. */
    CHECK(json_object_get(payload, "Status") == NULL);
    CHECK_INT(json_object_size(payload), 4);
    json_decref(payload);

    contact_set_text(&c, CONTACT_OWNER, "Jane Doe");
    err_clear(&err);
    payload = mapping_to_payload(&m, SF_OBJECT_LEAD, &c,
                                 CONTACT_FIELD_BIT(CONTACT_OWNER), &err);
    CHECK(payload == NULL);
    CHECK_INT(err.code, SYNC_EINVALID);
    CHECK(strstr(err.msg, "field 'owner' value 'Jane Doe'") != NULL);
    contact_set_text(&c, CONTACT_OWNER, "005000000000001AAA");
    payload = mapping_to_payload(&m, SF_OBJECT_LEAD, &c,
                                 CONTACT_FIELD_BIT(CONTACT_OWNER), NULL);
    CHECK_STR(json_string_value(json_object_get(payload, "OwnerId")),
              "005000000000001AAA");
    json_decref(payload);
    contact_release(&c);
    mapping_release(&m);
}

TEST(mapping_custom_rows)
{
    struct mapping m;
    struct contact c;
    struct err err;
    json_t *record, *payload;
    char *fields;

    mapping_init(&m);
    contact_init(&c);
    CHECK_INT(mapping_add_custom(&m, SF_OBJECT_CONTACT, "Company__c",
                                 CONTACT_COMPANY,
                                 MAPPING_TO_SF | MAPPING_FROM_SF, NULL),
              0);
    CHECK_INT(mapping_add_custom(&m, SF_OBJECT_LEAD, "acme__Region__c",
                                 CONTACT_STATE, MAPPING_FROM_SF, NULL),
              0);
    fields = mapping_soql_fields(&m, SF_OBJECT_CONTACT);
    CHECK(strstr(fields, "Account.Name") == NULL);
    CHECK(strstr(fields, "Company__c") != NULL);
    free(fields);

    record = json_pack("{s:s, s:s}", "company__C", "Initech", "LastName",
                       "Lumbergh");
    CHECK_INT(mapping_from_record(&m, SF_OBJECT_CONTACT, record, &c, NULL,
                                  NULL),
              0);
    CHECK_STR(contact_text(&c, CONTACT_COMPANY), "Initech");
    json_decref(record);
    payload = mapping_to_payload(&m, SF_OBJECT_CONTACT, &c,
                                 CONTACT_FIELD_BIT(CONTACT_COMPANY), NULL);
    CHECK_STR(json_string_value(json_object_get(payload, "Company__c")),
              "Initech");
    json_decref(payload);

    /* A from-Salesforce row is never sent. */
    contact_set_text(&c, CONTACT_STATE, "CA");
    payload = mapping_to_payload(&m, SF_OBJECT_LEAD, &c,
                                 CONTACT_FIELD_BIT(CONTACT_STATE), NULL);
    CHECK_INT(json_object_size(payload), 0);
    json_decref(payload);

    err_clear(&err);
    CHECK_INT(mapping_add_custom(&m, SF_OBJECT_LEAD, "Region", CONTACT_STATE,
                                 MAPPING_FROM_SF, &err),
              SYNC_EINVALID);
    CHECK(strstr(err.msg, "is not a custom field name") != NULL);
    CHECK_INT(mapping_add_custom(&m, SF_OBJECT_LEAD, "Re___gion__c",
                                 CONTACT_STATE, MAPPING_FROM_SF, NULL),
              SYNC_EINVALID);
    CHECK_INT(mapping_add_custom(&m, SF_OBJECT_LEAD, "Region_" "__c",
                                 CONTACT_STATE, MAPPING_FROM_SF, NULL),
              SYNC_EINVALID);
    CHECK_INT(mapping_add_custom(&m, SF_OBJECT_LEAD, "Region__c",
                                 CONTACT_STATE, 0, NULL),
              SYNC_EINVALID);
    err_clear(&err);
    CHECK_INT(mapping_add_custom(&m, SF_OBJECT_LEAD, "ACME__region__c",
                                 CONTACT_CITY, MAPPING_FROM_SF, &err),
              SYNC_EINVALID);
    CHECK_STR(err.msg,
              "field 'ACME__region__c' of Lead is already mapped to 'state'");
    contact_release(&c);
    mapping_release(&m);
}

TEST_MAIN(TEST_ENTRY(field_table_matches_spec),
          TEST_ENTRY(set_text_empty_is_null),
          TEST_ENTRY(validate_rejects_too_long),
          TEST_ENTRY(validate_rejects_bad_utf8),
          TEST_ENTRY(validate_checks_email),
          TEST_ENTRY(normalize_keeps_original_text),
          TEST_ENTRY(parse_value_reads_bools),
          TEST_ENTRY(diff_and_copy_fields),
          TEST_ENTRY(phone_match_needs_names),
          TEST_ENTRY(json_round_trip),
          TEST_ENTRY(json_rejects_bad_input),
          TEST_ENTRY(mapping_soql_fields),
          TEST_ENTRY(mapping_directions),
          TEST_ENTRY(mapping_reads_contact_record),
          TEST_ENTRY(mapping_builds_payload),
          TEST_ENTRY(mapping_custom_rows))
