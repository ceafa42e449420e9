/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * Unit tests of the incremental CSV reader: quoting, null and empty
 * values, byte-order marks, line endings, documents cut at every byte,
 * malformed input and the size caps.
 */
#include "base/common.h"

#include "base/buf.h"
#include "salesforce/sf_csv.h"

#include "test.h"

/* Every row seen, rendered as "[value]" or "<null>" joined by "|", one
 * line per row, with a NUL byte shown as "\0". */
struct seen {
    struct buf text;
    long long rows;
    bool bad_index;
    long long stop_at; /* return 1 at this row index; -1 for never */
    long long fail_at; /* return SYNC_EINVALID at this row; -1 for never */
};

static void seen_init(struct seen *s)
{
    buf_init(&s->text, 0);
    s->rows = 0;
    s->bad_index = false;
    s->stop_at = -1;
    s->fail_at = -1;
}

static int collect(const struct sf_csv_row *row, void *payload, struct err *err)
{
    struct seen *s = payload;

    if (row->index != s->rows)
        s->bad_index = true;
    s->rows++;
    if (row->index == s->fail_at)
        return err_set(err, SYNC_EINVALID, "row %lld refused", row->index);
    for (size_t i = 0; i < row->count; i++) {
        if (i)
            buf_putc(&s->text, '|');
        if (!row->values[i]) {
            buf_puts(&s->text, "<null>");
            continue;
        }
        buf_putc(&s->text, '[');
        for (size_t j = 0; j < row->lengths[i]; j++) {
            if (row->values[i][j] == '\0')
                buf_puts(&s->text, "\\0");
            else
                buf_putc(&s->text, row->values[i][j]);
        }
        buf_putc(&s->text, ']');
    }
    buf_putc(&s->text, '\n');
    return row->index == s->stop_at ? 1 : 0;
}

/* Read doc in pieces split at the given offsets (ascending, ending with
 * SIZE_MAX), then finish. Return the last code; rows go to s. */
static int read_split(const struct sf_csv_config *cfg, const char *doc,
                      size_t len, const size_t *splits, struct seen *s,
                      struct err *err)
{
    struct sf_csv *p = sf_csv_new(cfg, collect, s);
    size_t at = 0;
    int rc = 0;

    for (size_t i = 0; rc == 0 && at < len; i++) {
        size_t end = splits[i] < len ? splits[i] : len;

        rc = sf_csv_feed(p, doc + at, end - at, err);
        at = end;
    }
    if (rc == 0)
        rc = sf_csv_finish(p, err);
    sf_csv_free(p);
    return rc;
}

static int read_whole(const char *doc, struct seen *s, struct err *err)
{
    static const size_t whole[] = {SIZE_MAX};

    return read_split(NULL, doc, strlen(doc), whole, s, err);
}

/* Read doc one byte at a time. */
static int read_bytewise(const char *doc, size_t len, struct seen *s,
                         struct err *err)
{
    struct sf_csv *p = sf_csv_new(NULL, collect, s);
    int rc = 0;

    for (size_t i = 0; rc == 0 && i < len; i++)
        rc = sf_csv_feed(p, doc + i, 1, err);
    if (rc == 0)
        rc = sf_csv_finish(p, err);
    sf_csv_free(p);
    return rc;
}

TEST(csv_plain_rows)
{
    struct seen s;
    struct err err;

    seen_init(&s);
    CHECK_INT(
        read_whole("\"Id\",\"Name\"\n\"001\",\"Acme\"\n\"002\",\"Umbrella\"\n",
                   &s, &err),
        0);
    CHECK_INT(s.rows, 2);
    CHECK(!s.bad_index);
    CHECK_STR(s.text.data, "[001]|[Acme]\n[002]|[Umbrella]\n");
    buf_release(&s.text);
}

TEST(csv_header_is_passed)
{
    struct sf_csv *p;
    struct seen s;
    const char *const *headers;
    size_t n;

    seen_init(&s);
    p = sf_csv_new(NULL, collect, &s);
    CHECK(sf_csv_headers(p, &n) == NULL);
    CHECK_INT(sf_csv_feed(p, "\"Id\",\"Account.Name\"\n", 20, NULL), 0);
    headers = sf_csv_headers(p, &n);
    CHECK_INT(n, 2);
    CHECK(headers != NULL);
    if (headers && n == 2) {
        CHECK_STR(headers[0], "Id");
        CHECK_STR(headers[1], "Account.Name");
    }
    CHECK_INT(s.rows, 0);
    sf_csv_free(p);
    buf_release(&s.text);
}

