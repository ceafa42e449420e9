/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/* Unit tests of the SOQL engine: tokens and escapes, the parser and its
 * Salesforce errors, every filter operator, date literals, ordering,
 * LIMIT and OFFSET, and the JSON and flat renderings. */
#include "base/common.h"

#include <stdarg.h>

#include "base/datetime.h"
#include "sim.h"
#include "soql.h"
#include "soql_int.h"
#include "test.h"

/* 2024-03-15T12:00:00Z, a Friday: the clock of the date literal tests. */
#define NOW_MS INT64_C(1710504000000)

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
    if (sim_schema_add_custom(org, "Contact.Skills__c:multipicklist", &err) <
            0 ||
        sim_schema_add_custom(org, "Contact.Score__c:double", &err) < 0) {
        fprintf(stderr, "custom field: %s\n", err.msg);
        abort();
    }
    return org;
}

/* Add a record from name, value pairs ending with NULL. A SystemModstamp
 * value also sets the cached modstamp_ms. */
static struct sim_record *add(struct sim_org *org, const char *object, ...)
{
    struct sim_object *obj = sim_org_object(org, object);
    struct sim_record *rec = sim_record_new(obj);
    const char *name;
    va_list ap;

    if (obj->f_is_deleted >= 0)
        sim_record_set(rec, (size_t)obj->f_is_deleted, "false");
    va_start(ap, object);
    while ((name = va_arg(ap, const char *))) {
        const char *value = va_arg(ap, const char *);
        struct sim_field *f = sim_object_field(obj, name);

        if (!f) {
            fprintf(stderr, "no field %s on %s\n", name, object);
            abort();
        }
        sim_record_set(rec, f->index, value);
        if ((int)f->index == obj->f_system_modstamp)
            datetime_parse(value, &rec->modstamp_ms, NULL);
    }
    va_end(ap);
    sim_record_insert(org, rec);
    return rec;
}

static void move_to_bin(struct sim_record *rec)
{
    rec->deleted_ms = NOW_MS;
    sim_record_set(rec, (size_t)rec->obj->f_is_deleted, "true");
}

struct fixture {
    struct sim_org *org;
    struct sim_record *acme, *globex;
    struct sim_record *obrien, *smith, *lower_smith, *percent, *gone;
};

static void fixture_init(struct fixture *fx)
{
    struct sim_org *org = new_org();

    fx->org = org;
    fx->acme = add(org, "Account", "Name", "Acme Corp", NULL);
    fx->globex = add(org, "Account", "Name", "Globex", NULL);
    fx->obrien = add(org, "Contact", "LastName", "O'Brien", "FirstName", "Ann",
                     "Email", "ann@example.com", "AccountId", fx->acme->id,
                     "Birthdate", "1980-05-01", "DoNotCall", "false",
                     "Skills__c", "Phone;Email", "Score__c", "10", "LeadSource",
                     "Web", "SystemModstamp", "2024-01-02T03:04:05.000+0000",
                     "CreatedDate", "2024-03-15T08:00:00.000+0000", NULL);
    fx->smith =
        add(org, "Contact", "LastName", "Smith", "FirstName", "Bob", "Email",
            "bob_1@example.com", "AccountId", fx->globex->id, "DoNotCall",
            "true", "Skills__c", "Email", "Score__c", "2.5", "LeadSource",
            "Phone Inquiry", "SystemModstamp", "2024-01-02T03:04:05.000+0000",
            "CreatedDate", "2024-03-14T23:59:59.000+0000", NULL);
    fx->lower_smith = add(org, "Contact", "LastName", "smith", "Birthdate",
                          "1990-12-31", "DoNotCall", "false", "SystemModstamp",
                          "2024-01-01T00:00:00.000+0000", "CreatedDate",
                          "2024-02-29T10:00:00.000+0000", NULL);
    fx->percent =
        add(org, "Contact", "LastName", "100%_done", "FirstName", "Cy", "Email",
            "cy@example.com", "AccountId", fx->acme->id, "DoNotCall", "false",
            "Score__c", "-3", "LeadSource", "Other", "SystemModstamp",
            "2024-01-03T00:00:00.000+0000", "CreatedDate",
            "2024-03-16T00:00:00.000+0000", NULL);
    fx->gone = add(org, "Contact", "LastName", "Gone", "DoNotCall", "false",
                   "SystemModstamp", "2024-01-04T00:00:00.000+0000", NULL);
    move_to_bin(fx->gone);
}

static void fixture_release(struct fixture *fx)
{
    sim_org_free(fx->org);
}

/* Run soql and return the LastNames of the rows joined by commas, or
 * "error CODE" when it does not parse. */
static const char *names_opts(struct sim_org *org, const char *soql,
                              bool include_deleted)
{
    static char out[512];
    struct soql_exec_opts opts = {.include_deleted = include_deleted,
                                  .now_ms = NOW_MS};
    const struct sim_field *last =
        sim_object_field(sim_org_object(org, "Contact"), "LastName");
    struct soql_result res;
    struct soql_query *q;
    struct soql_error err;
    size_t len = 0;

    if (soql_parse(org, soql, &q, &err) < 0) {
        snprintf(out, sizeof(out), "error %s", err.code);
        return out;
    }
    soql_execute(q, &opts, &res);
    out[0] = '\0';
    for (size_t i = 0; i < res.count; i++) {
        const char *v = sim_record_get(res.records[i], last->index);

        len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%s",
                                i ? "," : "", v ? v : "(null)");
    }
    soql_result_release(&res);
    soql_query_free(q);
    return out;
}

static const char *names(struct sim_org *org, const char *soql)
{
    return names_opts(org, soql, false);
}

/* Parse soql, which must fail; return the error. */
static struct soql_error parse_error(struct sim_org *org, const char *soql)
{
    struct soql_error err;
    struct soql_query *q = NULL;

    memset(&err, 0, sizeof(err));
    if (soql_parse(org, soql, &q, &err) == 0) {
        fprintf(stderr, "query parsed but should fail: %s\n", soql);
        test_failures++;
        soql_query_free(q);
    }
    return err;
}

