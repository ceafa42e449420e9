/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/* Unit tests of the SOQL builder: escapes, identifiers, clause order. */
#include "base/common.h"

#include "salesforce/sf_soql.h"
#include "test.h"

/* Escape value and return the text in a static buffer. */
static const char *escaped(const char *value, bool like)
{
    static char out[256];
    struct buf b;

    buf_init(&b, 0);
    sf_soql_escape(&b, value, like);
    snprintf(out, sizeof(out), "%s", b.data);
    buf_release(&b);
    return out;
}

/* Finish q, release it and return the text (or "ERROR: msg"). */
static const char *finished(struct sf_soql *q)
{
    static char out[ERR_MSG_MAX + 16];
    struct err err;
    char *text = sf_soql_finish(q, &err);

    if (text)
        snprintf(out, sizeof(out), "%s", text);
    else
        snprintf(out, sizeof(out), "ERROR: %s", err.msg);
    free(text);
    sf_soql_release(q);
    return out;
}

static void start(struct sf_soql *q, const char *object)
{
    static const char *const id[] = {"Id"};

    sf_soql_init(q);
    sf_soql_select(q, id, 1);
    sf_soql_from(q, object);
}

TEST(escape_each_special_character)
{
    CHECK_STR(escaped("a\\b", false), "a\\\\b");
    CHECK_STR(escaped("O'Brien", false), "O\\'Brien");
    CHECK_STR(escaped("say \"hi\"", false), "say \\\"hi\\\"");
    CHECK_STR(escaped("line1\nline2", false), "line1\\nline2");
    CHECK_STR(escaped("cr\r", false), "cr\\r");
    CHECK_STR(escaped("tab\there", false), "tab\\there");
    CHECK_STR(escaped("bs\b", false), "bs\\b");
    CHECK_STR(escaped("ff\f", false), "ff\\f");
    CHECK_STR(escaped("bell\a", false), "bell\\u0007");
    CHECK_STR(escaped("del\x7f", false), "del\\u007f");
    CHECK_STR(escaped("plain text 123", false), "plain text 123");
    CHECK_STR(escaped("", false), "");
}

TEST(escape_keeps_utf8)
{
    CHECK_STR(escaped("Zo\xc3\xab M\xc3\xbcller", false),
              "Zo\xc3\xab M\xc3\xbcller");
}

TEST(escape_like_wildcards)
{
    CHECK_STR(escaped("100%_done", true), "100\\%\\_done");
    CHECK_STR(escaped("100%_done", false), "100%_done");
    CHECK_STR(escaped("a\\%", true), "a\\\\\\%");
}

TEST(quote_wraps_in_single_quotes)
{
    struct buf b;

    buf_init(&b, 0);
    sf_soql_quote(&b, "it's");
    CHECK_STR(b.data, "'it\\'s'");
    buf_release(&b);
}

TEST(ident_valid_accepts_api_names)
{
    CHECK(sf_soql_ident_valid("Id"));
    CHECK(sf_soql_ident_valid("LastName"));
    CHECK(sf_soql_ident_valid("Account.Name"));
    CHECK(sf_soql_ident_valid("Account.Owner.Name"));
    CHECK(sf_soql_ident_valid("Ext_Id__c"));
    CHECK(sf_soql_ident_valid("ns__Field__c"));
    CHECK(sf_soql_ident_valid("a1"));
    CHECK(sf_soql_ident_valid("x"));
}

TEST(ident_valid_rejects_other_text)
{
    static const char *const bad[] = {
        "",
        "1a",
        "_a",
        "a.",
        ".a",
        "a..b",
        "a b",
        "a'",
        "a-b",
        "a.1b",
        "a.b.",
        "Name != '",
        "x' OR Name != '",
        "Id,Name",
        "COUNT()",
        "Name;",
        "a\nb",
        "N\xc3\xa4me",
        "a.b c",
    };

    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        if (sf_soql_ident_valid(bad[i]))
            fprintf(stderr, "accepted: '%s'\n", bad[i]);
        CHECK(!sf_soql_ident_valid(bad[i]));
    }
    CHECK(!sf_soql_ident_valid(NULL));
}

TEST(injected_value_stays_literal)
{
    struct sf_soql q;

    start(&q, "Contact");
    sf_soql_where_string(&q, "Name", "=", "x' OR Name != '");
    CHECK_STR(finished(&q),
              "SELECT Id FROM Contact WHERE Name = 'x\\' OR Name != \\''");
}

TEST(injected_backslash_quote_stays_literal)
{
    struct sf_soql q;

    /* A trailing backslash must not escape the closing quote. */
    start(&q, "Contact");
    sf_soql_where_string(&q, "Name", "=", "x\\' OR Id != '");
    CHECK_STR(finished(&q), "SELECT Id FROM Contact WHERE Name = "
                            "'x\\\\\\' OR Id != \\''");
}

