/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * Unit tests of CSV contact imports: the header names and aliases of
 * model/contact_csv.c, and sync/import.c reading CSV text into a real
 * SQLite store in a temporary directory.
 */
#include "base/common.h"


#include "base/buf.h"
#include "model/contact_csv.h"
#include "store/store.h"
#include "sync/import.h"
#include "test.h"
#include "test_store_target.h"

struct fixture {
    struct test_db db;
    struct store *store;
    struct store_workspace ws;
};

static void fixture_open(struct fixture *fx)
{
    struct err err;

    memset(fx, 0, sizeof(*fx));
    test_db_init(&fx->db, "sfsync-import");
    err_clear(&err);
    if (store_open(&fx->store, fx->db.target, &err) < 0 ||
        store_workspace_get_or_create(fx->store, "main", &fx->ws, &err) < 0) {
        fprintf(stderr, "store setup failed: %s\n", err.msg);
        abort();
    }
}

static void fixture_close(struct fixture *fx)
{
    store_workspace_release(&fx->ws);
    store_close(fx->store);
    test_db_release(&fx->db);
}

/* Import len bytes of csv; a len of 0 means strlen(csv). */
static int import_text(struct fixture *fx, const char *csv, size_t len,
                       const struct import_options *opts,
                       struct import_result *res, struct err *err)
{
    FILE *in;
    int rc;

    if (len == 0)
        len = strlen(csv);
    in = fmemopen((void *)csv, len, "rb");
    if (!in) {
        perror("fmemopen");
        abort();
    }
    err_clear(err);
    rc = import_csv(fx->store, fx->ws.id, in, "test.csv", opts, res, err);
    fclose(in);
    return rc;
}

static int64_t contact_count(struct fixture *fx)
{
    struct store_contact_query q = {.include_archived = true, .limit = 1};
    struct store_contact_list page = {0};
    int64_t total = -1;

    if (store_contact_list(fx->store, fx->ws.id, &q, &page, NULL) == 0)
        total = page.total;
    store_contact_list_release(&page);
    return total;
}

static size_t outbox_count(struct fixture *fx, enum store_outbox_op op)
{
    struct store_outbox_entry *entries = NULL;
    size_t n = 0, matching = 0;

    store_outbox_pending(fx->store, fx->ws.id, 1000, &entries, &n, NULL);
    for (size_t i = 0; i < n; i++)
        if (entries[i].operation == op)
            matching++;
    free(entries);
    return matching;
}

/* The contact with the given id, into c (initialised). */
static void get_contact(struct fixture *fx, int64_t id, struct contact *c)
{
    struct err err;

    err_clear(&err);
    if (store_contact_get(fx->store, fx->ws.id, id, c, &err) < 0)
        fprintf(stderr, "get contact %lld failed: %s\n", (long long)id,
                err.msg);
}

/* Whether rejection i of res is at line and its reason contains text. */
static bool rejected_at(const struct import_result *res, size_t i,
                        long long line, const char *text)
{
    if (i >= res->rejected_count) {
        fprintf(stderr, "no rejection %zu (%zu kept)\n", i,
                res->rejected_count);
        return false;
    }
    if (res->rejected[i].line != line ||
        !strstr(res->rejected[i].reason, text)) {
        fprintf(stderr,
                "rejection %zu: line %lld '%s', expected line %lld "
                "with '%s'\n",
                i, res->rejected[i].line, res->rejected[i].reason, line, text);
        return false;
    }
    return true;
}

static const struct import_options defaults;

