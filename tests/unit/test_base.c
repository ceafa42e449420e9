/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/* Unit tests of the base library: buffers, hash map, datetimes, errors. */
#include "base/common.h"

#include "base/buf.h"
#include "base/datetime.h"
#include "base/hmap.h"
#include "base/unicode.h"
#include "test.h"

TEST(buf_append_and_cap)
{
    struct buf b;

    buf_init(&b, 8);
    CHECK_STR(b.data, "");
    CHECK_INT(buf_puts(&b, "abc"), 0);
    CHECK_INT(buf_printf(&b, "%d", 12345), 0);
    CHECK_STR(b.data, "abc12345");
    CHECK_INT(buf_putc(&b, 'x'), -1);
    CHECK(b.overflow);
    CHECK_STR(b.data, "abc12345");
    buf_release(&b);
    CHECK_INT(b.len, 0);
}

TEST(buf_detach_owns_copy)
{
    struct buf b;
    char *s;

    buf_init(&b, 0);
    s = buf_detach(&b);
    CHECK_STR(s, "");
    free(s);
    buf_puts(&b, "token");
    s = buf_detach(&b);
    CHECK_STR(s, "token");
    CHECK_STR(b.data, "");
    free(s);
}

TEST(hmap_put_get_remove)
{
    struct hmap m;
    char keys[500][16];

    hmap_init(&m, false);
    for (int i = 0; i < 500; i++) {
        snprintf(keys[i], sizeof(keys[i]), "key%d", i);
        CHECK(hmap_put(&m, keys[i], keys[i]) == NULL);
    }
    CHECK_INT(m.count, 500);
    CHECK(hmap_get(&m, "key42") == keys[42]);
    CHECK(hmap_get(&m, "KEY42") == NULL);
    for (int i = 0; i < 500; i += 2)
        CHECK(hmap_remove(&m, keys[i]) == keys[i]);
    CHECK_INT(m.count, 250);
    CHECK(hmap_get(&m, "key42") == NULL);
    CHECK(hmap_get(&m, "key43") == keys[43]);
    for (int i = 0; i < 500; i += 2)
        hmap_put(&m, keys[i], keys[i]);
    CHECK_INT(m.count, 500);
    CHECK(hmap_get(&m, "key42") == keys[42]);
    hmap_release(&m);
}

TEST(hmap_nocase)
{
    struct hmap m;
    int v = 1;

    hmap_init(&m, true);
    hmap_put(&m, "LastName", &v);
    CHECK(hmap_get(&m, "lastname") == &v);
    CHECK(hmap_get(&m, "LASTNAME") == &v);
    CHECK(hmap_put(&m, "lastNAME", &v) == &v);
    CHECK_INT(m.count, 1);
    hmap_release(&m);
}

TEST(datetime_parse_forms)
{
    int64_t ms;

    CHECK_INT(datetime_parse("2024-01-02T03:04:05Z", &ms, NULL), 0);
    CHECK_INT(ms, 1704164645000LL);
    CHECK_INT(datetime_parse("2024-01-02T03:04:05.250Z", &ms, NULL), 0);
    CHECK_INT(ms, 1704164645250LL);
    CHECK_INT(datetime_parse("2024-01-02T05:04:05+02:00", &ms, NULL), 0);
    CHECK_INT(ms, 1704164645000LL);
    CHECK_INT(datetime_parse("2024-01-01T22:04:05-0500", &ms, NULL), 0);
    CHECK_INT(ms, 1704164645000LL);
    CHECK_INT(datetime_parse("2024-01-02T03:04:05.000+0000", &ms, NULL), 0);
    CHECK_INT(ms, 1704164645000LL);
    CHECK_INT(datetime_parse("2024-01-02T03:04:05", &ms, NULL), -1);
    CHECK_INT(datetime_parse("2024-02-30T03:04:05Z", &ms, NULL), -1);
    CHECK_INT(datetime_parse("2024-01-02 03:04:05Z", &ms, NULL), -1);
    CHECK_INT(datetime_parse("2024-01-02T03:04:05Zx", &ms, NULL), -1);
}

TEST(datetime_format_forms)
{
    char out[DATETIME_LEN];
    int64_t days;

    datetime_format_sf(1704164645250LL, out);
    CHECK_STR(out, "2024-01-02T03:04:05.250+0000");
    datetime_format_z(1704164645000LL, out);
    CHECK_STR(out, "2024-01-02T03:04:05.000Z");
    CHECK_INT(date_parse("2024-02-29", &days, NULL), 0);
    date_format(days, out);
    CHECK_STR(out, "2024-02-29");
    CHECK_INT(date_parse("2023-02-29", &days, NULL), -1);
    date_format(0, out);
    CHECK_STR(out, "1970-01-01");
}

TEST(err_set_returns_code)
{
    struct err err;

    err_clear(&err);
    CHECK_INT(err_set(&err, SYNC_ETRANSIENT, "timed out after %d s", 5),
              SYNC_ETRANSIENT);
    CHECK(err.retryable);
    CHECK_STR(err.msg, "timed out after 5 s");
    err_prefix(&err, "query '%s'", "Contact");
    CHECK_STR(err.msg, "query 'Contact': timed out after 5 s");
    CHECK_INT(err_set(&err, SYNC_EINVALID, "bad"), SYNC_EINVALID);
    CHECK(!err.retryable);
    CHECK_INT(err_set(NULL, SYNC_EIO, "ignored"), SYNC_EIO);
}

TEST(utf8_decode_forms)
{
    static const struct {
        const char *bytes;
        size_t len;
        uint32_t cp;
    } good[] = {
        {"A", 1, 0x41},
        {"\xc3\xbc", 2, 0xfc},
        {"\xe4\xb8\xad", 3, 0x4e2d},
        {"\xf0\x9f\x98\x80", 4, 0x1f600},
    };
    static const char *const bad[] = {
        "\xc0\xaf",         /* overlong '/' */
        "\xed\xa0\x80",     /* a surrogate */
        "\xf4\x90\x80\x80", /* past U+10FFFF */
        "\xe4\xb8",         /* cut by the NUL */
        "\xff",
    };
    uint32_t cp;

    for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
        CHECK_INT(unicode_utf8_decode((const unsigned char *)good[i].bytes, 4,
                                      &cp),
                  good[i].len);
        CHECK_INT(cp, good[i].cp);
    }
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
        CHECK_INT(unicode_utf8_decode((const unsigned char *)bad[i], 4, &cp),
                  0);
    CHECK_INT(unicode_utf8_decode((const unsigned char *)"\xc3\xbc", 1, &cp),
              0);
}

TEST_MAIN(TEST_ENTRY(buf_append_and_cap), TEST_ENTRY(buf_detach_owns_copy),
          TEST_ENTRY(hmap_put_get_remove), TEST_ENTRY(hmap_nocase),
          TEST_ENTRY(datetime_parse_forms), TEST_ENTRY(datetime_format_forms),
          TEST_ENTRY(err_set_returns_code), TEST_ENTRY(utf8_decode_forms))