TEST(lexer_token_kinds)
{
    static const char text[] = "SELECT a.b, 'x' FROM T WHERE n >= -1.5 AND "
                               "d = 2024-01-02 AND t < 2024-01-02T03:04:05Z "
                               "AND x != 1 AND y <> 2";
    static const enum soql_tok_kind want[] = {
        SOQL_TOK_IDENT, SOQL_TOK_IDENT,  SOQL_TOK_DOT,   SOQL_TOK_IDENT,
        SOQL_TOK_COMMA, SOQL_TOK_STRING, SOQL_TOK_IDENT, SOQL_TOK_IDENT,
        SOQL_TOK_IDENT, SOQL_TOK_IDENT,  SOQL_TOK_GE,    SOQL_TOK_NUMBER,
        SOQL_TOK_IDENT, SOQL_TOK_IDENT,  SOQL_TOK_EQ,    SOQL_TOK_DATE,
        SOQL_TOK_IDENT, SOQL_TOK_IDENT,  SOQL_TOK_LT,    SOQL_TOK_DATETIME,
        SOQL_TOK_IDENT, SOQL_TOK_IDENT,  SOQL_TOK_NE,    SOQL_TOK_NUMBER,
        SOQL_TOK_IDENT, SOQL_TOK_IDENT,  SOQL_TOK_NE,    SOQL_TOK_NUMBER,
        SOQL_TOK_EOF,
    };
    struct soql_token *toks;
    struct soql_error err;
    size_t n;

    CHECK_INT(soql__tokenize(text, &toks, &n, &err), 0);
    CHECK_INT(n, ARRAY_SIZE(want));
    for (size_t i = 0; i < n && i < ARRAY_SIZE(want); i++)
        CHECK_INT(toks[i].kind, want[i]);
    CHECK(toks[11].number == -1.5);
    CHECK_INT(toks[15].days, 19724);
    CHECK_INT(toks[19].ms, INT64_C(1704164645000));
    CHECK_INT(toks[6].row, 1);
    CHECK_INT(toks[6].column, 17);
    CHECK_INT(toks[7].column, 22);
    free(toks);
}

TEST(lexer_rows_and_columns)
{
    static const char text[] = "SELECT Id\r\n  FROM Contact\n\tWHERE é = 1";
    struct soql_token *toks;
    struct soql_error err;
    size_t n;

    CHECK_INT(soql__tokenize(text, &toks, &n, &err), -1);
    CHECK_STR(err.code, "MALFORMED_QUERY");
    CHECK_INT(err.row, 3);
    CHECK_INT(err.column, 8);
    CHECK_INT(soql__tokenize("SELECT Id\r\n  FROM Contact", &toks, &n, &err),
              0);
    CHECK_INT(toks[2].row, 2);
    CHECK_INT(toks[2].column, 3);
    CHECK_INT(toks[3].column, 8);
    free(toks);
}

TEST(lexer_datetime_forms)
{
    static const struct {
        const char *text;
        int64_t ms;
    } cases[] = {
        {"2024-01-02T03:04:05Z", INT64_C(1704164645000)},
        {"2024-01-02T03:04:05+00:00", INT64_C(1704164645000)},
        {"2024-01-02T03:04:05-05:00", INT64_C(1704182645000)},
        {"2024-01-02T03:04:05.250Z", INT64_C(1704164645250)},
        {"2024-01-02T08:34:05+05:30", INT64_C(1704164645000)},
    };

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct soql_token *toks;
        struct soql_error err;
        size_t n;

        CHECK_INT(soql__tokenize(cases[i].text, &toks, &n, &err), 0);
        CHECK_INT(n, 2);
        CHECK_INT(toks[0].kind, SOQL_TOK_DATETIME);
        CHECK_INT(toks[0].ms, cases[i].ms);
        free(toks);
    }
}

TEST(lexer_rejects_bad_literals)
{
    static const char *const bad[] = {
        "2024-13-01",          /* no such month */
        "2024-01-02T03:04:05", /* datetime without a zone */
        "12abc",               /* number run into a word */
        "'never closed",       /* unterminated string */
        "\"double\"",          /* double quotes are not strings */
        "a ; b",               /* stray character */
    };

    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        struct soql_token *toks = NULL;
        struct soql_error err;
        size_t n;

        CHECK_INT(soql__tokenize(bad[i], &toks, &n, &err), -1);
        CHECK_STR(err.code, "MALFORMED_QUERY");
        CHECK(err.row == 1);
        free(toks);
    }
}

/* Decode the one string literal of text. */
static char *decode(const char *text, bool like, struct soql_error *err)
{
    struct soql_token *toks;
    char *out = NULL;
    size_t n;

    if (soql__tokenize(text, &toks, &n, err) < 0)
        return NULL;
    if (toks[0].kind == SOQL_TOK_STRING &&
        soql__decode_string(text, &toks[0], like, &out, err) < 0)
        out = NULL;
    free(toks);
    return out;
}

TEST(string_escapes_decode)
{
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"'a\\nb'", "a\nb"},
        {"'a\\Nb'", "a\nb"},
        {"'\\r\\R'", "\r\r"},
        {"'\\t\\T'", "\t\t"},
        {"'\\b\\B'", "\b\b"},
        {"'\\f\\F'", "\f\f"},
        {"'\\\"'", "\""},
        {"'O\\'Brien'", "O'Brien"},
        {"'back\\\\slash'", "back\\slash"},
        {"'caf\\u00e9'", "caf\xc3\xa9"},
        {"'\\u20AC'", "\xe2\x82\xac"},
        {"'\\ud83d\\ude00'", "\xf0\x9f\x98\x80"},
        {"'50%_off'", "50%_off"},
        {"''", ""},
    };
    struct soql_error err;

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char *s = decode(cases[i].text, false, &err);

        CHECK_STR(s, cases[i].want);
        free(s);
    }
}

TEST(string_escapes_reject_others)
{
    static const char *const bad[] = {"'a\\x'",   "'\\_'",     "'\\%'",
                                      "'\\u12'",  "'\\ud83d'", "'\\q'",
                                      "'\\u0000'"};
    struct soql_error err;

    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        char *s = decode(bad[i], false, &err);

        CHECK(s == NULL);
        CHECK_STR(err.code, "MALFORMED_QUERY");
        free(s);
    }
    CHECK(decode("'a\\x'", false, &err) == NULL);
    CHECK_STR(err.reason, "Invalid string literal 'a\\x'. Illegal character "
                          "sequence '\\x' in string literal.");
}

TEST(string_like_pattern_escapes)
{
    struct soql_error err;
    char *s;

    s = decode("'100\\%\\_x%_'", true, &err);
    CHECK_STR(s, "100\\%\\_x%_");
    free(s);
    s = decode("'a\\\\b\\u0025'", true, &err);
    CHECK_STR(s, "a\\\\b\\%");
    free(s);
}