TEST(header_field_names_and_aliases)
{
    CHECK_INT(contact_csv_field_by_header("first_name"), CONTACT_FIRST_NAME);
    CHECK_INT(contact_csv_field_by_header("First Name"), CONTACT_FIRST_NAME);
    CHECK_INT(contact_csv_field_by_header("FirstName"), CONTACT_FIRST_NAME);
    CHECK_INT(contact_csv_field_by_header("FIRST-NAME"), CONTACT_FIRST_NAME);
    CHECK_INT(contact_csv_field_by_header(" first name "), CONTACT_FIRST_NAME);
    CHECK_INT(contact_csv_field_by_header("Contact: First Name"),
              CONTACT_FIRST_NAME);

    CHECK_INT(contact_csv_field_by_header("Lead: Last Name"),
              CONTACT_LAST_NAME);
    CHECK_INT(contact_csv_field_by_header("Account Name"), CONTACT_COMPANY);
    CHECK_INT(contact_csv_field_by_header("Account: Account Name"),
              CONTACT_COMPANY);
    CHECK_INT(contact_csv_field_by_header("company"), CONTACT_COMPANY);

    CHECK_INT(contact_csv_field_by_header("Email Address"), CONTACT_EMAIL);
    CHECK_INT(contact_csv_field_by_header("E-mail"), CONTACT_EMAIL);
    CHECK_INT(contact_csv_field_by_header("Phone Number"), CONTACT_PHONE);
    CHECK_INT(contact_csv_field_by_header("Mobile"), CONTACT_MOBILE_PHONE);
    CHECK_INT(contact_csv_field_by_header("mobile_phone"),
              CONTACT_MOBILE_PHONE);

    CHECK_INT(contact_csv_field_by_header("Mailing Street"), CONTACT_STREET);
    CHECK_INT(contact_csv_field_by_header("State/Province"), CONTACT_STATE);
    CHECK_INT(contact_csv_field_by_header("ZIP"), CONTACT_POSTAL_CODE);
    CHECK_INT(contact_csv_field_by_header("Zip/Postal Code"),
              CONTACT_POSTAL_CODE);
    CHECK_INT(contact_csv_field_by_header("Postal Code"), CONTACT_POSTAL_CODE);

    CHECK_INT(contact_csv_field_by_header("Lead Status"), CONTACT_LEAD_STATUS);
    CHECK_INT(contact_csv_field_by_header("Lead Source"), CONTACT_LEAD_SOURCE);
    CHECK_INT(contact_csv_field_by_header("Do Not Call"), CONTACT_DO_NOT_CALL);
    CHECK_INT(contact_csv_field_by_header("EmailOptOut"),
              CONTACT_EMAIL_OPT_OUT);

    /* An Account's other columns are not the contact's. */
    CHECK_INT(contact_csv_field_by_header("Account: Phone"), -1);
    CHECK_INT(contact_csv_field_by_header("Account: Type"), -1);
    CHECK_INT(contact_csv_field_by_header("Picture"), -1);
    CHECK_INT(contact_csv_field_by_header(""), -1);
    CHECK_INT(contact_csv_field_by_header("---"), -1);
    CHECK_INT(contact_csv_field_by_header("Prénom"), -1);
}

TEST(header_unknown_column_rejected)
{
    const char *cells[] = {"Last Name", "Picture", "Email"};
    const char *unnamed[] = {"Last Name", ""};
    struct contact_csv_header h;
    struct err err;

    contact_csv_header_init(&h);
    err_clear(&err);
    CHECK_INT(contact_csv_header_parse(&h, cells, 3, false, &err),
              SYNC_EINVALID);
    CHECK(strstr(err.msg, "unknown column 'Picture' (column 2)") != NULL);
    CHECK_INT(h.unknown_count, 1);
    CHECK_STR(h.unknown[0], "Picture");

    err_clear(&err);
    CHECK_INT(contact_csv_header_parse(&h, unnamed, 2, false, &err),
              SYNC_EINVALID);
    CHECK_STR(err.msg, "column 2 of the header row has no name");

    err_clear(&err);
    CHECK_INT(contact_csv_header_parse(&h, cells, 3, true, &err), 0);
    CHECK_INT(h.count, 3);
    CHECK_INT(h.fields[0], CONTACT_LAST_NAME);
    CHECK_INT(h.fields[1], -1);
    CHECK_INT(h.fields[2], CONTACT_EMAIL);
    CHECK_INT(h.unknown_count, 1);
    contact_csv_header_release(&h);
}

