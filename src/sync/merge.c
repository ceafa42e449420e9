/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/* The three-way field merge and the push's choice of fields. */
#include "base/common.h"

#include "merge.h"

#include <strings.h>

static const char *const policy_names[] = {
    [MERGE_POLICY_NEWEST] = "newest",
    [MERGE_POLICY_SALESFORCE] = "salesforce",
    [MERGE_POLICY_LOCAL] = "local",
};

const char *merge_policy_name(enum merge_policy policy)
{
    if (policy < 0 || policy >= (int)ARRAY_SIZE(policy_names))
        BUG("unknown merge policy %d", (int)policy);
    return policy_names[policy];
}

int merge_policy_parse(const char *name)
{
    for (size_t i = 0; name && i < ARRAY_SIZE(policy_names); i++)
        if (strcmp(name, policy_names[i]) == 0)
            return (int)i;
    return -1;
}

bool merge_is_restrictive(enum contact_field f)
{
    return f == CONTACT_DO_NOT_CALL || f == CONTACT_EMAIL_OPT_OUT;
}

bool merge_local_wins(enum merge_policy policy, int64_t local_modified_ms,
                      int64_t remote_modified_ms)
{
    switch (policy) {
    case MERGE_POLICY_LOCAL:
        return true;
    case MERGE_POLICY_SALESFORCE:
        return false;
    case MERGE_POLICY_NEWEST:
        break;
    }
    /* NOTE: LastModifiedDate has one-second resolution, so a local change
     * made in the same second as a later Salesforce change counts as
     * newer. */
    return local_modified_ms > remote_modified_ms;
}

/* The outcome of one field by the three-way rules alone. */
static enum merge_outcome decide(uint32_t bit, bool in_base,
                                 uint32_t remote_vs_base,
                                 uint32_t local_vs_base,
                                 uint32_t local_vs_remote)
{
    if (in_base && !(remote_vs_base & bit))
        return MERGE_KEEP_LOCAL;
    /* A field missing from the base counts as unchanged locally. */
    if (!in_base || !(local_vs_base & bit))
        return MERGE_TAKE_REMOTE;
    if (!(local_vs_remote & bit))
        return MERGE_AGREE;
    return MERGE_CONFLICT;
}

/* The name and email bits of the fields where a and b both have a text
 * and the two differ in ASCII letter case only, as names and addresses are
 * matched everywhere else. */
static uint32_t identity_case_only(const struct contact *a,
                                   const struct contact *b)
{
    static const enum contact_field fields[] = {
        CONTACT_FIRST_NAME, CONTACT_LAST_NAME, CONTACT_EMAIL};
    uint32_t mask = 0;

    for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
        const char *x = contact_text(a, fields[i]);
        const char *y = contact_text(b, fields[i]);

        if (x && y && strcmp(x, y) != 0 && strcasecmp(x, y) == 0)
            mask |= CONTACT_FIELD_BIT(fields[i]);
    }
    return mask;
}

/* The fields that differ between a and b, leaving out phones that are
 * one number written two ways. */
static uint32_t value_diff(const struct contact *a, const struct contact *b)
{
    return contact_diff(a, b) & ~contact_same_numbers(a, b);
}

void merge_fields(const struct merge_input *in, struct merge_result *out)
{
    uint32_t remote_vs_base = value_diff(in->remote, in->base);
    uint32_t local_vs_base = value_diff(in->local, in->base);
    uint32_t local_vs_remote = value_diff(in->local, in->remote);
    uint32_t case_only = identity_case_only(in->local, in->remote);
    /* A first link takes the record's text of every such field. Later,
     * an email in other case is no conflict, but names are. */
    uint32_t take_case = in->first_link ? case_only : 0;
    bool local_wins = merge_local_wins(in->policy, in->local_modified_ms,
                                       in->remote_modified_ms);

    memset(out, 0, sizeof(*out));
    for (int f = 0; f < CONTACT_FIELD_COUNT; f++) {
        uint32_t bit = CONTACT_FIELD_BIT(f);
        bool in_base = (in->base_fields & bit) != 0;
        enum merge_outcome outcome;
        bool keep_local, local_true;

        if (!(in->fields & bit))
            continue;
        outcome = decide(bit, in_base, remote_vs_base, local_vs_base,
                         local_vs_remote);
        if (outcome == MERGE_CONFLICT && (take_case & bit))
            outcome = MERGE_TAKE_REMOTE;
        keep_local = outcome == MERGE_KEEP_LOCAL ||
                     (outcome == MERGE_CONFLICT && local_wins);
        /* The policy still picks the text, but one address in two letter
         * cases is no conflict to record. */
        if (outcome == MERGE_CONFLICT &&
            (case_only & CONTACT_FIELD_BIT(CONTACT_EMAIL) & bit))
            outcome = MERGE_AGREE;
        if (outcome == MERGE_CONFLICT)
            out->conflicts |= bit;
        /* With a trustworthy base, a one-sided change of a restrictive
         * field takes effect like any other, also from true to false.
         * Without one, or when both sides changed, true wins. */
        if (merge_is_restrictive((enum contact_field)f) &&
            (local_vs_remote & bit) &&
            (!in_base || ((local_vs_base & bit) && (remote_vs_base & bit)))) {
            local_true = in->local->values[f].flag;
            /* The rules picked false; true wins instead. */
            if (keep_local != local_true) {
                outcome = MERGE_RESTRICTIVE;
                out->conflicts |= bit;
            }
            keep_local = local_true;
        }
        out->outcome[f] = outcome;
        if (!(local_vs_remote & bit))
            continue;
        if (!keep_local) {
            out->take |= bit;
            continue;
        }
        if (out->conflicts & bit)
            out->local_won |= bit;
        if (outcome != MERGE_KEEP_LOCAL && in_base && (local_vs_base & bit))
            out->keep_base |= bit;
    }
}

uint32_t merge_push_fields(const struct contact *local,
                           const struct contact *base, uint32_t base_fields,
                           uint32_t mask)
{
    return (value_diff(local, base) | ~base_fields) & mask;
}
