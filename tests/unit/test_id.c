/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/* Unit tests of Salesforce record ids: the case-safe suffix. */
#include "base/common.h"

#include "sim.h"
#include "test.h"

/* Real ids whose 18-character forms came from Salesforce responses. */
static const char *const real_ids[] = {
    "0014W000027f6V3QAI", "0035500001H9cakAAB", "00Q4W00001WGXdDUAX",
    "012000000000000AAA", "00Di0000000icUBEAY",
};

TEST(id_suffix_matches_real_ids)
{
    char out[19], id15[16];

    for (size_t i = 0; i < ARRAY_SIZE(real_ids); i++) {
        memcpy(id15, real_ids[i], 15);
        id15[15] = '\0';
        CHECK_INT(sim_id_to18(id15, out), 0);
        CHECK_STR(out, real_ids[i]);
        CHECK_INT(sim_id_to18(real_ids[i], out), 0);
        CHECK_STR(out, real_ids[i]);
    }
}

TEST(id_18_in_any_case)
{
    char out[19];

    CHECK_INT(sim_id_to18("0035500001h9CAKAAB", out), 0);
    CHECK_STR(out, "0035500001H9cakAAB");
    CHECK_INT(sim_id_to18("0035500001H9CAKAAB", out), 0);
    CHECK_STR(out, "0035500001H9cakAAB");
}

TEST(id_rejects_malformed)
{
    char out[19];

    CHECK_INT(sim_id_to18("", out), -1);
    CHECK_INT(sim_id_to18("003550000", out), -1);
    CHECK_INT(sim_id_to18("0035500001H9ca!", out), -1);
    CHECK_INT(sim_id_to18("0035500001H9cakAAB1", out), -1);
    /* A suffix that marks a digit as upper case cannot come from
     * Salesforce. */
    CHECK_INT(sim_id_to18("012000000000000BAA", out), -1);
    CHECK_INT(sim_id_to18(NULL, out), -1);
}

TEST(id_next_is_unique_and_valid)
{
    struct sim_object obj;
    char a[19], b[19], check[19];

    memset(&obj, 0, sizeof(obj));
    memcpy(obj.key_prefix, "003", 4);
    sim_id_next(&obj, a);
    sim_id_next(&obj, b);
    CHECK_INT(strlen(a), 18);
    CHECK(strncmp(a, "003", 3) == 0);
    CHECK(strcmp(a, b) != 0);
    CHECK_INT(sim_id_to18(a, check), 0);
    CHECK_STR(check, a);
}

TEST_MAIN(TEST_ENTRY(id_suffix_matches_real_ids), TEST_ENTRY(id_18_in_any_case),
          TEST_ENTRY(id_rejects_malformed),
          TEST_ENTRY(id_next_is_unique_and_valid))
