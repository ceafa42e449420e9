/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/* New record ids for the simulated org. */
#include "base/common.h"

#include "base/sfid.h"
#include "sim.h"

static const char base62[] =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

int sim_id_to18(const char *id, char out[19])
{
    return sfid_to18(id, out);
}

void sim_id_next(struct sim_object *obj, char out[19])
{
    uint64_t n = ++obj->id_counter;
    char id15[16];

    /* Key prefix, a two-character pod, a reserved character, then the
     * counter in nine base-62 digits, as real ids are laid out. The pod
     * and reserved character are the org's, so that ids of two orgs
     * differ; an object made outside an org gets org 1's. */
    memcpy(id15, obj->key_prefix, 3);
    memcpy(id15 + 3, obj->pod[0] ? obj->pod : "Hn0", 3);
    for (int i = 14; i >= 6; i--) {
        id15[i] = base62[n % 62];
        n /= 62;
    }
    id15[15] = '\0';
    sim_id_to18(id15, out);
}