TEST(quotes_are_not_doubled)
{
    struct fixture fx;
    struct soql_error err;

    fixture_init(&fx);
    CHECK_STR(names(fx.org, "SELECT Id FROM Contact WHERE "
                            "LastName = 'O\\'Brien'"),
              "O'Brien");
    /* 'O''Brien' is the string 'O' followed by the string 'Brien'. */
    err = parse_error(fx.org,
                      "SELECT Id FROM Contact WHERE LastName = 'O''Brien'");
    CHECK_STR(err.code, "MALFORMED_QUERY");
    CHECK_INT(err.column, 44);
    CHECK_STR(err.reason, "unexpected token: ''Brien''");
    fixture_release(&fx);
}

TEST(error_message_format)
{
    struct fixture fx;
    struct soql_error err;
    char *msg;

    fixture_init(&fx);
    err = parse_error(fx.org, "select count() from XYZZY");
    CHECK_STR(err.code, "INVALID_TYPE");
    msg = soql_error_message("select count() from XYZZY", &err);
    CHECK_STR(msg,
              "\nselect count() from XYZZY\n                    ^\nERROR at "
              "Row:1:Column:21\nsObject type 'XYZZY' is not supported. If "
              "you are attempting to use a custom object, be sure to append "
              "the '__c' after the entity name. Please reference your WSDL "
              "or the describe call for the appropriate names.");
    free(msg);
    fixture_release(&fx);
}

TEST(error_message_multiline_row)
{
    static const char text[] = "SELECT Id\nFROM Contact\nWHERE Foo = 1";
    static const char prefix[] = "\nWHERE Foo = 1\n      ^\nERROR at "
                                 "Row:3:Column:7\nNo such column 'Foo' on "
                                 "entity 'Contact'. ";
    struct fixture fx;
    struct soql_error err;
    char *msg;

    fixture_init(&fx);
    err = parse_error(fx.org, text);
    CHECK_STR(err.code, "INVALID_FIELD");
    CHECK_INT(err.row, 3);
    CHECK_INT(err.column, 7);
    msg = soql_error_message(text, &err);
    CHECK(strncmp(msg, prefix, strlen(prefix)) == 0);
    free(msg);
    fixture_release(&fx);
}

TEST(error_message_long_row_window)
{
    struct fixture fx;
    struct soql_error err;
    char text[1024];
    char *msg, *caret;
    int len;

    fixture_init(&fx);
    len = snprintf(text, sizeof(text), "SELECT Id FROM Contact WHERE ");
    for (int i = 0; i < 30; i++)
        len += snprintf(text + len, sizeof(text) - (size_t)len,
                        "LastName != 'x%d' AND ", i);
    snprintf(text + len, sizeof(text) - (size_t)len, "Nope = 1");
    err = parse_error(fx.org, text);
    CHECK_STR(err.code, "INVALID_FIELD");
    CHECK_INT(err.column, len + 1);
    msg = soql_error_message(text, &err);
    caret = strchr(msg + 1, '\n');
    CHECK(caret != NULL);
    if (caret) {
        /* 60 characters of context on each side of the error. */
        CHECK(caret - msg - 1 <= 121);
        CHECK(caret[1 + 60] == '^');
        CHECK(strncmp(caret - 8, "Nope = 1", 8) == 0);
    }
    free(msg);
    fixture_release(&fx);
}

TEST(parse_errors_positions)
{
    static const struct {
        const char *soql, *code;
        int column;
    } cases[] = {
        {"SELECT Id FROM Contact WHERE", "MALFORMED_QUERY", 29},
        {"SELECT FROM Contact", "MALFORMED_QUERY", 8},
        {"SELECT Id, FROM Contact", "MALFORMED_QUERY", 12},
        {"SELECT Id Contact", "MALFORMED_QUERY", 11},
        {"SELECT * FROM Contact", "MALFORMED_QUERY", 8},
        {"SELECT Id FROM Contact WHERE LastName = 'a' AND Email = 'b' OR "
         "FirstName = 'c'",
         "MALFORMED_QUERY", 61},
        {"SELECT Id FROM Contact LIMIT 'x'", "MALFORMED_QUERY", 30},
        {"SELECT Id FROM Contact ORDER BY LastName SIDEWAYS", "MALFORMED_QUERY",
         42},
        {"SELECT Id, Bogus__c FROM Contact", "INVALID_FIELD", 12},
        {"SELECT Id FROM Nothing__c", "INVALID_TYPE", 16},
        {"SELECT Acount.Name FROM Contact", "INVALID_FIELD", 8},
        {"SELECT Account.Nope FROM Contact", "INVALID_FIELD", 8},
        {"SELECT Id, id FROM Contact", "MALFORMED_QUERY", 12},
        {"SELECT Id FROM Contact WHERE Description = 'x'", "INVALID_FIELD", 30},
        {"SELECT Id FROM Contact ORDER BY MailingAddress", "INVALID_FIELD", 33},
        {"SELECT Id FROM Contact WHERE LastName IN (SELECT Id FROM Account)",
         "MALFORMED_QUERY", 43},
        {"SELECT COUNT(Id) FROM Contact", "MALFORMED_QUERY", 8},
    };
    struct fixture fx;

    fixture_init(&fx);
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct soql_error err = parse_error(fx.org, cases[i].soql);

        if (strcmp(err.code, cases[i].code) != 0 ||
            err.column != cases[i].column)
            fprintf(stderr, "case %zu: %s at %d: %s\n", i, err.code, err.column,
                    err.reason);
        CHECK_STR(err.code, cases[i].code);
        CHECK_INT(err.row, 1);
        CHECK_INT(err.column, cases[i].column);
    }
    fixture_release(&fx);
}

TEST(parse_error_messages)
{
    struct fixture fx;
    struct soql_error err;

    fixture_init(&fx);
    err = parse_error(fx.org, "SELECT Id, foo FROM Contact");
    CHECK_STR(err.reason,
              "No such column 'foo' on entity 'Contact'. If you are "
              "attempting to use a custom field, be sure to append the "
              "'__c' after the custom field name. Please reference your "
              "WSDL or the describe call for the appropriate names.");
    err = parse_error(fx.org, "SELECT Id FROM Contact WHERE");
    CHECK_STR(err.reason, "unexpected token: '<EOF>'");
    err = parse_error(fx.org, "SELECT Id FROM Contact WHERE LastName == 'x'");
    CHECK_STR(err.reason, "unexpected token: '='");
    err = parse_error(fx.org, "SELECT Id, Id FROM Contact");
    CHECK_STR(err.reason, "duplicate field selected: Id");
    err = parse_error(fx.org, "SELECT Id FROM Contact OFFSET 2001");
    CHECK_STR(err.code, "NUMBER_OUTSIDE_VALID_RANGE");
    CHECK_INT(err.row, 0);
    fixture_release(&fx);
}