TEST(header_duplicate_field_rejected)
{
    const char *cells[] = {"Phone", "Last Name", "Phone Number"};
    struct contact_csv_header h;
    struct err err;

    contact_csv_header_init(&h);
    err_clear(&err);
    CHECK_INT(contact_csv_header_parse(&h, cells, 3, true, &err),
              SYNC_EINVALID);
    CHECK(strstr(err.msg, "columns 1 'Phone' and 3 'Phone Number'") != NULL);
    CHECK(strstr(err.msg, "field 'phone'") != NULL);
    contact_csv_header_release(&h);
}

TEST(header_without_fields_rejected)
{
    const char *cells[] = {"Picture", "Notes"};
    struct contact_csv_header h;
    struct err err;

    contact_csv_header_init(&h);
    err_clear(&err);
    CHECK_INT(contact_csv_header_parse(&h, cells, 2, true, &err),
              SYNC_EINVALID);
    CHECK(strstr(err.msg, "names no contact field") != NULL);
    contact_csv_header_release(&h);
}

TEST(row_to_contact_reasons)
{
    const char *header[] = {"last_name", "do_not_call", "notes"};
    const char *good[] = {"Lee", "yes", "ignored"};
    const size_t good_lens[] = {3, 3, 7};
    const char *bad_bool[] = {"Lee", "maybe", ""};
    const size_t bad_bool_lens[] = {3, 5, 0};
    const char *empty[] = {"", "", ""};
    const size_t empty_lens[] = {0, 0, 0};
    const char *nul[] = {"L\0e", "", ""};
    const size_t nul_lens[] = {3, 0, 0};
    struct contact_csv_header h;
    struct contact c;
    struct err err;

    contact_csv_header_init(&h);
    contact_init(&c);
    CHECK_INT(contact_csv_header_parse(&h, header, 3, true, NULL), 0);

    CHECK_INT(contact_csv_row_to_contact(&h, good, good_lens, 3, &c, NULL), 0);
    CHECK_STR(contact_text(&c, CONTACT_LAST_NAME), "Lee");
    CHECK(c.values[CONTACT_DO_NOT_CALL].flag);

    err_clear(&err);
    CHECK_INT(contact_csv_row_to_contact(&h, good, good_lens, 2, &c, &err),
              SYNC_EINVALID);
    CHECK_STR(err.msg, "wrong number of columns: the header has 3, this row 2");
    err_clear(&err);
    CHECK_INT(
        contact_csv_row_to_contact(&h, bad_bool, bad_bool_lens, 3, &c, &err),
        SYNC_EINVALID);
    CHECK(strstr(err.msg, "'do_not_call'") != NULL);
    CHECK(strstr(err.msg, "'maybe'") != NULL);
    err_clear(&err);
    CHECK_INT(contact_csv_row_to_contact(&h, empty, empty_lens, 3, &c, &err),
              SYNC_EINVALID);
    CHECK_STR(err.msg, "empty row");
    err_clear(&err);
    CHECK_INT(contact_csv_row_to_contact(&h, nul, nul_lens, 3, &c, &err),
              SYNC_EINVALID);
    CHECK_STR(err.msg, "field 'last_name' contains a NUL byte");
    contact_release(&c);
    contact_csv_header_release(&h);
}

TEST(accepted_columns_lists_aliases)
{
    char *text = contact_csv_accepted_columns(2);

    CHECK(strstr(text, "  first_name (First Name)\n") != NULL);
    CHECK(strstr(text, "  postal_code (Zip, ") != NULL);
    CHECK(strstr(text, "  owner\n") != NULL);
    free(text);
}

