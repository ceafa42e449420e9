/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * The field-level three-way merge of a pulled Salesforce record into its
 * linked local contact, and the choice of fields a push sends. These are
 * pure functions over contacts: they read no store and send nothing.
 */
#ifndef SFSYNC_MERGE_H
#define SFSYNC_MERGE_H

#include <stdbool.h>
#include <stdint.h>

#include "model/contact.h"

/* The rule that settles a field changed on both sides to different
 * values. */
enum merge_policy {
    MERGE_POLICY_NEWEST,     /* the later change: LastModifiedDate against
                                the contact's updated time */
    MERGE_POLICY_SALESFORCE, /* always the Salesforce value */
    MERGE_POLICY_LOCAL       /* always the local value */
};

/* The decision of the merge for one field. */
enum merge_outcome {
    MERGE_KEEP_LOCAL,  /* Salesforce still has the base value */
    MERGE_TAKE_REMOTE, /* only Salesforce changed it */
    MERGE_AGREE,       /* both changed it to the same value */
    MERGE_CONFLICT,    /* both changed it differently; the policy decided */
    MERGE_RESTRICTIVE  /* do_not_call or email_opt_out without a
                          trustworthy base: true was kept */
};

/* The contacts of a merge_input carry the E.164 forms of their phones
 * (contact_normalize_phones), because a phone whose E.164 forms are equal
 * on two sides is the same value there, whatever its text. */
struct merge_input {
    const struct contact *local;  /* the stored contact */
    const struct contact *base;   /* the values both sides last agreed on */
    uint32_t base_fields;         /* fields present in base */
    const struct contact *remote; /* the Salesforce record's values */
    uint32_t fields;              /* fields that flow from Salesforce */
    enum merge_policy policy;
    int64_t local_modified_ms;  /* the contact's updated time */
    int64_t remote_modified_ms; /* the record's LastModifiedDate */
    /* A first link, whose base is empty: names and an email that differ
     * only in ASCII letter case are one value, and the record's text is
     * taken without a conflict, so linking never rewrites Salesforce's. */
    bool first_link;
};

struct merge_result {
    enum merge_outcome outcome[CONTACT_FIELD_COUNT]; /* for input fields */
    uint32_t take;      /* fields to copy from remote into local */
    uint32_t keep_base; /* fields whose base must stay as it was, so that
                           the push sends the local value that won */
    uint32_t conflicts; /* fields settled by the policy or the
                           restrictive rule */
    uint32_t local_won; /* conflicts that the local value won */
};

/*
 * Merge every field of in->fields. A field missing from the base counts as
 * unchanged locally, so Salesforce's value is taken. For do_not_call and
 * email_opt_out, a change on one side only (the other side equals the
 * base) takes effect, also from true to false. When the base does not hold
 * the field, or both sides changed it, true wins whatever the policy, so a
 * stale false can never switch calling or email back on. A caller without
 * a trustworthy base for these fields (a merge, a conversion) leaves them
 * out of base_fields. The new base of a field is the remote value unless keep_base
 * has it. A local value that won and differs from the old base keeps the
 * old base. A local value that won but equals the old base gets the
 * remote value as base. Either way the push sends the local value.
 */
void merge_fields(const struct merge_input *in, struct merge_result *out);

/* Whether the local value wins a conflict under policy. Under NEWEST the
 * local value wins when its time in milliseconds is later than
 * LastModifiedDate, which has whole seconds, so a local change in the same
 * second as a Salesforce edit wins. Only an equal stamp goes to
 * Salesforce. */
bool merge_local_wins(enum merge_policy policy, int64_t local_modified_ms,
                      int64_t remote_modified_ms);

/* Whether field f is one where true always wins (do_not_call,
 * email_opt_out). */
bool merge_is_restrictive(enum contact_field f);

/*
 * Return the fields of mask whose local value differs from the base, or
 * that are missing from it: what a push of a linked contact sends. A phone
 * whose E.164 form equals the base's is no difference, so a number typed
 * in another format does not rewrite Salesforce's text. Both contacts
 * need their E.164 forms, as in merge_input.
 */
uint32_t merge_push_fields(const struct contact *local,
                           const struct contact *base, uint32_t base_fields,
                           uint32_t mask);

/* Return "newest", "salesforce" or "local". */
const char *merge_policy_name(enum merge_policy policy);

/* Parse a policy name; -1 when unknown. */
int merge_policy_parse(const char *name);

#endif
