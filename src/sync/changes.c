/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * Local contact changes: validation with messages meant for the person who
 * typed the value, then one store write each. The store queues the outbox
 * entry in the same transaction; this file never writes the outbox itself.
 */
#include "base/common.h"

#include "changes.h"

#include "base/sfid.h"
#include "model/utf8.h"
#include "settings.h"

/* Characters of a value quoted in a message before it is cut. */
#define QUOTE_CHARS 40

/* Room for QUOTE_CHARS characters of up to 4 bytes, "..." and the NUL. */
#define QUOTE_SIZE (QUOTE_CHARS * 4 + 4)

/* The length in bytes of the UTF-8 sequence that starts with lead. */
static size_t sequence_length(unsigned char lead)
{
    if (lead < 0x80)
        return 1;
    if (lead < 0xe0)
        return 2;
    if (lead < 0xf0)
        return 3;
    return 4;
}

/*
 * Copy up to QUOTE_CHARS characters of the valid UTF-8 string s to out,
 * with "..." when it was cut and control characters as spaces, so that a
 * message stays one line of valid UTF-8.
 */
static void quote_value(const char *s, char out[QUOTE_SIZE])
{
    size_t chars = 0, len = 0;
    const unsigned char *p = (const unsigned char *)s;

    while (*p && chars < QUOTE_CHARS) {
        size_t n = sequence_length(*p);

        if (n == 1 && *p < 0x20) {
            out[len++] = ' ';
            p++;
        } else {
            memcpy(out + len, p, n);
            len += n;
            p += n;
        }
        chars++;
    }
    if (*p) {
        memcpy(out + len, "...", 3);
        len += 3;
    }
    out[len] = '\0';
}

/* Cut msg at its first byte that is not valid UTF-8. */
static void truncate_to_utf8(char *msg)
{
    size_t offset;

    if (utf8_count(msg, &offset) < 0)
        msg[offset] = '\0';
}

static int check_text(enum contact_field f, const char *text, struct err *err)
{
    const struct contact_field_info *info = &contact_fields[f];
    char quoted[QUOTE_SIZE];
    size_t chars;

    if (utf8_count(text, &chars) < 0)
        return err_set(err, SYNC_EINVALID,
                       "field '%s' is not valid UTF-8 (bad byte at offset "
                       "%zu)",
                       info->name, chars);
    if (chars <= info->max_len)
        return 0;
    quote_value(text, quoted);
    return err_set(err, SYNC_EINVALID,
                   "field '%s' value '%s' is %zu characters long; the "
                   "maximum is %zu",
                   info->name, quoted, chars, info->max_len);
}

/* Reject an owner that is not the id of a User (key prefix 005) or a
 * Queue (00G, the Group object), since Salesforce rejects a push with any
 * other OwnerId and the contact's other changes would wait behind it. The
 * prefix is checked on the 18-character form, whose case the suffix
 * restores. */
static int check_owner(const char *owner, struct err *err)
{
    char id18[SFID_SIZE], quoted[QUOTE_SIZE];

    if (sfid_to18(owner, id18) == 0 &&
        (strncmp(id18, "005", 3) == 0 || strncmp(id18, "00G", 3) == 0))
        return 0;
    quote_value(owner, quoted);
    return err_set(err, SYNC_EINVALID,
                   "field 'owner' value '%s' is not the id of a user or a "
                   "queue: give the 15- or 18-character Salesforce id of a "
                   "user (starting with 005) or a queue (starting with 00G), "
                   "such as 005000000000001AAA, or an empty value to clear "
                   "it",
                   quoted);
}

/* Whether c has something to be found by: a last name, a company, an
 * email or a phone. */
static bool has_identity(const struct contact *c)
{
    static const enum contact_field identities[] = {
        CONTACT_LAST_NAME, CONTACT_COMPANY,      CONTACT_EMAIL,
        CONTACT_PHONE,     CONTACT_MOBILE_PHONE,
    };

    for (size_t i = 0; i < ARRAY_SIZE(identities); i++)
        if (contact_text(c, identities[i]))
            return true;
    return false;
}

