/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/* Moving the pending local edits of a duplicate into its survivor. */
#include "base/common.h"

#include "fold.h"

#include "changes.h"
#include "merge.h"

/* The fields of c that differ from base, or all of mask without a base. */
static uint32_t edited_fields(const struct contact *c, const json_t *base,
                              uint32_t mask)
{
    struct contact b;
    uint32_t fields = 0, edited;

    contact_init(&b);
    if (!base || contact_fields_from_json(&b, base, &fields, NULL) < 0)
        fields = 0;
    edited = (contact_diff(c, &b) & fields) | (mask & ~fields);
    contact_release(&b);
    return edited & mask;
}

/* Whether the loser's value of field f replaces the survivor's. */
static bool loser_wins(const struct contact *loser,
                       const struct contact *survivor, uint32_t survivor_edits,
                       enum contact_field f)
{
    if (!(survivor_edits & CONTACT_FIELD_BIT(f)))
        return true;
    if (merge_is_restrictive(f))
        return loser->values[f].flag;
    return loser->updated_ms > survivor->updated_ms;
}

int fold_pending_edits(struct store *s, int64_t workspace_id,
                       int64_t loser_id, const json_t *loser_base,
                       int64_t survivor_id, const json_t *survivor_base,
                       uint32_t to_sf, uint32_t *out_moved, struct err *err)
{
    struct contact loser, survivor;
    uint32_t edits, survivor_edits, moved = 0;
    int64_t pending = 0;
    int rc;

    *out_moved = 0;
    contact_init(&loser);
    contact_init(&survivor);
    if ((rc = store_contact_get(s, workspace_id, loser_id, &loser, err)) < 0 ||
        (rc = changes_pending_count(s, &loser, &pending, err)) < 0 ||
        (rc = store_contact_get(s, workspace_id, survivor_id, &survivor,
                                err)) < 0)
        goto out;
    edits = loser.archived || pending == 0
                ? 0
                : edited_fields(&loser, loser_base, to_sf);
    survivor_edits = edited_fields(&survivor, survivor_base, to_sf);
    for (int f = 0; f < CONTACT_FIELD_COUNT; f++)
        if ((edits & CONTACT_FIELD_BIT(f)) &&
            loser_wins(&loser, &survivor, survivor_edits,
                       (enum contact_field)f))
            moved |= CONTACT_FIELD_BIT(f);
    /* Both contacts are one person, so a do-not-call or email opt-out set
     * on the loser is set on the survivor, pending edit or not. */
    for (int f = 0; f < CONTACT_FIELD_COUNT; f++)
        if (merge_is_restrictive((enum contact_field)f) &&
            loser.values[f].flag)
            moved |= CONTACT_FIELD_BIT(f);
    moved &= contact_diff(&loser, &survivor);
    if (moved) {
        contact_copy_fields(&survivor, &loser, moved);
        if ((rc = store_contact_update(s, &survivor, STORE_ORIGIN_LOCAL,
                                       err)) < 0)
            goto out;
    }
    if (pending > 0)
        rc = store_outbox_ack(s, workspace_id, loser_id, loser.version, err);
    *out_moved = moved;
out:
    contact_release(&loser);
    contact_release(&survivor);
    return rc;
}