TEST(import_writes_contacts_and_outbox)
{
    const char *csv = "first_name,last_name,email,phone,do_not_call\n"
                      "Ann,Lee,ann@example.com,(415) 555-2671,yes\n"
                      "Bob,Ray,bob@example.com,,0\n"
                      ",Kim,,,\n";
    struct import_result res;
    struct fixture fx;
    struct contact c;
    struct err err;

    fixture_open(&fx);
    import_result_init(&res);
    contact_init(&c);
    CHECK_INT(import_text(&fx, csv, 0, &defaults, &res, &err), 0);
    CHECK(res.complete);
    CHECK_INT(res.rows, 3);
    CHECK_INT(res.valid, 3);
    CHECK_INT(res.imported, 3);
    CHECK_INT(res.rejected_total, 0);
    CHECK_INT(contact_count(&fx), 3);
    CHECK_INT(outbox_count(&fx, STORE_OUTBOX_CREATE), 3);

    get_contact(&fx, 1, &c);
    CHECK_STR(contact_text(&c, CONTACT_FIRST_NAME), "Ann");
    CHECK_STR(contact_text(&c, CONTACT_EMAIL), "ann@example.com");
    CHECK_STR(c.values[CONTACT_PHONE].e164, "+14155552671");
    CHECK(c.values[CONTACT_DO_NOT_CALL].flag);
    CHECK_INT(c.version, 1);
    get_contact(&fx, 3, &c);
    CHECK(contact_text(&c, CONTACT_FIRST_NAME) == NULL);
    CHECK_STR(contact_text(&c, CONTACT_LAST_NAME), "Kim");
    CHECK(!c.values[CONTACT_DO_NOT_CALL].flag);
    contact_release(&c);
    import_result_release(&res);
    fixture_close(&fx);
}

TEST(import_skips_utf8_bom)
{
    /* Salesforce report exports start with a BOM and quote the header. */
    const char *csv = "\xef\xbb\xbf\"Contact: First Name\",\"Contact: Last "
                      "Name\",\"Account: Account Name\"\r\n"
                      "\"Zoë\",\"Müller\",\"Acme\"\r\n";
    struct import_result res;
    struct fixture fx;
    struct contact c;
    struct err err;

    fixture_open(&fx);
    import_result_init(&res);
    contact_init(&c);
    CHECK_INT(import_text(&fx, csv, 0, &defaults, &res, &err), 0);
    CHECK_INT(res.imported, 1);
    CHECK_INT(res.unknown_count, 0);
    get_contact(&fx, 1, &c);
    CHECK_STR(contact_text(&c, CONTACT_FIRST_NAME), "Zoë");
    CHECK_STR(contact_text(&c, CONTACT_LAST_NAME), "Müller");
    CHECK_STR(contact_text(&c, CONTACT_COMPANY), "Acme");
    contact_release(&c);
    import_result_release(&res);
    fixture_close(&fx);
}

TEST(import_quoted_commas_quotes_newlines)
{
    /* The row of line 2 contains a line break, so the next row starts at
     * line 4. The row of line 5 contains a CRLF, which counts once, so the
     * rejected row starts at line 7. */
    const char *csv = "last_name,company,street\r\n"
                      "\"Lee, Jr.\",\"The \"\"Best\"\" Co\",\"1 Main St\n"
                      "Suite 2\"\r\n"
                      "  Ray  ,  \"  Padded  \"  ,\r\n"
                      "Kim,\"two\r\nlines\",x\r\n"
                      "Bad,\"a\",\"b\",\"c\"\r\n";
    struct import_options opts = {.skip_invalid = true};
    struct import_result res;
    struct fixture fx;
    struct contact c;
    struct err err;

    fixture_open(&fx);
    import_result_init(&res);
    contact_init(&c);
    CHECK_INT(import_text(&fx, csv, 0, &opts, &res, &err), 0);
    CHECK_INT(res.rows, 4);
    CHECK_INT(res.imported, 2);
    CHECK_INT(res.rejected_total, 2);
    /* A line break is kept in a street only. */
    CHECK(rejected_at(&res, 0, 5, "field 'company' contains the control "
                                  "character 0x0d"));
    CHECK(rejected_at(&res, 1, 7, "wrong number of columns"));

    get_contact(&fx, 1, &c);
    CHECK_STR(contact_text(&c, CONTACT_LAST_NAME), "Lee, Jr.");
    CHECK_STR(contact_text(&c, CONTACT_COMPANY), "The \"Best\" Co");
    CHECK_STR(contact_text(&c, CONTACT_STREET), "1 Main St\nSuite 2");
    /* Every value loses the spaces around it, quoted or not. */
    get_contact(&fx, 2, &c);
    CHECK_STR(contact_text(&c, CONTACT_LAST_NAME), "Ray");
    CHECK_STR(contact_text(&c, CONTACT_COMPANY), "Padded");
    CHECK(contact_text(&c, CONTACT_STREET) == NULL);
    contact_release(&c);
    import_result_release(&res);
    fixture_close(&fx);
}