/* Append the message of why to the "; "-separated list in out. */
static void add_problem(char out[ERR_MSG_MAX], const struct err *why)
{
    size_t len = strlen(out);

    snprintf(out + len, ERR_MSG_MAX - len, "%s%s", len ? "; " : "",
             why->msg);
    truncate_to_utf8(out);
}

int changes_validate(const struct contact *c, struct err *err)
{
    char problems[ERR_MSG_MAX] = "";
    struct err why;

    /* Every field is checked, so that one message lists every problem of
     * a row or a command line. */
    for (int f = 0; f < CONTACT_FIELD_COUNT; f++) {
        const char *text = contact_text(c, f);

        if (text && check_text(f, text, &why) < 0) {
            add_problem(problems, &why);
        } else if (f == CONTACT_OWNER && text && check_owner(text, &why) < 0) {
            add_problem(problems, &why);
        } else if (contact_validate_field(c, f, &why) < 0) {
            /* The remaining checks (the email's form) are the model's;
             * its message quotes a byte prefix of the value, which may
             * end inside a character. */
            truncate_to_utf8(why.msg);
            add_problem(problems, &why);
        }
    }
    if (!has_identity(c)) {
        err_set(&why, SYNC_EINVALID,
                "a contact needs at least a last name, a company, an email "
                "or a phone");
        add_problem(problems, &why);
    }
    if (problems[0])
        return err_set(err, SYNC_EINVALID, "%s", problems);
    return 0;
}

static bool is_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

int changes_clean(struct contact *c, uint32_t mask, struct err *err)
{
    char problems[ERR_MSG_MAX] = "";
    struct err why;

    for (int f = 0; f < CONTACT_FIELD_COUNT; f++) {
        const char *text = contact_text(c, f);
        size_t start = 0, end;
        char *trimmed;

        if (!text || !(mask & CONTACT_FIELD_BIT(f)))
            continue;
        end = strlen(text);
        while (start < end && is_space(text[start]))
            start++;
        while (end > start && is_space(text[end - 1]))
            end--;
        for (size_t i = start; i < end; i++) {
            unsigned char ch = (unsigned char)text[i];

            if ((ch < 0x20 || ch == 0x7f) &&
                !(f == CONTACT_STREET && (ch == '\n' || ch == '\r'))) {
                err_set(&why, SYNC_EINVALID,
                        "field '%s' contains the control character 0x%02x; "
                        "remove it",
                        contact_fields[f].name, ch);
                add_problem(problems, &why);
                break;
            }
        }
        if (start == 0 && end == strlen(text))
            continue;
        trimmed = xstrndup(text + start, end - start);
        contact_set_text(c, f, *trimmed ? trimmed : NULL);
        free(trimmed);
    }
    if (problems[0])
        return err_set(err, SYNC_EINVALID, "%s", problems);
    return 0;
}

/*
 * Reject a contact without a last name while the integration pushes,
 * because Salesforce needs one for Leads and Contacts and the push would
 * fail on every round. Without pushing, any identity is enough.
 */
static int check_pushable(struct store *s, const struct contact *c,
                          struct err *err)
{
    if (contact_text(c, CONTACT_LAST_NAME) ||
        !settings_enabled(s, c->workspace_id) ||
        settings_direction(s, c->workspace_id) ==
            SYNC_DIRECTION_FROM_SALESFORCE)
        return 0;
    return err_set(err, SYNC_EINVALID,
                   "field 'last_name' is missing: Salesforce needs a last "
                   "name for Leads and Contacts, so give one");
}

/* As changes_find_by_phone, among the archived contacts that still have
 * a link when archived is set. */