TEST(csv_quoted_specials)
{
    struct seen s;
    struct err err;

    seen_init(&s);
    CHECK_INT(read_whole("\"A\",\"B\",\"C\"\n"
                         "\"a, b\",\"say \"\"hi\"\"\",\"line1\nline2\"\n"
                         "\"cr\r\nlf\",\"\"\"\",\",\"\n",
                         &s, &err),
              0);
    CHECK_STR(s.text.data, "[a, b]|[say \"hi\"]|[line1\nline2]\n"
                           "[cr\r\nlf]|[\"]|[,]\n");
    buf_release(&s.text);
}

TEST(csv_null_versus_empty)
{
    struct seen s;
    struct err err;

    seen_init(&s);
    CHECK_INT(
        read_whole("\"A\",\"B\",\"C\",\"D\"\n\"x\",,\"\",\n,,,\n", &s, &err),
        0);
    CHECK_STR(s.text.data,
              "[x]|<null>|[]|<null>\n<null>|<null>|<null>|<null>\n");
    buf_release(&s.text);
}

TEST(csv_unquoted_values_kept)
{
    struct seen s;
    struct err err;

    seen_init(&s);
    CHECK_INT(read_whole("A,B\n a ,b\t\nplain,2\n", &s, &err), 0);
    CHECK_STR(s.text.data, "[ a ]|[b\t]\n[plain]|[2]\n");
    buf_release(&s.text);
}

TEST(csv_crlf_and_lf)
{
    static const char *docs[] = {
        "\"A\",\"B\"\r\n\"1\",\"2\"\r\n\"3\",\"4\"\r\n",
        "\"A\",\"B\"\n\"1\",\"2\"\n\"3\",\"4\"\n",
        "\"A\",\"B\"\r\n\"1\",\"2\"\n\"3\",\"4\"",
        "A,B\r\n1,2\r\n3,4",
    };

    for (size_t i = 0; i < ARRAY_SIZE(docs); i++) {
        struct seen s;
        struct err err;

        seen_init(&s);
        CHECK_INT(read_bytewise(docs[i], strlen(docs[i]), &s, &err), 0);
        CHECK_STR(s.text.data, "[1]|[2]\n[3]|[4]\n");
        buf_release(&s.text);
    }
}

TEST(csv_no_final_newline)
{
    struct seen s;
    struct err err;

    seen_init(&s);
    CHECK_INT(read_whole("\"A\"\n\"last\"", &s, &err), 0);
    CHECK_STR(s.text.data, "[last]\n");
    buf_release(&s.text);
}

TEST(csv_one_column_nulls)
{
    static const char *docs[] = {
        "\"Email\"\n\"a@x\"\n\n\"b@x\"\n\n",
        "\"Email\"\r\n\"a@x\"\r\n\r\n\"b@x\"\r\n\r\n",
    };

    for (size_t i = 0; i < ARRAY_SIZE(docs); i++) {
        struct seen s;
        struct err err;

        seen_init(&s);
        CHECK_INT(read_bytewise(docs[i], strlen(docs[i]), &s, &err), 0);
        CHECK_STR(s.text.data, "[a@x]\n<null>\n[b@x]\n<null>\n");
        buf_release(&s.text);
    }
}

TEST(csv_blank_lines_skipped_when_wide)
{
    struct seen s;
    struct err err;

    seen_init(&s);
    CHECK_INT(read_whole("\n\"A\",\"B\"\n\n\"1\",\"2\"\n\n", &s, &err), 0);
    CHECK_STR(s.text.data, "[1]|[2]\n");
    buf_release(&s.text);
}