TEST(import_lists_every_rejection_reason)
{
    char csv[2048];
    struct import_result res;
    struct fixture fx;
    struct err err;

    snprintf(csv, sizeof(csv),
             "first_name,last_name,email,do_not_call\n" /* line 1 */
             "Ann,Lee,ann@example.com,no\n"             /* 2: valid */
             "%s,Long,,\n"                              /* 3 */
             "Bo,Ray,not-an-email,\n"                   /* 4 */
             "Cy,K\xff\xfe,,\n"                         /* 5 */
             "Di,Fox,,perhaps\n"                        /* 6 */
             "Ed,Lo\n"                                  /* 7 */
             ",,,\n"                                    /* 8 */
             "\n"                                       /* 9 */
             "Flo,,,\n"                                 /* 10 */
             "Gus,Ames,gus@example.com,1\n",            /* 11: valid */
             "Abcdefghijklmnopqrstuvwxyz-abcdefghijklmnopqrstuvwxyz");
    fixture_open(&fx);
    import_result_init(&res);
    CHECK_INT(import_text(&fx, csv, 0, &defaults, &res, &err), SYNC_EINVALID);
    CHECK(strstr(err.msg, "8 of 10 rows of 'test.csv' rejected") != NULL);
    CHECK(res.complete);
    CHECK_INT(res.rows, 10);
    CHECK_INT(res.valid, 2);
    CHECK_INT(res.imported, 0);
    CHECK_INT(res.rejected_total, 8);
    CHECK_INT(res.rejected_count, 8);
    CHECK(rejected_at(&res, 0, 3,
                      "field 'first_name' value "
                      "'Abcdefghijklmnopqrstuvwxyz-abcdefghijklm"
                      "...' is 53 characters long; the maximum "
                      "is 40"));
    CHECK(rejected_at(&res, 1, 4, "'not-an-email' is not a valid email"));
    CHECK(rejected_at(&res, 2, 5, "field 'last_name' is not valid UTF-8"));
    CHECK(rejected_at(&res, 3, 6,
                      "'do_not_call' takes true or false, not "
                      "'perhaps'"));
    CHECK(rejected_at(&res, 4, 7, "wrong number of columns"));
    CHECK(rejected_at(&res, 5, 8, "empty row"));
    CHECK(rejected_at(&res, 6, 9, "empty row"));
    CHECK(rejected_at(&res, 7, 10, "needs at least a last name"));
    /* Nothing half-imported: the valid rows were rolled back too. */
    CHECK_INT(contact_count(&fx), 0);
    CHECK_INT(outbox_count(&fx, STORE_OUTBOX_CREATE), 0);

    /* With skip_invalid the two valid rows go in. */
    {
        struct import_options opts = {.skip_invalid = true};

        CHECK_INT(import_text(&fx, csv, 0, &opts, &res, &err), 0);
        CHECK_INT(res.imported, 2);
        CHECK_INT(res.rejected_total, 8);
        CHECK_INT(contact_count(&fx), 2);
        CHECK_INT(outbox_count(&fx, STORE_OUTBOX_CREATE), 2);
    }
    import_result_release(&res);
    fixture_close(&fx);
}