TEST(filter_operator_errors)
{
    static const struct {
        const char *where, *code, *reason;
    } cases[] = {
        {"DoNotCall LIKE 'x'", "INVALID_QUERY_FILTER_OPERATOR",
         "invalid operator on boolean field"},
        {"Id LIKE '003%'", "INVALID_QUERY_FILTER_OPERATOR",
         "invalid operator on id field"},
        {"DoNotCall > false", "INVALID_QUERY_FILTER_OPERATOR",
         "invalid operator on boolean field"},
        {"LastName INCLUDES ('a')", "INVALID_QUERY_FILTER_OPERATOR",
         "includes or excludes operator only valid on multipicklist field"},
        {"Skills__c LIKE 'a%'", "INVALID_QUERY_FILTER_OPERATOR",
         "invalid operator on multipicklist field"},
        {"Score__c LIKE '1%'", "INVALID_QUERY_FILTER_OPERATOR",
         "invalid operator on double field"},
        {"Id = 'abc'", "INVALID_QUERY_FILTER_OPERATOR",
         "invalid ID field: abc"},
        {"DoNotCall = 'true'", "INVALID_QUERY_FILTER_OPERATOR",
         "value of filter criterion for field 'DoNotCall' must be of type "
         "boolean and should not be enclosed in quotes"},
        {"CreatedDate > '2024-01-01'", "INVALID_QUERY_FILTER_OPERATOR",
         "value of filter criterion for field 'CreatedDate' must be of type "
         "dateTime and should not be enclosed in quotes"},
        {"CreatedDate > 2024-01-01", "INVALID_QUERY_FILTER_OPERATOR",
         "value of filter criterion for field 'CreatedDate' must be of type "
         "dateTime and should not be enclosed in quotes"},
        {"Birthdate > 2024-01-01T00:00:00Z", "INVALID_QUERY_FILTER_OPERATOR",
         "value of filter criterion for field 'Birthdate' must be of type "
         "date and should not be enclosed in quotes"},
        {"LastName = 5", "INVALID_QUERY_FILTER_OPERATOR",
         "value of filter criterion for field 'LastName' must be of type "
         "string and should be enclosed in quotes"},
    };
    struct fixture fx;
    char soql[256];

    fixture_init(&fx);
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct soql_error err;

        snprintf(soql, sizeof(soql), "SELECT Id FROM Contact WHERE %s",
                 cases[i].where);
        err = parse_error(fx.org, soql);
        CHECK_STR(err.code, cases[i].code);
        CHECK_STR(err.reason, cases[i].reason);
        CHECK_INT(err.row, 1);
        CHECK(err.column >= 30);
    }
    fixture_release(&fx);
}

TEST(names_case_insensitive)
{
    struct fixture fx;
    struct soql_query *q;
    struct soql_error err;

    fixture_init(&fx);
    CHECK_INT(soql_parse(fx.org,
                         "select id, LASTNAME, account.NAME from contact "
                         "where lastname = 'SMITH' order by LastName",
                         &q, &err),
              0);
    CHECK_STR(soql_query_object(q)->name, "Contact");
    CHECK_INT(soql_column_count(q), 3);
    CHECK_STR(soql_column_header(q, 0), "Id");
    CHECK_STR(soql_column_header(q, 1), "LastName");
    CHECK_STR(soql_column_header(q, 2), "Account.Name");
    soql_query_free(q);
    fixture_release(&fx);
}

TEST(operator_equality_text)
{
    struct fixture fx;
    struct sim_org *org;

    fixture_init(&fx);
    org = fx.org;
    CHECK_STR(names(org, "SELECT Id FROM Contact WHERE LastName = 'SMITH'"),
              "Smith,smith");
    CHECK_STR(names(org, "SELECT Id FROM Contact WHERE LastName != 'smith'"),
              "O'Brien,100%_done");
    CHECK_STR(names(org, "SELECT Id FROM Contact WHERE LastName <> 'smith'"),
              "O'Brien,100%_done");
    /* Unlike SQL, != matches null values. */
    CHECK_STR(names(org, "SELECT Id FROM Contact WHERE FirstName != 'Ann'"),
              "Smith,smith,100%_done");
    CHECK_STR(names(org, "SELECT Id FROM Contact WHERE FirstName = null"),
              "smith");
    CHECK_STR(names(org, "SELECT Id FROM Contact WHERE FirstName != null"),
              "O'Brien,Smith,100%_done");
    CHECK_STR(names(org, "SELECT Id FROM Contact WHERE FirstName = ''"),
              "smith");
    fixture_release(&fx);
}

TEST(operator_range_text_and_number)
{
    struct fixture fx;
    struct sim_org *org;

    fixture_init(&fx);
    org = fx.org;
    CHECK_STR(names(org, "SELECT Id FROM Contact WHERE LastName < 'p'"),
              "O'Brien,100%_done");
    CHECK_STR(names(org, "SELECT Id FROM Contact WHERE LastName >= 'S'"),
              "Smith,smith");
    CHECK_STR(names(org, "SELECT Id FROM Contact WHERE Score__c > 2.5"),
              "O'Brien");
    CHECK_STR(names(org, "SELECT Id FROM Contact WHERE Score__c >= 2.5"),
              "O'Brien,Smith");
    CHECK_STR(names(org, "SELECT Id FROM Contact WHERE Score__c < 0"),
              "100%_done");
    CHECK_STR(names(org, "SELECT Id FROM Contact WHERE Score__c <= -3"),
              "100%_done");
    CHECK_STR(names(org, "SELECT Id FROM Contact WHERE Score__c = 10"),
              "O'Brien");
    CHECK_STR(names(org, "SELECT Id FROM Contact WHERE Score__c != 10"),
              "Smith,smith,100%_done");
    fixture_release(&fx);
}