TEST(csv_byte_order_mark)
{
    static const char doc[] = "\xEF\xBB\xBF\"Id\",\"Name\"\n\"1\",\"x\"\n";
    size_t len = sizeof(doc) - 1;

    /* Split inside the mark at every position, and right after it. */
    for (size_t k = 0; k <= 4; k++) {
        size_t splits[] = {k, SIZE_MAX};
        struct seen s;
        struct err err;
        struct sf_csv *p;
        const char *const *headers;
        size_t n;

        seen_init(&s);
        p = sf_csv_new(NULL, collect, &s);
        CHECK_INT(sf_csv_feed(p, doc, splits[0], &err), 0);
        CHECK_INT(sf_csv_feed(p, doc + k, len - k, &err), 0);
        CHECK_INT(sf_csv_finish(p, &err), 0);
        headers = sf_csv_headers(p, &n);
        CHECK_INT(n, 2);
        if (headers && n == 2)
            CHECK_STR(headers[0], "Id");
        CHECK_STR(s.text.data, "[1]|[x]\n");
        sf_csv_free(p);
        buf_release(&s.text);
    }
}

TEST(csv_mark_only_at_start)
{
    struct seen s;
    struct err err;

    /* A mark after the start is data; a start that only looks like a
     * mark is data too. */
    seen_init(&s);
    CHECK_INT(read_whole("\"A\"\n\"\xEF\xBB\xBFx\"\n", &s, &err), 0);
    CHECK_STR(s.text.data, "[\xEF\xBB\xBFx]\n");
    buf_release(&s.text);

    seen_init(&s);
    CHECK_INT(read_bytewise("\xEF\xBBZ\n\"v\"\n", 7, &s, &err), 0);
    CHECK_STR(s.text.data, "[v]\n");
    buf_release(&s.text);
}

TEST(csv_multibyte_split_everywhere)
{
    static const char doc[] = "\"Name\",\"City\"\n"
                              "\"Groß\",\"Zürich\"\n"
                              "\"日本語\",\"😀 \"\"q\"\"\"\n";
    static const char want[] = "[Groß]|[Zürich]\n[日本語]|[😀 \"q\"]\n";
    size_t len = sizeof(doc) - 1;

    for (size_t k = 0; k <= len; k++) {
        size_t splits[] = {k, SIZE_MAX};
        struct seen s;
        struct err err;

        seen_init(&s);
        CHECK_INT(read_split(NULL, doc, len, splits, &s, &err), 0);
        if (strcmp(s.text.data, want) != 0) {
            fprintf(stderr, "split at %zu gave:\n%s", k, s.text.data);
            CHECK_STR(s.text.data, want);
        }
        buf_release(&s.text);
    }
}

TEST(csv_value_split_every_byte)
{
    /* Every hard case in one document, read in two pieces split at every
     * byte, and in three pieces around every pair of positions. */
    static const char doc[] =
        "\xEF\xBB\xBF\"Id\",\"Text\",\"Null\",\"Empty\"\r\n"
        "\"1\",\"a,b \"\"c\"\"\r\nd\",,\"\"\r\n"
        "\"2\",\"ü\n\",\"x\",\"\"\r\n";
    static const char want[] = "[1]|[a,b \"c\"\r\nd]|<null>|[]\n"
                               "[2]|[ü\n]|[x]|[]\n";
    size_t len = sizeof(doc) - 1;
    size_t failures = 0;

    for (size_t a = 0; a <= len; a++) {
        for (size_t b = a; b <= len; b++) {
            size_t splits[] = {a, b, SIZE_MAX};
            struct seen s;
            struct err err;
            int rc;

            seen_init(&s);
            rc = read_split(NULL, doc, len, splits, &s, &err);
            if (rc != 0 || strcmp(s.text.data, want) != 0) {
                if (failures++ < 3)
                    fprintf(stderr, "splits %zu,%zu: rc %d rows:\n%s", a, b, rc,
                            s.text.data);
            }
            buf_release(&s.text);
        }
    }
    CHECK_INT(failures, 0);
}

TEST(csv_nul_byte_in_value)
{
    static const char doc[] = "\"A\"\n\"x\0y\"\n";
    struct seen s;
    struct err err;

    seen_init(&s);
    CHECK_INT(read_bytewise(doc, sizeof(doc) - 1, &s, &err), 0);
    CHECK_STR(s.text.data, "[x\\0y]\n");
    buf_release(&s.text);
}