TEST(import_dry_run_writes_nothing)
{
    const char *csv = "last_name,email\nLee,lee@example.com\nRay,\n";
    struct import_options opts = {.dry_run = true};
    struct import_result res;
    struct fixture fx;
    struct err err;

    fixture_open(&fx);
    import_result_init(&res);
    CHECK_INT(import_text(&fx, csv, 0, &opts, &res, &err), 0);
    CHECK_INT(res.rows, 2);
    CHECK_INT(res.valid, 2);
    CHECK_INT(res.imported, 0);
    CHECK_INT(contact_count(&fx), 0);

    /* A dry run fails as the real import would. */
    CHECK_INT(import_text(&fx, "last_name\nLee\n,\n", 0, &opts, &res, &err),
              SYNC_EINVALID);
    CHECK_INT(res.rejected_total, 1);
    CHECK_INT(contact_count(&fx), 0);
    import_result_release(&res);
    fixture_close(&fx);
}

TEST(import_line_endings_and_trailing_blanks)
{
    /* CR alone ends lines too; blank lines at the end are not rows. */
    const char *cr = "last_name\rLee\r\"Ray\"\rKim\r\r\r";
    const char *lf = "\n\nlast_name\nLee\nRay\n\n\n";
    const char *no_final_newline = "last_name,phone\nLee,555-0100";
    struct import_result res;
    struct fixture fx;
    struct err err;

    fixture_open(&fx);
    import_result_init(&res);
    CHECK_INT(import_text(&fx, cr, 0, &defaults, &res, &err), 0);
    CHECK_INT(res.rows, 3);
    CHECK_INT(res.imported, 3);
    CHECK_INT(import_text(&fx, lf, 0, &defaults, &res, &err), 0);
    CHECK_INT(res.rows, 2);
    CHECK_INT(res.imported, 2);
    CHECK_INT(import_text(&fx, no_final_newline, 0, &defaults, &res, &err), 0);
    CHECK_INT(res.imported, 1);
    CHECK_INT(contact_count(&fx), 6);

    /* Line numbers count the blank lines before the header. */
    CHECK_INT(import_text(&fx, "\r\n\r\nlast_name,email\r\nLee,\r\n,\r\n", 0,
                          &defaults, &res, &err),
              SYNC_EINVALID);
    CHECK(rejected_at(&res, 0, 5, "empty row"));
    import_result_release(&res);
    fixture_close(&fx);
}

TEST(import_header_errors)
{
    struct import_options ignore = {.ignore_unknown_columns = true};
    struct import_result res;
    struct fixture fx;
    struct err err;

    fixture_open(&fx);
    import_result_init(&res);
    CHECK_INT(import_text(&fx, "last_name,Picture,Notes\nLee,a,b\n", 0,
                          &defaults, &res, &err),
              SYNC_EINVALID);
    CHECK(strstr(err.msg, "'test.csv' line 1: unknown column 'Picture' "
                          "(column 2)") != NULL);
    CHECK(!res.complete);
    CHECK_INT(res.unknown_count, 2);
    CHECK_STR(res.unknown_columns[0], "Picture");
    CHECK_STR(res.unknown_columns[1], "Notes");
    CHECK_INT(contact_count(&fx), 0);

    CHECK_INT(import_text(&fx, "last_name,Picture,Notes\nLee,a,b\n", 0, &ignore,
                          &res, &err),
              0);
    CHECK_INT(res.imported, 1);
    CHECK_INT(res.unknown_count, 2);

    CHECK_INT(import_text(&fx, "", 0, &defaults, &res, &err), SYNC_EINVALID);
    CHECK(strstr(err.msg, "'test.csv' is empty") != NULL);
    CHECK_INT(import_text(&fx, "\xef\xbb\xbf\n\n", 0, &defaults, &res, &err),
              SYNC_EINVALID);
    CHECK(strstr(err.msg, "is empty") != NULL);
    CHECK_INT(
        import_text(&fx, "email,Email Address\n", 0, &defaults, &res, &err),
        SYNC_EINVALID);
    CHECK(strstr(err.msg, "both select field 'email'") != NULL);
    CHECK_INT(contact_count(&fx), 1);
    import_result_release(&res);
    fixture_close(&fx);
}