TEST(operator_like)
{
    struct fixture fx;
    struct sim_org *org;

    fixture_init(&fx);
    org = fx.org;
    CHECK_STR(names(org, "SELECT Id FROM Contact WHERE LastName LIKE 'sm%'"),
              "Smith,smith");
    CHECK_STR(names(org, "SELECT Id FROM Contact WHERE LastName LIKE '%I_H'"),
              "Smith,smith");
    CHECK_STR(names(org, "SELECT Id FROM Contact WHERE LastName LIKE "
                         "'100\\%\\_%'"),
              "100%_done");
    CHECK_STR(names(org, "SELECT Id FROM Contact WHERE LastName LIKE "
                         "'1_0\\%%'"),
              "100%_done");
    CHECK_STR(names(org, "SELECT Id FROM Contact WHERE Email LIKE "
                         "'%\\_1@%'"),
              "Smith");
    CHECK_STR(names(org, "SELECT Id FROM Contact WHERE Email LIKE '%'"),
              "O'Brien,Smith,100%_done");
    CHECK_STR(names(org, "SELECT Id FROM Contact WHERE NOT LastName LIKE "
                         "'%i%'"),
              "100%_done");
    fixture_release(&fx);
}

TEST(operator_in_and_not_in)
{
    struct fixture fx;
    struct sim_org *org;

    fixture_init(&fx);
    org = fx.org;
    CHECK_STR(names(org, "SELECT Id FROM Contact WHERE LastName IN "
                         "('o\\'brien', 'Nobody')"),
              "O'Brien");
    CHECK_STR(names(org, "SELECT Id FROM Contact WHERE LastName NOT IN "
                         "('smith', '100%_done')"),
              "O'Brien");
    CHECK_STR(names(org, "SELECT Id FROM Contact WHERE FirstName IN "
                         "('Bob', null)"),
              "Smith,smith");
    CHECK_STR(names(org, "SELECT Id FROM Contact WHERE Score__c IN (10, -3)"),
              "O'Brien,100%_done");
    fixture_release(&fx);
}

TEST(operator_includes_excludes)
{
    struct fixture fx;
    struct sim_org *org;

    fixture_init(&fx);
    org = fx.org;
    CHECK_STR(names(org, "SELECT Id FROM Contact WHERE Skills__c INCLUDES "
                         "('email')"),
              "O'Brien,Smith");
    CHECK_STR(names(org, "SELECT Id FROM Contact WHERE Skills__c INCLUDES "
                         "('Phone;Email')"),
              "O'Brien");
    CHECK_STR(names(org, "SELECT Id FROM Contact WHERE Skills__c INCLUDES "
                         "('Fax', 'Phone')"),
              "O'Brien");
    CHECK_STR(names(org, "SELECT Id FROM Contact WHERE Skills__c EXCLUDES "
                         "('Phone')"),
              "Smith,smith,100%_done");
    CHECK_STR(names(org, "SELECT Id FROM Contact WHERE Skills__c = "
                         "'email;PHONE'"),
              "O'Brien");
    CHECK_STR(names(org, "SELECT Id FROM Contact WHERE Skills__c = 'Email'"),
              "Smith");
    fixture_release(&fx);
}

TEST(operator_boolean_and_logic)
{
    struct fixture fx;
    struct sim_org *org;

    fixture_init(&fx);
    org = fx.org;
    CHECK_STR(names(org, "SELECT Id FROM Contact WHERE DoNotCall = true"),
              "Smith");
    CHECK_STR(names(org, "SELECT Id FROM Contact WHERE DoNotCall != TRUE"),
              "O'Brien,smith,100%_done");
    CHECK_STR(names(org, "SELECT Id FROM Contact WHERE DoNotCall = false AND "
                         "LastName LIKE 's%' "),
              "smith");
    CHECK_STR(names(org, "SELECT Id FROM Contact WHERE LastName = 'Smith' "
                         "OR FirstName = 'Cy' OR Score__c = 10"),
              "O'Brien,Smith,smith,100%_done");
    CHECK_STR(names(org, "SELECT Id FROM Contact WHERE (LastName = 'Smith' "
                         "OR FirstName = 'Cy') AND DoNotCall = false"),
              "smith,100%_done");
    CHECK_STR(names(org, "SELECT Id FROM Contact WHERE NOT (LastName = "
                         "'Smith' OR LastName = 'O\\'Brien')"),
              "100%_done");
    CHECK_STR(names(org, "SELECT Id FROM Contact WHERE NOT DoNotCall = false"),
              "Smith");
    fixture_release(&fx);
}

TEST(operator_ids_normalised)
{
    struct fixture fx;
    char soql[256], id15[16];

    fixture_init(&fx);
    memcpy(id15, fx.smith->id, 15);
    id15[15] = '\0';
    snprintf(soql, sizeof(soql), "SELECT Id FROM Contact WHERE Id = '%s'",
             id15);
    CHECK_STR(names(fx.org, soql), "Smith");
    snprintf(soql, sizeof(soql),
             "SELECT Id FROM Contact WHERE AccountId IN ('%s') ORDER BY Id",
             fx.acme->id);
    CHECK_STR(names(fx.org, soql), "O'Brien,100%_done");
    snprintf(soql, sizeof(soql), "SELECT Id FROM Contact WHERE Id > '%s'",
             fx.smith->id);
    CHECK_STR(names(fx.org, soql), "smith,100%_done");
    CHECK_STR(names(fx.org, "SELECT Id FROM Contact WHERE AccountId = null"),
              "smith");
    CHECK_STR(names(fx.org, "SELECT Id FROM Contact WHERE AccountId = ''"),
              "smith");
    fixture_release(&fx);
}

TEST(operator_parent_field)
{
    struct fixture fx;

    fixture_init(&fx);
    CHECK_STR(names(fx.org, "SELECT Id FROM Contact WHERE Account.Name = "
                            "'acme corp'"),
              "O'Brien,100%_done");
    CHECK_STR(names(fx.org, "SELECT Id FROM Contact WHERE Account.Name = "
                            "null"),
              "smith");
    CHECK_STR(names(fx.org, "SELECT Id FROM Contact c WHERE c.Account.Name "
                            "LIKE 'Glob%'"),
              "Smith");
    CHECK_STR(names(fx.org, "SELECT Contact.Id FROM Contact WHERE "
                            "Contact.LastName = 'O\\'Brien'"),
              "O'Brien");
    fixture_release(&fx);
}