static int find_by_phone(struct store *s, const struct contact *c,
                         const char *e164, bool archived, int64_t *ids,
                         size_t max, size_t *out_count, struct err *err)
{
    int64_t candidates[CHANGES_PHONE_CANDIDATES_MAX];
    const char *email = contact_text(c, CONTACT_EMAIL);
    size_t count = 0;
    int rc;

    *out_count = 0;
    if (archived)
        rc = store_contact_find_archived_by_phone(
            s, c->workspace_id, e164, email, candidates, ARRAY_SIZE(candidates),
            &count, err);
    else
        rc = store_contact_find_by_phone(s, c->workspace_id, e164, email,
                                         candidates, ARRAY_SIZE(candidates),
                                         &count, err);
    if (rc < 0 || count == ARRAY_SIZE(candidates))
        return rc;
    for (size_t i = 0; i < count && *out_count < max; i++) {
        struct contact other;
        bool agrees;

        if (candidates[i] == c->id)
            continue;
        contact_init(&other);
        rc = store_contact_get(s, c->workspace_id, candidates[i], &other, err);
        agrees = rc == 0 && contact_phone_match_agrees(&other, c);
        contact_release(&other);
        if (rc == SYNC_ENOTFOUND)
            continue;
        if (rc < 0)
            return rc;
        if (agrees)
            ids[(*out_count)++] = candidates[i];
    }
    return 0;
}

int changes_find_by_phone(struct store *s, const struct contact *c,
                          const char *e164, int64_t *ids, size_t max,
                          size_t *out_count, struct err *err)
{
    return find_by_phone(s, c, e164, false, ids, max, out_count, err);
}

/* Set *out to the first id other than c's of the contacts matching value
 * as field f, or to 0. A match is the email in any ASCII letter case, or a
 * phone's E.164 form as changes_find_by_phone matches it. */
static int find_match(struct store *s, const struct contact *c,
                      enum contact_field f, const char *value, bool archived,
                      int64_t *out, struct err *err)
{
    int64_t ids[2];
    size_t count = 0;
    int rc;

    *out = 0;
    if (f == CONTACT_EMAIL && archived)
        rc = store_contact_find_archived_by_email(s, c->workspace_id, value,
                                                  ids, 2, &count, err);
    else if (f == CONTACT_EMAIL)
        rc = store_contact_find_by_email(s, c->workspace_id, value, ids, 2,
                                         &count, err);
    else
        rc = find_by_phone(s, c, value, archived, ids, 2, &count, err);
    for (size_t i = 0; rc == 0 && i < count && !*out; i++)
        if (ids[i] != c->id)
            *out = ids[i];
    return rc;
}

/*
 * Fill out with the first stored, unarchived contact that the prepared
 * contact c matches, as a contacts import matches its rows: the email
 * first, then the E.164 form of the phone and of the mobile phone, of
 * those in fields_mask. By phone, a contact with another email, or without
 * emails on both sides another last or first name, is no match, since
 * people who share a switchboard number are not one person. c itself (its
 * id) is no match. With archived set, the archived contacts that still
 * have a link are searched instead.
 */
static int find_duplicate(struct store *s, const struct contact *c,
                          uint32_t fields_mask, bool archived,
                          struct changes_duplicate *out, struct err *err)
{
    static const enum contact_field fields[] = {
        CONTACT_EMAIL, CONTACT_PHONE, CONTACT_MOBILE_PHONE,
    };
    const char *email = contact_text(c, CONTACT_EMAIL);

    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
        enum contact_field f = fields[i];
        const char *value = f == CONTACT_EMAIL ? email : c->values[f].e164;
        int rc;

        if (!value || !(fields_mask & CONTACT_FIELD_BIT(f)))
            continue;
        rc = find_match(s, c, f, value, archived, &out->contact_id, err);
        if (rc < 0)
            return rc;
        if (out->contact_id) {
            out->field = f;
            out->archived = archived;
            snprintf(out->value, sizeof(out->value), "%s", value);
            return 0;
        }
    }
    return 0;
}

/* Normalise c's phones with the workspace's default_region, as the store
 * does on insert, so that its E.164 forms can be matched. */
static int prepare_phones(struct store *s, struct contact *c,
                          struct err *err)
{
    char *region = NULL;
    int rc;