TEST(csv_other_delimiters)
{
    static const char doc[] = "\"A\"\t\"B\"\n\"1,2\"\t\n";
    static const size_t whole[] = {SIZE_MAX};
    struct sf_csv_config cfg = {.delimiter = '\t'};
    struct seen s;
    struct err err;

    seen_init(&s);
    CHECK_INT(read_split(&cfg, doc, sizeof(doc) - 1, whole, &s, &err), 0);
    CHECK_STR(s.text.data, "[1,2]|<null>\n");
    buf_release(&s.text);

    cfg.delimiter = ';';
    seen_init(&s);
    CHECK_INT(read_split(&cfg, "A;B\n\"x;y\";z\n", 12, whole, &s, &err), 0);
    CHECK_STR(s.text.data, "[x;y]|[z]\n");
    buf_release(&s.text);
}

TEST(csv_malformed_rejected)
{
    static const char *docs[] = {
        "\"A\"\nab\"c\n",                   /* quote inside an unquoted value */
        "\"A\"\n\"ab\"c\n",                 /* text after a closing quote */
        "\"A\",\"B\"\n\"a\" ,\"b\"\n",      /* a space after a closing quote */
        "\"A\",\"B\"\n\"1\"\n",             /* too few values */
        "\"A\",\"B\"\n\"1\",\"2\",\"3\"\n", /* too many values */
        "\"A\",,\"C\"\n\"1\",\"2\",\"3\"\n", /* a null header */
        "\"A\",\"\"\n\"1\",\"2\"\n",         /* an empty header */
    };

    for (size_t i = 0; i < ARRAY_SIZE(docs); i++) {
        struct seen s;
        struct err err;
        int rc;

        seen_init(&s);
        rc = read_whole(docs[i], &s, &err);
        if (rc != SYNC_EINVALID)
            fprintf(stderr, "document %zu gave %d\n", i, rc);
        CHECK_INT(rc, SYNC_EINVALID);
        CHECK_INT(err.code, SYNC_EINVALID);
        CHECK(strstr(err.msg, "CSV") != NULL);
        CHECK_INT(s.rows, 0);
        buf_release(&s.text);
    }
}

TEST(csv_cut_document_transient)
{
    static const char *docs[] = {"", "\"A\",\"B\"\n\"1\",\"unterminated",
                                 "\xEF\xBB\xBF"};

    for (size_t i = 0; i < ARRAY_SIZE(docs); i++) {
        struct seen s;
        struct err err;

        seen_init(&s);
        CHECK_INT(read_whole(docs[i], &s, &err), SYNC_ETRANSIENT);
        CHECK(strstr(err.msg, "cut") != NULL);
        buf_release(&s.text);
    }
}

TEST(csv_error_sticks)
{
    struct seen s;
    struct err err;
    struct sf_csv *p;

    seen_init(&s);
    p = sf_csv_new(NULL, collect, &s);
    CHECK_INT(sf_csv_feed(p, "\"A\"\n\"x\"y\n", 9, &err), SYNC_EINVALID);
    CHECK_INT(sf_csv_feed(p, "\"z\"\n", 4, &err), SYNC_EINVALID);
    CHECK_INT(sf_csv_finish(p, &err), SYNC_EINVALID);
    CHECK_INT(s.rows, 0);

    /* A reset starts a new document. */
    sf_csv_reset(p);
    CHECK_INT(sf_csv_feed(p, "\"B\"\n\"fresh\"\n", 12, &err), 0);
    CHECK_INT(sf_csv_finish(p, &err), 0);
    CHECK_INT(sf_csv_rows(p), 1);
    CHECK_STR(s.text.data, "[fresh]\n");
    sf_csv_free(p);
    buf_release(&s.text);
}

TEST(csv_callback_stop_and_fail)
{
    static const char doc[] = "\"A\"\n\"0\"\n\"1\"\n\"2\"\n\"3\"\n";
    struct sf_csv *p;
    struct seen s;
    struct err err;

    seen_init(&s);
    s.stop_at = 1;
    p = sf_csv_new(NULL, collect, &s);
    CHECK_INT(sf_csv_feed(p, doc, sizeof(doc) - 1, &err), 0);
    CHECK(sf_csv_stopped(p));
    CHECK_INT(sf_csv_finish(p, &err), 0);
    CHECK_INT(s.rows, 2);
    sf_csv_free(p);
    buf_release(&s.text);

    seen_init(&s);
    s.fail_at = 2;
    p = sf_csv_new(NULL, collect, &s);
    CHECK_INT(sf_csv_feed(p, doc, sizeof(doc) - 1, &err), SYNC_EINVALID);
    CHECK_STR(err.msg, "row 2 refused");
    CHECK_INT(s.rows, 3);
    CHECK(!sf_csv_stopped(p));
    sf_csv_free(p);
    buf_release(&s.text);
}