TEST(operator_datetime_and_date)
{
    struct fixture fx;
    struct sim_org *org;

    fixture_init(&fx);
    org = fx.org;
    CHECK_STR(names(org, "SELECT Id FROM Contact WHERE SystemModstamp = "
                         "2024-01-02T03:04:05Z"),
              "O'Brien,Smith");
    CHECK_STR(names(org, "SELECT Id FROM Contact WHERE SystemModstamp > "
                         "2024-01-02T03:04:05Z"),
              "100%_done");
    CHECK_STR(names(org, "SELECT Id FROM Contact WHERE SystemModstamp >= "
                         "2024-01-01T22:04:05-05:00"),
              "O'Brien,Smith,100%_done");
    CHECK_STR(names(org, "SELECT Id FROM Contact WHERE SystemModstamp < "
                         "2024-01-02T03:04:05.001Z"),
              "O'Brien,Smith,smith");
    CHECK_STR(names(org, "SELECT Id FROM Contact WHERE SystemModstamp <= "
                         "2024-01-01T00:00:00Z"),
              "smith");
    CHECK_STR(names(org, "SELECT Id FROM Contact WHERE CreatedDate >= "
                         "2024-03-15T00:00:00+00:00"),
              "O'Brien,100%_done");
    CHECK_STR(names(org, "SELECT Id FROM Contact WHERE Birthdate < "
                         "1990-12-31"),
              "O'Brien");
    CHECK_STR(names(org, "SELECT Id FROM Contact WHERE Birthdate <= "
                         "1990-12-31"),
              "O'Brien,smith");
    CHECK_STR(names(org, "SELECT Id FROM Contact WHERE Birthdate = null"),
              "Smith,100%_done");
    fixture_release(&fx);
}

TEST(date_literals_on_datetime)
{
    struct fixture fx;
    struct sim_org *org;

    /* The clock is 2024-03-15T12:00:00Z, a Friday. */
    fixture_init(&fx);
    org = fx.org;
    CHECK_STR(names(org, "SELECT Id FROM Contact WHERE CreatedDate = TODAY"),
              "O'Brien");
    CHECK_STR(names(org, "SELECT Id FROM Contact WHERE CreatedDate = "
                         "YESTERDAY"),
              "Smith");
    CHECK_STR(names(org, "SELECT Id FROM Contact WHERE CreatedDate = "
                         "TOMORROW"),
              "100%_done");
    CHECK_STR(names(org, "SELECT Id FROM Contact WHERE CreatedDate > TODAY"),
              "100%_done");
    CHECK_STR(names(org, "SELECT Id FROM Contact WHERE CreatedDate < TODAY"),
              "Smith,smith");
    CHECK_STR(names(org, "SELECT Id FROM Contact WHERE CreatedDate <= "
                         "TODAY"),
              "O'Brien,Smith,smith");
    CHECK_STR(names(org, "SELECT Id FROM Contact WHERE CreatedDate = "
                         "LAST_N_DAYS:1"),
              "O'Brien,Smith");
    CHECK_STR(names(org, "SELECT Id FROM Contact WHERE CreatedDate = "
                         "NEXT_N_DAYS:1"),
              "100%_done");
    CHECK_STR(names(org, "SELECT Id FROM Contact WHERE CreatedDate = "
                         "THIS_MONTH"),
              "O'Brien,Smith,100%_done");
    CHECK_STR(names(org, "SELECT Id FROM Contact WHERE CreatedDate = "
                         "LAST_MONTH"),
              "smith");
    CHECK_STR(names(org, "SELECT Id FROM Contact WHERE CreatedDate = "
                         "THIS_WEEK"),
              "O'Brien,Smith,100%_done");
    CHECK_STR(names(org, "SELECT Id FROM Contact WHERE CreatedDate != "
                         "THIS_MONTH"),
              "smith");
    CHECK_STR(names(org, "SELECT Id FROM Contact WHERE CreatedDate = "
                         "N_DAYS_AGO:15"),
              "smith");
    fixture_release(&fx);
}

TEST(date_literals_on_date)
{
    struct fixture fx;
    struct sim_org *org;

    fixture_init(&fx);
    org = fx.org;
    CHECK_STR(names(org, "SELECT Id FROM Contact WHERE Birthdate < TODAY"),
              "O'Brien,smith");
    CHECK_STR(names(org, "SELECT Id FROM Contact WHERE Birthdate = "
                         "LAST_N_YEARS:45"),
              "O'Brien,smith");
    CHECK_STR(names(org, "SELECT Id FROM Contact WHERE Birthdate = "
                         "LAST_N_YEARS:34"),
              "smith");
    CHECK_STR(names(org, "SELECT Id FROM Contact WHERE Birthdate = "
                         "N_YEARS_AGO:34"),
              "smith");
    fixture_release(&fx);
}

TEST(date_range_units)
{
    int64_t today, lo, hi;
    char a[DATETIME_LEN], b[DATETIME_LEN];

    /* 2024-03-15 is a Friday; its week starts on Sunday 2024-03-10. */
    date_parse("2024-03-15", &today, NULL);
    soql__date_range(today, SOQL_UNIT_WEEK, 0, 1, &lo, &hi);
    date_format(lo, a);
    date_format(hi, b);
    CHECK_STR(a, "2024-03-10");
    CHECK_STR(b, "2024-03-17");
    soql__date_range(today, SOQL_UNIT_MONTH, -3, 0, &lo, &hi);
    date_format(lo, a);
    date_format(hi, b);
    CHECK_STR(a, "2023-12-01");
    CHECK_STR(b, "2024-03-01");
    soql__date_range(today, SOQL_UNIT_QUARTER, 1, 2, &lo, &hi);
    date_format(lo, a);
    date_format(hi, b);
    CHECK_STR(a, "2024-04-01");
    CHECK_STR(b, "2024-07-01");
    soql__date_range(today, SOQL_UNIT_YEAR, -1, 0, &lo, &hi);
    date_format(lo, a);
    CHECK_STR(a, "2023-01-01");
    date_parse("2024-01-01", &today, NULL);
    soql__date_range(today, SOQL_UNIT_DAY, -90, 1, &lo, &hi);
    date_format(lo, a);
    date_format(hi, b);
    CHECK_STR(a, "2023-10-03");
    CHECK_STR(b, "2024-01-02");
    date_parse("1969-12-31", &today, NULL);
    soql__date_range(today, SOQL_UNIT_WEEK, 0, 1, &lo, &hi);
    date_format(lo, a);
    CHECK_STR(a, "1969-12-28");
}