TEST(import_malformed_csv_rejected)
{
    struct import_options skip = {.skip_invalid = true};
    struct import_result res;
    struct fixture fx;
    struct err err;

    fixture_open(&fx);
    import_result_init(&res);
    CHECK_INT(import_text(&fx, "last_name\nLee\nRa\"y\n", 0, &skip, &res, &err),
              SYNC_EINVALID);
    CHECK(strstr(err.msg, "not valid CSV in the row starting at line 3") !=
          NULL);
    CHECK(!res.complete);
    CHECK_INT(
        import_text(&fx, "last_name\nLee\n\"Ray\"x\n", 0, &skip, &res, &err),
        SYNC_EINVALID);
    CHECK(strstr(err.msg, "at line 3") != NULL);
    CHECK_INT(import_text(&fx, "last_name\nLee\n\"Ray\n", 0, &skip, &res, &err),
              SYNC_EINVALID);
    CHECK(strstr(err.msg, "the quoted cell in the row starting at line 3 "
                          "has no closing quote") != NULL);
    /* Even with skip_invalid, a malformed file imports nothing. */
    CHECK_INT(contact_count(&fx), 0);
    import_result_release(&res);
    fixture_close(&fx);
}

TEST(import_runaway_cell_rejected)
{
    size_t len = IMPORT_CELL_MAX + 200 * 1024;
    char *csv = xmalloc(len);
    struct import_result res;
    struct fixture fx;
    struct err err;

    memcpy(csv, "last_name\n\"", 11);
    memset(csv + 11, 'a', len - 11);
    fixture_open(&fx);
    import_result_init(&res);
    CHECK_INT(import_text(&fx, csv, len, &defaults, &res, &err), SYNC_EINVALID);
    CHECK(strstr(err.msg, "longer than 1048576 bytes; is a closing quote "
                          "missing?") != NULL);
    CHECK(strstr(err.msg, "line 2") != NULL);
    import_result_release(&res);
    fixture_close(&fx);
    free(csv);
}

TEST(import_keeps_first_rejections)
{
    struct import_options skip = {.skip_invalid = true};
    size_t rows = IMPORT_REJECTIONS_MAX + 5;
    struct import_result res;
    struct fixture fx;
    struct err err;
    struct buf csv;

    buf_init(&csv, 0);
    buf_puts(&csv, "last_name,email\nLee,\n");
    for (size_t i = 0; i < rows; i++)
        buf_puts(&csv, ",\n");
    buf_puts(&csv, "Ray,\n");
    fixture_open(&fx);
    import_result_init(&res);
    CHECK_INT(import_text(&fx, csv.data, 0, &skip, &res, &err), 0);
    CHECK_INT(res.rejected_total, (long long)rows);
    CHECK_INT(res.rejected_count, IMPORT_REJECTIONS_MAX);
    CHECK(rejected_at(&res, 0, 3, "empty row"));
    CHECK_INT(res.imported, 2);
    import_result_release(&res);
    fixture_close(&fx);
    buf_release(&csv);
}

TEST_MAIN(TEST_ENTRY(header_field_names_and_aliases),
          TEST_ENTRY(header_unknown_column_rejected),
          TEST_ENTRY(header_duplicate_field_rejected),
          TEST_ENTRY(header_without_fields_rejected),
          TEST_ENTRY(row_to_contact_reasons),
          TEST_ENTRY(accepted_columns_lists_aliases),
          TEST_ENTRY(import_writes_contacts_and_outbox),
          TEST_ENTRY(import_skips_utf8_bom),
          TEST_ENTRY(import_quoted_commas_quotes_newlines),
          TEST_ENTRY(import_lists_every_rejection_reason),
          TEST_ENTRY(import_dry_run_writes_nothing),
          TEST_ENTRY(import_line_endings_and_trailing_blanks),
          TEST_ENTRY(import_header_errors),
          TEST_ENTRY(import_malformed_csv_rejected),
          TEST_ENTRY(import_runaway_cell_rejected),
          TEST_ENTRY(import_keeps_first_rejections))