    if ((rc = settings_get(s, c->workspace_id, "default_region", &region,
                           err)) < 0)
        return rc;
    rc = contact_prepare(c, region, err);
    free(region);
    return rc;
}

/* Reject c, whose push would create a record, because it matches
 * out->contact_id, a contact archived here whose Salesforce record is
 * kept. Name both, end with the advice, and fill in out's record. */
static int archived_duplicate(struct store *s, const struct contact *c,
                              struct changes_duplicate *out,
                              const char *advice, struct err *err)
{
    struct store_link link;
    char quoted[QUOTE_SIZE];
    int rc;

    store_link_init(&link);
    rc = store_link_get(s, c->workspace_id, out->contact_id, &link, err);
    if (rc == 0) {
        out->object = link.object;
        snprintf(out->sf_id, sizeof(out->sf_id), "%s", link.sf_id);
    }
    store_link_release(&link);
    if (rc < 0)
        return rc;
    quote_value(out->field == CONTACT_EMAIL ? contact_text(c, out->field)
                                            : c->values[out->field].e164,
                quoted);
    return err_set(err, SYNC_ECONFLICT,
                   "field '%s' matches contact %lld, which has the same %s "
                   "'%s' and was deleted here while its Salesforce %s %s was "
                   "kept. The push would create a second Salesforce record "
                   "and a deleted contact cannot be restored, so %s",
                   contact_fields[out->field].name, (long long)out->contact_id,
                   out->field == CONTACT_EMAIL ? "email"
                                               : "phone number (E.164)",
                   quoted, mapping_object_name(out->object), out->sf_id,
                   advice);
}

/* Set *out to whether contact id has no Salesforce record yet, so that
 * its push creates one. A new contact (id 0) has none. */
static int has_no_record(struct store *s, int64_t workspace_id, int64_t id,
                         bool *out, struct err *err)
{
    struct store_link link;
    int rc;

    *out = true;
    if (!id)
        return 0;
    store_link_init(&link);
    rc = store_link_get(s, workspace_id, id, &link, err);
    store_link_release(&link);
    if (rc == SYNC_ENOTFOUND)
        return 0;
    if (rc == 0)
        *out = false;
    return rc;
}

/* Look for an archived contact with a kept Salesforce record that c's
 * fields of fields_mask match, when c's push would create a record. The
 * caller checks that the push does not delete such records. */
static int find_kept_record(struct store *s, const struct contact *c,
                            uint32_t fields_mask,
                            struct changes_duplicate *out, struct err *err)
{
    bool creates;
    int rc;

    if ((rc = has_no_record(s, c->workspace_id, c->id, &creates, err)) < 0 ||
        !creates)
        return rc;
    return find_duplicate(s, c, fields_mask, true, out, err);
}

bool changes_records_kept(struct store *s, int64_t workspace_id)
{
    return !settings_is(s, workspace_id, "on_local_delete", "delete");
}

int changes_check_kept_record(struct store *s, const struct contact *c,
                              const char *advice, struct err *err)
{
    struct changes_duplicate dup;
    int rc;

    memset(&dup, 0, sizeof(dup));
    if ((rc = find_kept_record(s, c, CONTACT_ALL_FIELDS, &dup, err)) < 0 ||
        !dup.contact_id)
        return rc;
    return archived_duplicate(s, c, &dup, advice, err);
}

/* Reject c when its fields of fields_mask duplicate another stored
 * contact, naming that contact, the field and what to do instead: add a
 * second contact (adding) or keep the change (an update). */
static int check_duplicate(struct store *s, struct contact *c,
                           uint32_t fields_mask, bool adding,
                           struct changes_duplicate *out, struct err *err)
{
    const char *name;
    char quoted[QUOTE_SIZE];
    int rc;