TEST(injected_field_rejected)
{
    struct sf_soql q;
    struct err err;

    start(&q, "Contact");
    CHECK_INT(sf_soql_where_string(&q, "Name = 'a' OR Name", "=", "b"),
              SYNC_EINVALID);
    CHECK(sf_soql_finish(&q, &err) == NULL);
    CHECK_INT(err.code, SYNC_EINVALID);
    CHECK(strstr(err.msg, "invalid SOQL field") != NULL);
    sf_soql_release(&q);
}

TEST(injected_object_rejected)
{
    static const char *const id[] = {"Id"};
    struct sf_soql q;

    sf_soql_init(&q);
    sf_soql_select(&q, id, 1);
    CHECK_INT(sf_soql_from(&q, "Contact WHERE Name != null"), SYNC_EINVALID);
    CHECK(strncmp(finished(&q), "ERROR: invalid SOQL object", 26) == 0);
}

TEST(injected_operator_rejected)
{
    struct sf_soql q;

    start(&q, "Contact");
    CHECK_INT(sf_soql_where_string(&q, "Name", "= 'a' OR Name =", "b"),
              SYNC_EINVALID);
    CHECK(strncmp(finished(&q), "ERROR: invalid SOQL operator", 28) == 0);
}

TEST(injected_select_field_rejected)
{
    static const char *const fields[] = {"Id", "Name FROM User --"};
    struct sf_soql q;

    sf_soql_init(&q);
    CHECK_INT(sf_soql_select(&q, fields, 2), SYNC_EINVALID);
    CHECK(strncmp(finished(&q), "ERROR: invalid SOQL field", 25) == 0);
}

TEST(injected_like_stays_literal)
{
    struct sf_soql q;

    start(&q, "Lead");
    sf_soql_where_like(&q, "Email", "%' OR Name LIKE '%", SF_SOQL_LIKE_PREFIX);
    CHECK_STR(finished(&q), "SELECT Id FROM Lead WHERE Email LIKE "
                            "'\\%\\' OR Name LIKE \\'\\%%'");
}

TEST(incremental_query_with_keyset)
{
    static const char *const fields[] = {"Id", "LastName", "Account.Name",
                                         "SystemModstamp"};
    struct sf_soql q;

    sf_soql_init(&q);
    sf_soql_select(&q, fields, ARRAY_SIZE(fields));
    sf_soql_from(&q, "Contact");
    sf_soql_group_begin(&q);
    sf_soql_where_datetime(&q, "SystemModstamp", "=", 1704164645000LL);
    sf_soql_where_string(&q, "Id", ">", "003000000000001AAA");
    sf_soql_group_end(&q);
    sf_soql_or(&q);
    sf_soql_where_datetime(&q, "SystemModstamp", ">", 1704164645000LL);
    sf_soql_order_by(&q, "SystemModstamp", SF_SOQL_ASC);
    sf_soql_order_by(&q, "Id", SF_SOQL_ASC);
    sf_soql_limit(&q, 2000);
    CHECK_STR(finished(&q),
              "SELECT Id, LastName, Account.Name, SystemModstamp FROM "
              "Contact WHERE (SystemModstamp = 2024-01-02T03:04:05Z AND "
              "Id > '003000000000001AAA') OR SystemModstamp > "
              "2024-01-02T03:04:05Z ORDER BY SystemModstamp ASC, Id ASC "
              "LIMIT 2000");
}

TEST(datetime_literal_format)
{
    char out[SF_SOQL_DATETIME_SIZE];

    sf_soql_datetime(1704164645000LL, out);
    CHECK_STR(out, "2024-01-02T03:04:05Z");
    sf_soql_datetime(1704164645999LL, out);
    CHECK_STR(out, "2024-01-02T03:04:05Z");
    sf_soql_datetime(0, out);
    CHECK_STR(out, "1970-01-01T00:00:00Z");
    sf_soql_datetime(-1, out);
    CHECK_STR(out, "1969-12-31T23:59:59Z");
}

TEST(datetime_condition_unquoted)
{
    struct sf_soql q;

    start(&q, "Lead");
    sf_soql_where_datetime(&q, "SystemModstamp", ">=", 1704164645123LL);
    CHECK_STR(finished(&q), "SELECT Id FROM Lead WHERE SystemModstamp >= "
                            "2024-01-02T03:04:05Z");
}