TEST(order_by_nulls_defaults)
{
    struct fixture fx;
    struct sim_org *org;

    fixture_init(&fx);
    org = fx.org;
    CHECK_STR(names(org, "SELECT Id FROM Contact ORDER BY FirstName"),
              "smith,O'Brien,Smith,100%_done");
    CHECK_STR(names(org, "SELECT Id FROM Contact ORDER BY FirstName DESC"),
              "100%_done,Smith,O'Brien,smith");
    CHECK_STR(names(org, "SELECT Id FROM Contact ORDER BY FirstName ASC "
                         "NULLS LAST"),
              "O'Brien,Smith,100%_done,smith");
    CHECK_STR(names(org, "SELECT Id FROM Contact ORDER BY FirstName DESC "
                         "NULLS FIRST"),
              "smith,100%_done,Smith,O'Brien");
    CHECK_STR(names(org, "SELECT Id FROM Contact ORDER BY Score__c"),
              "smith,100%_done,Smith,O'Brien");
    fixture_release(&fx);
}

TEST(order_by_several_keys)
{
    struct fixture fx;
    struct sim_org *org;

    fixture_init(&fx);
    org = fx.org;
    CHECK_STR(names(org, "SELECT Id FROM Contact ORDER BY SystemModstamp, "
                         "Id"),
              "smith,O'Brien,Smith,100%_done");
    CHECK_STR(names(org, "SELECT Id FROM Contact ORDER BY SystemModstamp "
                         "DESC, Id DESC"),
              "100%_done,Smith,O'Brien,smith");
    CHECK_STR(names(org, "SELECT Id FROM Contact ORDER BY LastName DESC, "
                         "FirstName"),
              "smith,Smith,O'Brien,100%_done");
    CHECK_STR(names(org, "SELECT Id FROM Contact ORDER BY Account.Name "
                         "NULLS LAST, LastName"),
              "100%_done,O'Brien,Smith,smith");
    /* A picklist sorts by the order of its values: Web, Phone Inquiry,
     * Partner Referral, ..., Other. */
    CHECK_STR(names(org, "SELECT Id FROM Contact WHERE LeadSource != null "
                         "ORDER BY LeadSource"),
              "O'Brien,Smith,100%_done");
    fixture_release(&fx);
}

TEST(limit_and_offset)
{
    struct fixture fx;
    struct sim_org *org;

    fixture_init(&fx);
    org = fx.org;
    CHECK_STR(names(org, "SELECT Id FROM Contact ORDER BY LastName LIMIT 2"),
              "100%_done,O'Brien");
    CHECK_STR(names(org, "SELECT Id FROM Contact ORDER BY LastName LIMIT 2 "
                         "OFFSET 1"),
              "O'Brien,Smith");
    CHECK_STR(names(org, "SELECT Id FROM Contact ORDER BY LastName OFFSET 3"),
              "smith");
    CHECK_STR(names(org, "SELECT Id FROM Contact OFFSET 10"), "");
    CHECK_STR(names(org, "SELECT Id FROM Contact LIMIT 0"), "");
    CHECK_STR(names(org, "SELECT Id FROM Contact LIMIT 1"), "O'Brien");
    CHECK_STR(names(org, "SELECT Id FROM Contact OFFSET 2000"), "");
    CHECK_STR(names(org, "SELECT Id FROM Contact OFFSET 2001"),
              "error NUMBER_OUTSIDE_VALID_RANGE");
    fixture_release(&fx);
}

TEST(count_and_query_all)
{
    struct fixture fx;
    struct soql_exec_opts opts = {.now_ms = NOW_MS};
    struct soql_result res;
    struct soql_query *q;
    struct soql_error err;

    fixture_init(&fx);
    CHECK_INT(soql_parse(fx.org, "SELECT count() FROM Contact", &q, &err), 0);
    CHECK(soql_query_is_count(q));
    CHECK_INT(soql_column_count(q), 0);
    soql_execute(q, &opts, &res);
    CHECK_INT(res.count, 4);
    CHECK(res.records == NULL);
    opts.include_deleted = true;
    soql_execute(q, &opts, &res);
    CHECK_INT(res.count, 5);
    soql_query_free(q);
    CHECK_INT(
        soql_parse(fx.org, "SELECT COUNT() FROM Contact LIMIT 2", &q, &err), 0);
    soql_execute(q, &opts, &res);
    CHECK_INT(res.count, 2);
    soql_query_free(q);
    CHECK_STR(names_opts(fx.org,
                         "SELECT Id FROM Contact WHERE IsDeleted = "
                         "true",
                         true),
              "Gone");
    CHECK_STR(names(fx.org, "SELECT Id FROM Contact WHERE IsDeleted = true"),
              "");
    fixture_release(&fx);
}

TEST(record_json_nested_parent)
{
    struct fixture fx;
    struct soql_query *q;
    struct soql_error err;
    json_t *j, *account;

    fixture_init(&fx);
    CHECK_INT(soql_parse(fx.org,
                         "SELECT Id, Account.Name, LastName, Account.Id, "
                         "DoNotCall, Score__c FROM Contact",
                         &q, &err),
              0);
    j = soql_record_json(q, fx.obrien, "60.0");
    CHECK_STR(json_string_value(
                  json_object_get(json_object_get(j, "attributes"), "type")),
              "Contact");
    CHECK_STR(json_string_value(json_object_get(j, "Id")), fx.obrien->id);
    CHECK_STR(json_string_value(json_object_get(j, "LastName")), "O'Brien");
    CHECK(json_is_false(json_object_get(j, "DoNotCall")));
    CHECK(json_real_value(json_object_get(j, "Score__c")) == 10.0);
    account = json_object_get(j, "Account");
    CHECK(json_is_object(account));
    CHECK_INT(json_object_size(account), 3);
    CHECK_STR(json_string_value(json_object_get(account, "Name")), "Acme Corp");
    CHECK_STR(json_string_value(json_object_get(account, "Id")), fx.acme->id);
    CHECK(strstr(json_string_value(json_object_get(
                     json_object_get(account, "attributes"), "url")),
                 "/services/data/v60.0/sobjects/Account/") != NULL);
    CHECK_INT(json_object_size(j), 6);
    json_decref(j);
    j = soql_record_json(q, fx.lower_smith, "60.0");
    CHECK(json_is_null(json_object_get(j, "Account")));
    json_decref(j);
    soql_query_free(q);
    fixture_release(&fx);
}

TEST(record_json_key_order)
{
    struct fixture fx;
    struct soql_query *q;
    struct soql_error err;
    const char *want[] = {"attributes", "LastName", "Account", "Email"};
    const char *key;
    json_t *j, *v;
    size_t i = 0;

    fixture_init(&fx);
    CHECK_INT(soql_parse(fx.org,
                         "SELECT LastName, Account.Name, Email, Account.Id "
                         "FROM Contact",
                         &q, &err),
              0);
    j = soql_record_json(q, fx.smith, "60.0");
    json_object_foreach(j, key, v)
    {
        if (i < ARRAY_SIZE(want))
            CHECK_STR(key, want[i]);
        i++;
    }
    CHECK_INT(i, 4);
    json_decref(j);
    soql_query_free(q);
    fixture_release(&fx);
}

