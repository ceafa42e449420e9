/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/* Unit tests of country names to regions and their use for phones. */
#include "base/common.h"

#include "model/contact.h"
#include "model/country.h"
#include "test.h"

TEST(country_names_and_codes)
{
    static const char *const cases[][2] = {
        {"United States", "US"}, {"  usa ", "US"}, {"Deutschland", "DE"},
        {"GERMANY", "DE"},       {"United Kingdom", "GB"}, {"UK", "GB"},
        {"中国", "CN"},          {"日本", "JP"},   {"España", "ES"},
        {"Polska", "PL"},        {"Danmark", "DK"}, {"France", "FR"},
        {"fr", "FR"},            {"Gb", "GB"},
    };
    char out[PHONE_REGION_SIZE];

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        CHECK_INT(country_region(cases[i][0], out), 0);
        CHECK_STR(out, cases[i][1]);
    }
}

TEST(country_unknown)
{
    char out[PHONE_REGION_SIZE];

    CHECK_INT(country_region(NULL, out), -1);
    CHECK_INT(country_region("", out), -1);
    CHECK_INT(country_region("Atlantis", out), -1);
    CHECK_INT(country_region("XX", out), -1);
    CHECK_INT(country_region("U", out), -1);
}

/* Numbers in national format, each with the country it was written in. */
TEST(phone_read_in_contact_country)
{
    static const char *const cases[][3] = {
        {"0049 89 9020511", "Deutschland", "+49899020511"},
        {"029 2018 0085", "United Kingdom", "+442920180085"},
        {"04 08 26 09 06", "France", "+33408260906"},
        {"(415) 555-2671", "United States", "+14155552671"},
        {"(415) 555-2671", NULL, "+14155552671"},
    };

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct contact c;

        contact_init(&c);
        contact_set_text(&c, CONTACT_PHONE, cases[i][0]);
        contact_set_text(&c, CONTACT_COUNTRY, cases[i][1]);
        CHECK_INT(contact_normalize_phones(&c, "US", NULL), 0);
        CHECK_STR(c.values[CONTACT_PHONE].e164, cases[i][2]);
        contact_release(&c);
    }
}

TEST_MAIN(TEST_ENTRY(country_names_and_codes), TEST_ENTRY(country_unknown),
          TEST_ENTRY(phone_read_in_contact_country))