TEST(in_list_and_not_in)
{
    static const char *const ids[] = {"003A", "003B'", "003C"};
    struct sf_soql q;

    start(&q, "Contact");
    sf_soql_where_in(&q, "Id", false, ids, 3);
    sf_soql_where_in(&q, "Email", true, ids, 1);
    CHECK_STR(finished(&q), "SELECT Id FROM Contact WHERE Id IN ('003A', "
                            "'003B\\'', '003C') AND Email NOT IN ('003A')");
}

TEST(in_list_empty_rejected)
{
    struct sf_soql q;

    start(&q, "Contact");
    CHECK_INT(sf_soql_where_in(&q, "Id", false, NULL, 0), SYNC_EINVALID);
    CHECK(strstr(finished(&q), "IN list of 'Id' is empty") != NULL);
}

TEST(bool_int_null_and_not)
{
    struct sf_soql q;

    start(&q, "Lead");
    sf_soql_where_bool(&q, "IsConverted", "=", false);
    sf_soql_where_int(&q, "NumberOfEmployees", ">=", -5);
    sf_soql_not(&q);
    sf_soql_where_null(&q, "Email", true);
    sf_soql_where_null(&q, "Phone", false);
    CHECK_STR(finished(&q), "SELECT Id FROM Lead WHERE IsConverted = false "
                            "AND NumberOfEmployees >= -5 AND NOT Email = "
                            "null AND Phone != null");
}

TEST(bool_rejects_ordering_operator)
{
    struct sf_soql q;

    start(&q, "Lead");
    CHECK_INT(sf_soql_where_bool(&q, "IsConverted", "<", true), SYNC_EINVALID);
    CHECK(strstr(finished(&q), "for a boolean") != NULL);
}

TEST(like_flags)
{
    struct sf_soql q;

    start(&q, "Contact");
    sf_soql_where_like(&q, "LastName", "O_B", SF_SOQL_LIKE_EXACT);
    sf_soql_where_like(&q, "FirstName", "an", SF_SOQL_LIKE_PREFIX);
    sf_soql_where_like(&q, "Email", "@x.com", SF_SOQL_LIKE_SUFFIX);
    sf_soql_where_like(&q, "Title", "50%", SF_SOQL_LIKE_CONTAINS);
    CHECK_STR(finished(&q), "SELECT Id FROM Contact WHERE LastName LIKE "
                            "'O\\_B' AND FirstName LIKE 'an%' AND Email "
                            "LIKE '%@x.com' AND Title LIKE '%50\\%%'");
}

TEST(select_count_query)
{
    struct sf_soql q;

    sf_soql_init(&q);
    sf_soql_select_count(&q);
    sf_soql_from(&q, "Contact");
    sf_soql_where_bool(&q, "IsDeleted", "=", true);
    CHECK_STR(finished(&q),
              "SELECT COUNT() FROM Contact WHERE IsDeleted = true");
}

TEST(order_by_flags)
{
    struct sf_soql q;

    start(&q, "Contact");
    sf_soql_order_by(&q, "LastName", SF_SOQL_DESC | SF_SOQL_NULLS_LAST);
    sf_soql_order_by(&q, "FirstName", SF_SOQL_NULLS_FIRST);
    CHECK_STR(finished(&q), "SELECT Id FROM Contact ORDER BY LastName DESC "
                            "NULLS LAST, FirstName ASC NULLS FIRST");
}

TEST(clause_out_of_order_rejected)
{
    struct sf_soql q;

    start(&q, "Contact");
    sf_soql_limit(&q, 10);
    CHECK_INT(sf_soql_where_string(&q, "Name", "=", "a"), SYNC_EINVALID);
    CHECK(strstr(finished(&q), "out of order: WHERE after LIMIT") != NULL);

    start(&q, "Contact");
    sf_soql_order_by(&q, "Name", 0);
    CHECK_INT(sf_soql_where_int(&q, "X", "=", 1), SYNC_EINVALID);
    finished(&q);

    start(&q, "Contact");
    CHECK_INT(sf_soql_limit(&q, -1), SYNC_EINVALID);
    finished(&q);
}

TEST(from_before_select_rejected)
{
    struct sf_soql q;

    sf_soql_init(&q);
    CHECK_INT(sf_soql_from(&q, "Contact"), SYNC_EINVALID);
    CHECK(strstr(finished(&q), "FROM must follow SELECT") != NULL);

    sf_soql_init(&q);
    CHECK(strstr(finished(&q), "needs SELECT and FROM") != NULL);
}

