/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/* Unit tests of phone normalisation over libphonenumber. */
#include "base/common.h"

#include "model/phone.h"
#include "test.h"

struct normalize_case {
    const char *text;
    const char *region;
    const char *e164;
};

static const struct normalize_case normalize_cases[] = {
    {"(415) 555-2671", "US", "+14155552671"},
    {"+1 415 555 2671", "US", "+14155552671"},
    {"+1 (415) 555-2671 ext. 12", "US", "+14155552671"},
    {"5624081052", "US", "+15624081052"},
    {"5624081052", NULL, "+15624081052"},
    {"020 7946 0958", "GB", "+442079460958"},
    {"+44 20 7946 0958", "US", "+442079460958"},
    {"+44 20 7946 0958", "GB", "+442079460958"},
    {"+44 20 7946 0958", "DE", "+442079460958"},
    {"+44 20 7946 0958", "jp", "+442079460958"},
};

TEST(phone_examples_normalize)
{
    for (size_t i = 0; i < ARRAY_SIZE(normalize_cases); i++) {
        const struct normalize_case *c = &normalize_cases[i];
        struct phone_number number;
        struct err err;

        err_clear(&err);
        CHECK_INT(phone_normalize(c->text, c->region, &number, &err), 0);
        CHECK_STR(number.e164, c->e164);
        if (err.code != 0)
            fprintf(stderr, "case '%s': %s\n", c->text, err.msg);
    }
}

TEST(phone_extension_kept_apart)
{
    struct phone_number number;

    CHECK_INT(phone_normalize("+1 (415) 555-2671 ext. 12", "US", &number,
                              NULL),
              0);
    CHECK_STR(number.e164, "+14155552671");
    CHECK_STR(number.extension, "12");
    CHECK_INT(phone_normalize("(415) 555-2671", "US", &number, NULL), 0);
    CHECK_STR(number.extension, "");
}

TEST(phone_not_a_number_rejected)
{
    struct phone_number number;
    struct err err;

    err_clear(&err);
    CHECK_INT(phone_normalize("not a phone", "US", &number, &err),
              SYNC_EINVALID);
    CHECK_STR(number.e164, "");
    CHECK(!number.valid);
    CHECK_STR(err.msg, "'not a phone' is not a phone number");
}

TEST(phone_local_only_rejected)
{
    struct phone_number number;
    struct err err;

    /* Seven US digits lack the area code, so no E.164 form exists. */
    err_clear(&err);
    CHECK_INT(phone_normalize("555-2671", "US", &number, &err),
              SYNC_EINVALID);
    CHECK_STR(number.e164, "");
    CHECK(strstr(err.msg, "area code") != NULL);
}

TEST(phone_bad_lengths_rejected)
{
    struct phone_number number;

    CHECK_INT(phone_normalize("12", "US", &number, NULL), SYNC_EINVALID);
    CHECK_INT(phone_normalize("+1 415 555 2671 2671 2671", "US", &number,
                              NULL),
              SYNC_EINVALID);
    CHECK_INT(phone_normalize("", "US", &number, NULL), SYNC_EINVALID);
    CHECK_INT(phone_normalize(NULL, "US", &number, NULL), SYNC_EINVALID);
}

TEST(phone_validity_reported)
{
    struct phone_number number;

    /* 650 253 0000 is Google's number in libphonenumber's own tests. */
    CHECK_INT(phone_normalize("650 253 0000", "US", &number, NULL), 0);
    CHECK(number.valid);
    /* Area code 099 does not exist: the length is possible for +1, so the
     * number is still normalised, but it is not valid. */
    CHECK_INT(phone_normalize("099 253 0000", "US", &number, NULL), 0);
    CHECK_STR(number.e164, "+10992530000");
    CHECK(!number.valid);
    /* Area code 645 opened in 2023, after the metadata of libphonenumber
     * 8.12.57; the number is normalised whatever its validity. */
    CHECK_INT(phone_normalize("(645) 555-0123", "US", &number, NULL), 0);
    CHECK_STR(number.e164, "+16455550123");
}

TEST(phone_validity_across_regions)
{
    struct phone_number number;

    /* Toronto's 416 shares +1 with the United States: valid from either
     * default region. */
    CHECK_INT(phone_normalize("416 555 0199", "US", &number, NULL), 0);
    CHECK_STR(number.e164, "+14165550199");
    CHECK(number.valid);
    CHECK_INT(phone_normalize("650 253 0000", "CA", &number, NULL), 0);
    CHECK(number.valid);
    /* Antigua's 268 belongs to another region of +1. */
    CHECK_INT(phone_normalize("268 460 1234", "CA", &number, NULL), 0);
    CHECK(number.valid);
    /* A London number read with another country's default region. */
    CHECK_INT(phone_normalize("+44 20 7946 0958", "US", &number, NULL), 0);
    CHECK(number.valid);
    /* No British number starts with 4. */
    CHECK_INT(phone_normalize("+44 4123 456789", "GB", &number, NULL), 0);
    CHECK(!number.valid);
}

TEST(phone_region_checked)
{
    struct phone_number number;
    struct err err;

    CHECK(phone_region_supported("US"));
    CHECK(phone_region_supported("gb"));
    CHECK(!phone_region_supported("XX"));
    CHECK(!phone_region_supported("USA"));
    CHECK(!phone_region_supported(""));
    CHECK(!phone_region_supported(NULL));
    err_clear(&err);
    CHECK_INT(phone_normalize("+44 20 7946 0958", "XX", &number, &err),
              SYNC_EINVALID);
    CHECK(strstr(err.msg, "unknown phone region 'XX'") != NULL);
}

TEST(phone_bad_utf8_rejected)
{
    struct phone_number number;
    struct err err;

    err_clear(&err);
    CHECK_INT(phone_normalize("415 555 \xff\xfe 2671", "US", &number, &err),
              SYNC_EINVALID);
    CHECK(strstr(err.msg, "UTF-8") != NULL);
}

TEST_MAIN(TEST_ENTRY(phone_examples_normalize),
          TEST_ENTRY(phone_extension_kept_apart),
          TEST_ENTRY(phone_not_a_number_rejected),
          TEST_ENTRY(phone_local_only_rejected),
          TEST_ENTRY(phone_bad_lengths_rejected),
          TEST_ENTRY(phone_validity_reported),
          TEST_ENTRY(phone_validity_across_regions),
          TEST_ENTRY(phone_region_checked),
          TEST_ENTRY(phone_bad_utf8_rejected))