TEST(flat_columns)
{
    struct fixture fx;
    struct soql_query *q;
    struct soql_error err;

    fixture_init(&fx);
    CHECK_INT(soql_parse(fx.org,
                         "SELECT Id, Account.Name, FirstName FROM Contact", &q,
                         &err),
              0);
    CHECK_STR(soql_column_header(q, 1), "Account.Name");
    CHECK_INT(soql_column_field(q, 1)->type, SIM_T_STRING);
    CHECK_STR(soql_record_column(q, fx.smith, 0), fx.smith->id);
    CHECK_STR(soql_record_column(q, fx.smith, 1), "Globex");
    CHECK_STR(soql_record_column(q, fx.smith, 2), "Bob");
    CHECK(soql_record_column(q, fx.lower_smith, 1) == NULL);
    CHECK(soql_record_column(q, fx.lower_smith, 2) == NULL);
    soql_query_free(q);
    fixture_release(&fx);
}

TEST(columns_metadata)
{
    struct fixture fx;
    struct soql_query *q;
    struct soql_error err;
    json_t *j, *cols, *account, *join;

    fixture_init(&fx);
    CHECK_INT(
        soql_parse(fx.org, "SELECT Id, Account.Name FROM Contact", &q, &err),
        0);
    j = soql_columns_json(q);
    cols = json_object_get(j, "columnMetadata");
    CHECK_INT(json_array_size(cols), 2);
    CHECK_STR(json_string_value(
                  json_object_get(json_array_get(cols, 0), "columnName")),
              "Id");
    CHECK_INT(json_array_size(
                  json_object_get(json_array_get(cols, 0), "joinColumns")),
              0);
    account = json_array_get(cols, 1);
    CHECK_STR(json_string_value(json_object_get(account, "columnName")),
              "Account");
    join = json_array_get(json_object_get(account, "joinColumns"), 0);
    CHECK_STR(json_string_value(json_object_get(join, "columnName")), "Name");
    CHECK_STR(json_string_value(json_object_get(join, "displayName")),
              "Account.Name");
    CHECK_STR(json_string_value(json_object_get(j, "entityName")), "Contact");
    CHECK(json_is_true(json_object_get(j, "idSelected")));
    CHECK(json_is_false(json_object_get(j, "groupBy")));
    CHECK_STR(json_string_value(json_object_get(j, "keyPrefix")), "003");
    json_decref(j);
    soql_query_free(q);
    fixture_release(&fx);
}

TEST(fields_function)
{
    struct fixture fx;
    struct soql_query *q;
    struct soql_error err;
    const struct sim_object *contact;

    fixture_init(&fx);
    contact = sim_org_object(fx.org, "Contact");
    CHECK_INT(
        soql_parse(fx.org, "SELECT FIELDS(STANDARD) FROM Contact", &q, &err),
        0);
    CHECK_INT(soql_column_count(q), contact->nfields - 2);
    soql_query_free(q);
    CHECK_INT(soql_parse(fx.org,
                         "SELECT Id, FIELDS(CUSTOM) FROM Contact LIMIT 200", &q,
                         &err),
              0);
    CHECK_INT(soql_column_count(q), 3);
    CHECK_STR(soql_column_header(q, 1), "Skills__c");
    soql_query_free(q);
    err = parse_error(fx.org, "SELECT FIELDS(ALL) FROM Contact");
    CHECK_STR(err.code, "MALFORMED_QUERY");
    fixture_release(&fx);
}

TEST(with_and_for_clauses_accepted)
{
    struct fixture fx;

    fixture_init(&fx);
    CHECK_STR(names(fx.org, "SELECT Id FROM Contact WHERE LastName = 'Smith' "
                            "WITH SECURITY_ENFORCED ORDER BY Id LIMIT 5 "
                            "FOR VIEW"),
              "Smith,smith");
    fixture_release(&fx);
}

TEST(filter_reads_current_values)
{
    struct fixture fx;

    /* The filter reads current values, so an edit is seen at once. */
    fixture_init(&fx);
    sim_record_set(fx.smith, sim_object_field(fx.smith->obj, "LastName")->index,
                   "Smythe");
    CHECK_STR(names(fx.org, "SELECT Id FROM Contact WHERE LastName = "
                            "'Smythe'"),
              "Smythe");
    fixture_release(&fx);
}

TEST_MAIN(
    TEST_ENTRY(lexer_token_kinds), TEST_ENTRY(lexer_rows_and_columns),
    TEST_ENTRY(lexer_datetime_forms), TEST_ENTRY(lexer_rejects_bad_literals),
    TEST_ENTRY(string_escapes_decode), TEST_ENTRY(string_escapes_reject_others),
    TEST_ENTRY(string_like_pattern_escapes), TEST_ENTRY(quotes_are_not_doubled),
    TEST_ENTRY(error_message_format), TEST_ENTRY(error_message_multiline_row),
    TEST_ENTRY(error_message_long_row_window),
    TEST_ENTRY(parse_errors_positions), TEST_ENTRY(parse_error_messages),
    TEST_ENTRY(filter_operator_errors), TEST_ENTRY(names_case_insensitive),
    TEST_ENTRY(operator_equality_text),
    TEST_ENTRY(operator_range_text_and_number), TEST_ENTRY(operator_like),
    TEST_ENTRY(operator_in_and_not_in), TEST_ENTRY(operator_includes_excludes),
    TEST_ENTRY(operator_boolean_and_logic), TEST_ENTRY(operator_ids_normalised),
    TEST_ENTRY(operator_parent_field), TEST_ENTRY(operator_datetime_and_date),
    TEST_ENTRY(date_literals_on_datetime), TEST_ENTRY(date_literals_on_date),
    TEST_ENTRY(date_range_units), TEST_ENTRY(order_by_nulls_defaults),
    TEST_ENTRY(order_by_several_keys), TEST_ENTRY(limit_and_offset),
    TEST_ENTRY(count_and_query_all), TEST_ENTRY(record_json_nested_parent),
    TEST_ENTRY(record_json_key_order), TEST_ENTRY(flat_columns),
    TEST_ENTRY(columns_metadata), TEST_ENTRY(fields_function),
    TEST_ENTRY(with_and_for_clauses_accepted),
    TEST_ENTRY(filter_reads_current_values))