    if ((rc = prepare_phones(s, c, err)) < 0 ||
        (rc = find_duplicate(s, c, fields_mask, false, out, err)) < 0)
        return rc;
    /* A contact deleted here whose Salesforce record is kept would get a
     * second record. Under on_local_delete delete, the push deletes the
     * record of an archived contact, so a new contact is no duplicate. */
    if (!out->contact_id && changes_records_kept(s, c->workspace_id) &&
        (rc = find_kept_record(s, c, fields_mask, out, err)) < 0)
        return rc;
    if (!out->contact_id)
        return 0;
    if (out->archived)
        return archived_duplicate(
            s, c, out,
            adding ? "delete or merge that record in Salesforce first, or "
                     "give --allow-duplicate to add a second contact"
                   : "delete or merge that record in Salesforce first, or "
                     "give --allow-duplicate to keep the change",
            err);
    name = contact_fields[out->field].name;
    quote_value(out->field == CONTACT_EMAIL ? contact_text(c, out->field)
                                            : c->values[out->field].e164,
                quoted);
    return err_set(err, SYNC_ECONFLICT,
                   "field '%s' matches contact %lld, which has the same %s "
                   "'%s': change that contact with 'sfsync contacts update "
                   "%lld --FIELD VALUE', or give --allow-duplicate to %s",
                   name, (long long)out->contact_id,
                   out->field == CONTACT_EMAIL ? "email"
                                               : "phone number (E.164)",
                   quoted, (long long)out->contact_id,
                   adding ? "add a second contact" : "keep the change");
}

int changes_add(struct store *s, struct contact *c, unsigned flags,
                struct changes_duplicate *out_duplicate, struct err *err)
{
    struct changes_duplicate duplicate;
    int rc;

    if (!out_duplicate)
        out_duplicate = &duplicate;
    memset(out_duplicate, 0, sizeof(*out_duplicate));
    if ((rc = changes_clean(c, CONTACT_ALL_FIELDS, err)) < 0 ||
        (rc = changes_validate(c, err)) < 0 ||
        (rc = check_pushable(s, c, err)) < 0)
        return rc;
    c->archived = false;
    if (flags & CHANGES_ADD_ALLOW_DUPLICATE)
        return store_contact_insert(s, c, STORE_ORIGIN_LOCAL, err);
    /* The check and the insert share one transaction. On SQLite it holds
     * the write lock, so two adds of one person at once leave one contact.
     * NOTE: PostgreSQL's read committed lets two such adds both pass. */
    if ((rc = store_begin(s, err)) < 0)
        return rc;
    if ((rc = check_duplicate(s, c, CONTACT_ALL_FIELDS, true, out_duplicate,
                              err)) < 0 ||
        (rc = store_contact_insert(s, c, STORE_ORIGIN_LOCAL, err)) < 0) {
        store_rollback(s, NULL);
        return rc;
    }
    return store_commit(s, err);
}

/* Read contact id into out and check the version the caller expects. */
static int read_current(struct store *s, int64_t workspace_id, int64_t id,
                        int64_t expected_version, struct contact *out,
                        struct err *err)
{
    int rc;

    if ((rc = store_contact_get(s, workspace_id, id, out, err)) < 0)
        return rc;
    if (expected_version != 0 && out->version != expected_version)
        return err_set(err, SYNC_ECONFLICT,
                       "contact %lld changed since version %lld was read "
                       "(it is at version %lld); read it again and repeat "
                       "the change",
                       (long long)id, (long long)expected_version,
                       (long long)out->version);
    return 0;
}

/* Write next over out's stored version; out follows on success. */
static int write_change(struct store *s, struct contact *next,
                        struct contact *out, struct err *err)
{
    int rc;

    /* The store compares next->version with the stored one inside its
     * transaction, so a change made since read_current is SYNC_ECONFLICT
     * there, not a lost update. */
    rc = store_contact_update(s, next, STORE_ORIGIN_LOCAL, err);
    if (rc == SYNC_ECONFLICT)
        return err_set(err, SYNC_ECONFLICT,
                       "contact %lld changed since version %lld was read; "
                       "read it again and repeat the change",
                       (long long)next->id, (long long)next->version);
    if (rc < 0)
        return rc;
    contact_copy(out, next);
    return 0;
}

