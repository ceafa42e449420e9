/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/* Unit tests of sim/utf8.c (validation, repair, case folding) and of the
 * loopback check of the listen address. */
#include "base/common.h"

#include "http/http_server.h"
#include "sim.h"
#include "test.h"

TEST(valid_rejects_bad_forms)
{
    static const char *const bad[] = {
        "\xff",         "\xc3",         "\xc0\xaf",     "\xe0\x80\xaf",
        "\xed\xa0\x80", "\xf4\x90\x80\x80", "a\xc3(",   "\x80",
    };
    const char *mixed = "M\xc3\xbcller \xe2\x82\xac \xf0\x9f\x98\x80";

    CHECK(sim_utf8_valid("plain", 5));
    CHECK(sim_utf8_valid(mixed, strlen(mixed)));
    CHECK(!sim_utf8_valid("a\0b", 3));
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        CHECK(!sim_utf8_valid(bad[i], strlen(bad[i])));
        CHECK(!http_utf8_valid(bad[i], strlen(bad[i])));
    }
    CHECK(http_utf8_valid("M\xc3\xbcller", 7));
    CHECK(!http_utf8_valid("a\0b", 3));
}

TEST(repair_replaces_bad_bytes)
{
    char *fixed = sim_utf8_repair("a\xff" "b\xc3");
    char small[8];

    CHECK_STR(fixed, "a\xef\xbf\xbd" "b\xef\xbf\xbd");
    free(fixed);
    fixed = sim_utf8_repair("M\xc3\xbcller");
    CHECK_STR(fixed, "M\xc3\xbcller");
    free(fixed);

    /* Four bad bytes grow to twelve; the buffer keeps whole characters. */
    snprintf(small, sizeof(small), "%s", "x\xff\xff\xff");
    sim_utf8_repair_in(small, sizeof(small));
    CHECK_STR(small, "x\xef\xbf\xbd\xef\xbf\xbd");
    CHECK(sim_utf8_valid(small, strlen(small)));
}

TEST(fold_covers_the_listed_scripts)
{
    static const uint32_t pairs[][2] = {
        {'A', 'a'},     {0xC4, 0xE4},   {0xDE, 0xFE},   {0xD7, 0xD7},
        {0x100, 0x101}, {0x141, 0x142}, {0x178, 0xFF},  {0x17D, 0x17E},
        {0x391, 0x3B1}, {0x3A3, 0x3C3}, {0x3C2, 0x3C3}, {0x386, 0x3AC},
        {0x38F, 0x3CE}, {0x410, 0x430}, {0x401, 0x451}, {0x42F, 0x44F},
        {0x460, 0x461}, {0x4C1, 0x4C2}, {0x4D0, 0x4D1}, {0x4E9, 0x4E9},
        {0x5D0, 0x5D0},
    };

    for (size_t i = 0; i < ARRAY_SIZE(pairs); i++)
        CHECK_INT(sim_utf8_fold(pairs[i][0]), pairs[i][1]);
}

TEST(casecmp_folds_and_orders)
{
    CHECK_INT(sim_utf8_casecmp("M\xc3\x9cLLER", "m\xc3\xbcller"), 0);
    CHECK_INT(sim_utf8_casecmp("\xd0\x98\xd0\x92\xd0\x90\xd0\x9d",
                               "\xd0\xb8\xd0\xb2\xd0\xb0\xd0\xbd"),
              0);
    CHECK(sim_utf8_casecmp("\xc3\xa9" "b", "\xc3\x89" "c") < 0);
    CHECK(sim_utf8_casecmp("\xc3\x89" "c", "\xc3\xa9" "b") > 0);
    CHECK(sim_utf8_casecmp("abc", "ABCD") < 0);
    CHECK(sim_utf8_casecmp("z", "\xc3\xa9") < 0);
}

/* Comparing fold prefixes must agree with sim_utf8_casecmp whenever the
 * prefixes differ, because the SOQL sort relies on it. */
TEST(fold_prefix_agrees_with_casecmp)
{
    static const char *const words[] = {
        "",       "a",        "B",         "\xc3\x89" "c", "\xc3\xa9" "b",
        "Zola",   "\xce\xa9", "\xcf\x89" "a", "abcdefgh",   "ABCDEFGHI",
        "abcdefg\xc3\xa9", "\xff" "x",
    };

    for (size_t i = 0; i < ARRAY_SIZE(words); i++) {
        for (size_t j = 0; j < ARRAY_SIZE(words); j++) {
            unsigned char a[8] = {0}, b[8] = {0};
            bool wa, wb;
            int cmp = sim_utf8_casecmp(words[i], words[j]);
            int pre;

            sim_utf8_fold_prefix(words[i], a, sizeof(a), &wa);
            sim_utf8_fold_prefix(words[j], b, sizeof(b), &wb);
            pre = memcmp(a, b, sizeof(a));
            if (pre != 0)
                CHECK((pre < 0) == (cmp < 0));
            else if (wa && wb)
                CHECK_INT(cmp, 0);
        }
    }
}

TEST(loopback_hosts)
{
    CHECK(sim_host_is_loopback("127.0.0.1"));
    CHECK(sim_host_is_loopback("127.255.0.9"));
    CHECK(!sim_host_is_loopback("0.0.0.0"));
    CHECK(!sim_host_is_loopback("192.168.1.5"));
    CHECK(!sim_host_is_loopback("128.0.0.1"));
    CHECK(!sim_host_is_loopback("localhost"));
    CHECK(!sim_host_is_loopback(NULL));
}

TEST_MAIN(TEST_ENTRY(valid_rejects_bad_forms),
          TEST_ENTRY(repair_replaces_bad_bytes),
          TEST_ENTRY(fold_covers_the_listed_scripts),
          TEST_ENTRY(casecmp_folds_and_orders),
          TEST_ENTRY(fold_prefix_agrees_with_casecmp),
          TEST_ENTRY(loopback_hosts))