TEST(dangling_connectors_rejected)
{
    struct sf_soql q;

    start(&q, "Contact");
    CHECK_INT(sf_soql_or(&q), SYNC_EINVALID);
    finished(&q);

    start(&q, "Contact");
    sf_soql_where_int(&q, "A", "=", 1);
    sf_soql_and(&q);
    CHECK(strstr(finished(&q), "incomplete at the end") != NULL);

    start(&q, "Contact");
    sf_soql_not(&q);
    CHECK(strstr(finished(&q), "incomplete at the end") != NULL);

    start(&q, "Contact");
    sf_soql_where_int(&q, "A", "=", 1);
    sf_soql_or(&q);
    CHECK_INT(sf_soql_or(&q), SYNC_EINVALID);
    finished(&q);
}

TEST(groups_must_balance)
{
    struct sf_soql q;

    start(&q, "Contact");
    sf_soql_group_begin(&q);
    sf_soql_where_int(&q, "A", "=", 1);
    CHECK_INT(sf_soql_order_by(&q, "A", 0), SYNC_EINVALID);
    finished(&q);

    start(&q, "Contact");
    sf_soql_group_begin(&q);
    CHECK_INT(sf_soql_group_end(&q), SYNC_EINVALID);
    finished(&q);

    start(&q, "Contact");
    sf_soql_where_int(&q, "A", "=", 1);
    CHECK_INT(sf_soql_group_end(&q), SYNC_EINVALID);
    finished(&q);

    start(&q, "Contact");
    sf_soql_group_begin(&q);
    sf_soql_where_int(&q, "A", "=", 1);
    CHECK(strstr(finished(&q), "incomplete at the end") != NULL);
}

TEST(not_group_nested)
{
    struct sf_soql q;

    start(&q, "Contact");
    sf_soql_where_bool(&q, "IsDeleted", "=", false);
    sf_soql_not(&q);
    sf_soql_group_begin(&q);
    sf_soql_where_string(&q, "LastName", "=", "a");
    sf_soql_or(&q);
    sf_soql_group_begin(&q);
    sf_soql_where_string(&q, "FirstName", "=", "b");
    sf_soql_where_string(&q, "Title", "!=", "c");
    sf_soql_group_end(&q);
    sf_soql_group_end(&q);
    CHECK_STR(finished(&q), "SELECT Id FROM Contact WHERE IsDeleted = false "
                            "AND NOT (LastName = 'a' OR (FirstName = 'b' "
                            "AND Title != 'c'))");
}

TEST(first_error_is_kept)
{
    struct sf_soql q;
    struct err err;

    start(&q, "Contact");
    sf_soql_where_string(&q, "bad field", "=", "a");
    sf_soql_where_string(&q, "Name", "~", "a");
    sf_soql_limit(&q, -3);
    CHECK(sf_soql_finish(&q, &err) == NULL);
    CHECK(strstr(err.msg, "'bad field'") != NULL);
    sf_soql_release(&q);
}

TEST(null_string_value_rejected)
{
    struct sf_soql q;

    start(&q, "Contact");
    CHECK_INT(sf_soql_where_string(&q, "Email", "=", NULL), SYNC_EINVALID);
    CHECK(strstr(finished(&q), "sf_soql_where_null") != NULL);
}

TEST_MAIN(
    TEST_ENTRY(escape_each_special_character), TEST_ENTRY(escape_keeps_utf8),
    TEST_ENTRY(escape_like_wildcards), TEST_ENTRY(quote_wraps_in_single_quotes),
    TEST_ENTRY(ident_valid_accepts_api_names),
    TEST_ENTRY(ident_valid_rejects_other_text),
    TEST_ENTRY(injected_value_stays_literal),
    TEST_ENTRY(injected_backslash_quote_stays_literal),
    TEST_ENTRY(injected_field_rejected), TEST_ENTRY(injected_object_rejected),
    TEST_ENTRY(injected_operator_rejected),
    TEST_ENTRY(injected_select_field_rejected),
    TEST_ENTRY(injected_like_stays_literal),
    TEST_ENTRY(incremental_query_with_keyset),
    TEST_ENTRY(datetime_literal_format),
    TEST_ENTRY(datetime_condition_unquoted), TEST_ENTRY(in_list_and_not_in),
    TEST_ENTRY(in_list_empty_rejected), TEST_ENTRY(bool_int_null_and_not),
    TEST_ENTRY(bool_rejects_ordering_operator), TEST_ENTRY(like_flags),
    TEST_ENTRY(select_count_query), TEST_ENTRY(order_by_flags),
    TEST_ENTRY(clause_out_of_order_rejected),
    TEST_ENTRY(from_before_select_rejected),
    TEST_ENTRY(dangling_connectors_rejected), TEST_ENTRY(groups_must_balance),
    TEST_ENTRY(not_group_nested), TEST_ENTRY(first_error_is_kept),
    TEST_ENTRY(null_string_value_rejected))