/* The fields whose change calls for the duplicate check: the email and
 * the phones, and both phones when the email or a name changed, because
 * the phone rule depends on them. */
static uint32_t identity_changes(uint32_t changed)
{
    const uint32_t phones = CONTACT_FIELD_BIT(CONTACT_PHONE) |
                            CONTACT_FIELD_BIT(CONTACT_MOBILE_PHONE);
    const uint32_t phone_rule = CONTACT_FIELD_BIT(CONTACT_EMAIL) |
                                CONTACT_FIELD_BIT(CONTACT_FIRST_NAME) |
                                CONTACT_FIELD_BIT(CONTACT_LAST_NAME);
    uint32_t mask = changed & (phones | CONTACT_FIELD_BIT(CONTACT_EMAIL));

    if (changed & phone_rule)
        mask |= phones;
    return mask;
}

int changes_update_unique(struct store *s, int64_t workspace_id, int64_t id,
                          const struct contact *values, uint32_t mask,
                          int64_t expected_version, unsigned flags,
                          struct changes_duplicate *out_duplicate,
                          struct contact *out, uint32_t *out_changed,
                          struct err *err)
{
    struct changes_duplicate duplicate;
    struct contact next;
    uint32_t changed, check;
    bool began = false;
    int rc;

    *out_changed = 0;
    if (!out_duplicate)
        out_duplicate = &duplicate;
    memset(out_duplicate, 0, sizeof(*out_duplicate));
    contact_init(&next);
    rc = read_current(s, workspace_id, id, expected_version, out, err);
    if (rc < 0)
        goto out;
    if (out->archived) {
        rc = err_set(err, SYNC_EINVALID,
                     "contact %lld is deleted (archived), so it cannot be "
                     "updated",
                     (long long)id);
        goto out;
    }
    contact_copy(&next, out);
    contact_copy_fields(&next, values, mask & CONTACT_ALL_FIELDS);
    if ((rc = changes_clean(&next, mask, err)) < 0)
        goto out;
    if ((changed = contact_diff(out, &next)) == 0)
        goto out;
    if ((rc = changes_validate(&next, err)) < 0 ||
        (rc = check_pushable(s, &next, err)) < 0)
        goto out;
    check = flags & CHANGES_ADD_ALLOW_DUPLICATE ? 0 : identity_changes(changed);
    /* As in changes_add, the check and the write share one transaction. */
    if (check) {
        if ((rc = store_begin(s, err)) < 0)
            goto out;
        began = true;
        if ((rc = check_duplicate(s, &next, check, false, out_duplicate,
                                  err)) < 0)
            goto out;
    }
    if ((rc = write_change(s, &next, out, err)) < 0)
        goto out;
    if (began) {
        began = false;
        if ((rc = store_commit(s, err)) < 0)
            goto out;
    }
    *out_changed = changed;
out:
    if (began)
        store_rollback(s, NULL);
    contact_release(&next);
    return rc;
}

int changes_update(struct store *s, int64_t workspace_id, int64_t id,
                   const struct contact *values, uint32_t mask,
                   int64_t expected_version, struct contact *out,
                   uint32_t *out_changed, struct err *err)
{
    return changes_update_unique(s, workspace_id, id, values, mask,
                                 expected_version,
                                 CHANGES_ADD_ALLOW_DUPLICATE, NULL, out,
                                 out_changed, err);
}

int changes_archive(struct store *s, int64_t workspace_id, int64_t id,
                    int64_t expected_version, struct contact *out,
                    bool *out_changed, struct err *err)
{
    struct contact next;
    int rc;

    *out_changed = false;
    contact_init(&next);
    rc = read_current(s, workspace_id, id, expected_version, out, err);
    if (rc < 0 || out->archived)
        goto out;
    contact_copy(&next, out);
    next.archived = true;
    if ((rc = write_change(s, &next, out, err)) < 0)
        goto out;
    *out_changed = true;
out:
    contact_release(&next);
    return rc;
}

