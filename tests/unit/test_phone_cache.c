/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * Unit tests of the cache of recent results inside phone_normalize: more
 * numbers than it has slots, normalised twice, must come back unchanged,
 * and the region is part of each entry's key.
 */
#include "base/common.h"

#include "model/phone.h"
#include "test.h"

/* More distinct numbers than the cache's 16,384 slots, so that sets fill
 * and old slots are overwritten. */
#define NUMBER_COUNT 20000

/* The i-th test number as written ("415 550 0000" on) and its E.164. */
static void format_test_number(int i, char text[32], char e164[32])
{
    snprintf(text, 32, "415 55%d %04d", i / 10000, i % 10000);
    snprintf(e164, 32, "+141555%d%04d", i / 10000, i % 10000);
}

/* The count of numbers from first to last (either way round) whose E.164
 * form is not the expected one, or whose validity is not valid[i]. */
static int count_wrong_results(int first, int last, const bool *valid)
{
    int step = first <= last ? 1 : -1, wrong = 0;

    for (int i = first;; i += step) {
        char text[32], e164[32];
        struct phone_number number;

        format_test_number(i, text, e164);
        if (phone_normalize(text, "US", &number, NULL) < 0 ||
            strcmp(number.e164, e164) != 0 || number.valid != valid[i])
            wrong++;
        if (i == last)
            break;
    }
    return wrong;
}

TEST(phone_cache_repeats_agree)
{
    bool *valid = xcalloc(NUMBER_COUNT, sizeof(*valid));

    for (int i = 0; i < NUMBER_COUNT; i++) {
        char text[32], e164[32];
        struct phone_number number;

        format_test_number(i, text, e164);
        CHECK_INT(phone_normalize(text, "US", &number, NULL), 0);
        valid[i] = number.valid;
    }
    /* The newest numbers are still cached, the oldest were overwritten. */
    CHECK_INT(count_wrong_results(NUMBER_COUNT - 1, 0, valid), 0);
    CHECK_INT(count_wrong_results(0, NUMBER_COUNT - 1, valid), 0);
    free(valid);
}

TEST(phone_cache_keys_region)
{
    struct phone_number number;

    CHECK_INT(phone_normalize("020 7946 0958", "GB", &number, NULL), 0);
    CHECK_STR(number.e164, "+442079460958");
    /* The same text in another region must not be read from the GB entry:
     * a leading 0 is no trunk prefix in the US, so the number fails. */
    CHECK(phone_normalize("020 7946 0958", "US", &number, NULL) < 0);
    CHECK_INT(phone_normalize("020 7946 0958", "gb", &number, NULL), 0);
    CHECK_STR(number.e164, "+442079460958");
}

TEST_MAIN(TEST_ENTRY(phone_cache_repeats_agree),
          TEST_ENTRY(phone_cache_keys_region))