/* Write the document "A" header, one quoted value of size bytes. */
static size_t make_long_value(char *doc, size_t size)
{
    memcpy(doc, "\"A\"\n\"", 5);
    memset(doc + 5, 'x', size);
    memcpy(doc + 5 + size, "\"\n", 2);
    return 5 + size + 2;
}

TEST(csv_value_cap)
{
    /* One byte over the cap, and far over it, where libcsv's own buffer
     * stops growing. */
    size_t sizes[] = {SF_CSV_MAX_FIELD + 1, SF_CSV_MAX_FIELD + 1000000};
    char *doc = xmalloc(SF_CSV_MAX_FIELD + 1000000 + 16);
    struct seen s;
    struct err err;
    struct sf_csv *p;

    seen_init(&s);
    for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
        size_t len = make_long_value(doc, sizes[i]);

        p = sf_csv_new(NULL, collect, &s);
        CHECK_INT(sf_csv_feed(p, doc, len, &err), SYNC_EINVALID);
        CHECK(strstr(err.msg, "8388608-byte cap") != NULL);
        CHECK_INT(s.rows, 0);
        sf_csv_free(p);
    }

    /* A value of exactly the cap is read. */
    p = sf_csv_new(NULL, collect, &s);
    CHECK_INT(sf_csv_feed(p, doc, make_long_value(doc, SF_CSV_MAX_FIELD), &err),
              0);
    CHECK_INT(sf_csv_finish(p, &err), 0);
    CHECK_INT(s.rows, 1);
    sf_csv_free(p);
    buf_release(&s.text);
    free(doc);
}

TEST(csv_row_and_column_caps)
{
    struct sf_csv_config cfg = {.max_row = 16};
    static const size_t whole[] = {SIZE_MAX};
    static const char wide[] = "A,B,C\n1,2,3\n";
    struct seen s;
    struct err err;

    seen_init(&s);
    CHECK_INT(
        read_split(&cfg, "\"A\"\n\"0123456789abcdefg\"\n", 24, whole, &s, &err),
        SYNC_EINVALID);
    CHECK(strstr(err.msg, "16-byte cap") != NULL);
    buf_release(&s.text);

    cfg.max_row = 0;
    cfg.max_columns = 2;
    seen_init(&s);
    CHECK_INT(read_split(&cfg, wide, sizeof(wide) - 1, whole, &s, &err),
              SYNC_EINVALID);
    CHECK(strstr(err.msg, "more than 2 columns") != NULL);
    buf_release(&s.text);
}

TEST_MAIN(TEST_ENTRY(csv_plain_rows), TEST_ENTRY(csv_header_is_passed),
          TEST_ENTRY(csv_quoted_specials), TEST_ENTRY(csv_null_versus_empty),
          TEST_ENTRY(csv_unquoted_values_kept), TEST_ENTRY(csv_crlf_and_lf),
          TEST_ENTRY(csv_no_final_newline), TEST_ENTRY(csv_one_column_nulls),
          TEST_ENTRY(csv_blank_lines_skipped_when_wide),
          TEST_ENTRY(csv_byte_order_mark), TEST_ENTRY(csv_mark_only_at_start),
          TEST_ENTRY(csv_multibyte_split_everywhere),
          TEST_ENTRY(csv_value_split_every_byte),
          TEST_ENTRY(csv_nul_byte_in_value), TEST_ENTRY(csv_other_delimiters),
          TEST_ENTRY(csv_malformed_rejected),
          TEST_ENTRY(csv_cut_document_transient), TEST_ENTRY(csv_error_sticks),
          TEST_ENTRY(csv_callback_stop_and_fail), TEST_ENTRY(csv_value_cap),
          TEST_ENTRY(csv_row_and_column_caps))