int changes_relink(struct store *s, int64_t workspace_id, int64_t id,
                   struct err *err)
{
    struct store_tombstone tomb;
    struct contact c;
    int rc;

    contact_init(&c);
    if ((rc = store_begin(s, err)) < 0)
        goto out;
    if ((rc = store_contact_get(s, workspace_id, id, &c, err)) < 0)
        goto fail;
    rc = store_tombstone_get(s, workspace_id, id, &tomb, err);
    if (rc == SYNC_ENOTFOUND || (rc == 0 && (tomb.survivor_id || c.archived)))
        rc = err_set(err, SYNC_EINVALID,
                     "contact %lld has no record deleted in Salesforce to "
                     "create again; --relink is for contacts kept by "
                     "on_salesforce_delete=keep",
                     (long long)id);
    if (rc < 0 ||
        (rc = store_tombstone_delete(s, workspace_id, id, err)) < 0 ||
        (rc = store_outbox_requeue(s, workspace_id, id, err)) < 0)
        goto fail;
    rc = store_commit(s, err);
    goto out;
fail:
    store_rollback(s, NULL);
out:
    contact_release(&c);
    return rc;
}

/* One contact whose pending entries are being counted. */
struct pending_slot {
    int64_t contact_id;
    int64_t version; /* the contact's current version */
    size_t index;    /* into the caller's arrays */
    bool done;       /* the entry of version was seen */
};

static int compare_slots(const void *a, const void *b)
{
    const struct pending_slot *x = a, *y = b;

    return (x->contact_id > y->contact_id) - (x->contact_id < y->contact_id);
}

/* Add the entries of one outbox page to the counts of their contacts and
 * return how many contacts became done. A contact's entries are queued in
 * version order, so none follows the entry of its current version. */
static size_t count_page(const struct store_outbox_entry *entries, size_t n,
                         struct pending_slot *slots, size_t count,
                         int64_t *out_counts)
{
    size_t done = 0;

    for (size_t i = 0; i < n; i++) {
        struct pending_slot key = {.contact_id = entries[i].contact_id};
        struct pending_slot *slot =
            bsearch(&key, slots, count, sizeof(*slots), compare_slots);

        if (!slot)
            continue;
        out_counts[slot->index]++;
        if (entries[i].version == slot->version && !slot->done) {
            slot->done = true;
            done++;
        }
    }
    return done;
}

/*
 * NOTE: the pages read grow with the workspace's pending entries queued
 * before the newest entry of the last contact, or with all of them when a
 * contact's newest change came from Salesforce. A store query counting by
 * contact would avoid that.
 */
int changes_pending_counts(struct store *s, int64_t workspace_id,
                           const struct contact *contacts, size_t count,
                           int64_t *out_counts, struct err *err)
{
    struct pending_slot *slots = xcalloc(count ? count : 1, sizeof(*slots));
    struct store_outbox_entry *entries = NULL;
    size_t n = 0, remaining = count;
    int64_t after_id = 0;
    int rc = 0;

    for (size_t i = 0; i < count; i++) {
        slots[i].contact_id = contacts[i].id;
        slots[i].version = contacts[i].version;
        slots[i].index = i;
        out_counts[i] = 0;
    }
    qsort(slots, count, sizeof(*slots), compare_slots);
    while (remaining > 0) {
        rc = store_outbox_pending_after(s, workspace_id, after_id,
                                        STORE_LIST_MAX, &entries, &n, err);
        if (rc < 0)
            break;
        remaining -= count_page(entries, n, slots, count, out_counts);
        if (n > 0)
            after_id = entries[n - 1].id;
        free(entries);
        entries = NULL;
        if (n < STORE_LIST_MAX)
            break;
    }
    free(slots);
    return rc;
}

int changes_pending_count(struct store *s, const struct contact *c,
                          int64_t *out_count, struct err *err)
{
    return changes_pending_counts(s, c->workspace_id, c, 1, out_count, err);
}
