/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * The local contact record and the table of its fields. Validation,
 * diffing, copying and JSON encoding are loops over contact_fields[], so a
 * new field is one enum value and one table row. The mapping to Salesforce
 * fields lives in mapping.h, and storage in store/store.h.
 */
#ifndef SFSYNC_CONTACT_H
#define SFSYNC_CONTACT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct err;

enum contact_field {
    CONTACT_FIRST_NAME,
    CONTACT_LAST_NAME,
    CONTACT_COMPANY,
    CONTACT_TITLE,
    CONTACT_EMAIL,
    CONTACT_PHONE,
    CONTACT_MOBILE_PHONE,
    CONTACT_STREET,
    CONTACT_CITY,
    CONTACT_STATE,
    CONTACT_POSTAL_CODE,
    CONTACT_COUNTRY,
    CONTACT_LEAD_STATUS,
    CONTACT_LEAD_SOURCE,
    CONTACT_DO_NOT_CALL,
    CONTACT_EMAIL_OPT_OUT,
    CONTACT_OWNER,
    CONTACT_FIELD_COUNT
};

/* A set of fields is a uint32_t with one bit per enum contact_field. */
#define CONTACT_FIELD_BIT(f) ((uint32_t)1 << (f))
#define CONTACT_ALL_FIELDS (CONTACT_FIELD_BIT(CONTACT_FIELD_COUNT) - 1)

enum contact_field_type {
    CONTACT_TYPE_TEXT,
    CONTACT_TYPE_EMAIL,
    CONTACT_TYPE_PHONE,
    CONTACT_TYPE_BOOL,
    CONTACT_TYPE_PICKLIST
};

/* One row of the field table. */
struct contact_field_info {
    const char *name;             /* snake_case, used in JSON, CLI, SQL */
    enum contact_field_type type;
    size_t max_len;               /* in characters; 0 for bool fields */
    const char *e164_name;        /* phone fields: "phone_e164", else NULL */
    const char *valid_name;       /* phone fields: "phone_valid", else NULL */
};

/* The field table, indexed by enum contact_field. */
extern const struct contact_field_info contact_fields[CONTACT_FIELD_COUNT];

/*
 * The value of one field. Text-like fields use text, bool fields use flag.
 * Phone fields also carry the E.164 form that contact_normalize_phones
 * derives from text.
 */
struct contact_value {
    char *text;  /* owned; NULL when empty, never "" */
    bool flag;   /* bool fields only */
    char *e164;  /* phone fields only: owned, NULL when text does not parse */
    bool valid;  /* phone fields only: libphonenumber rates it valid */
};

struct contact {
    int64_t id;           /* 0 until the store assigns one */
    int64_t workspace_id;
    int64_t version;      /* bumped by the store on every change */
    int64_t created_ms;   /* milliseconds since the epoch, UTC */
    int64_t updated_ms;
    bool archived;
    struct contact_value values[CONTACT_FIELD_COUNT];
};

/* Set up an empty contact without allocating. */
void contact_init(struct contact *c);

/* Free the values; the contact is left as after contact_init. */
void contact_release(struct contact *c);

/* Allocate an empty contact; free it with contact_free. */
struct contact *contact_new(void);

/* Release and free a contact from contact_new; NULL is allowed. */
void contact_free(struct contact *c);

/*
 * Replace dst with a deep copy of src, including ids and timestamps. dst must
 * have been initialised; its old values are freed.
 */
void contact_copy(struct contact *dst, const struct contact *src);

/* Return the field named name ("first_name"), or -1 when there is none. */
int contact_field_by_name(const char *name);

/*
 * Set a text-like field to a copy of text. NULL and "" both make the field
 * empty. Setting a phone field clears its E.164 form until the next
 * contact_normalize_phones. Calling this on a bool field is a bug.
 */
void contact_set_text(struct contact *c, enum contact_field f,
                      const char *text);

/* Set a bool field. Calling this on another field is a bug. */
void contact_set_flag(struct contact *c, enum contact_field f, bool flag);

/*
 * Set field f from user input, as the CLI and the HTTP API receive it. Bool
 * fields take true/false, yes/no, 1/0 or on/off; other fields take the text
 * as it is. Return 0, or SYNC_EINVALID with err filled for a bool field
 * given anything else. The value is not validated until contact_validate.
 */
int contact_parse_value(struct contact *c, enum contact_field f,
                        const char *input, struct err *err);

/* Return the text of field f, or NULL when it is empty or a bool field. */
const char *contact_text(const struct contact *c, enum contact_field f);

/*
 * Derive the E.164 form and validity of every phone field from its text.
 * A number written without a country code is read in the contact's country
 * when the country field names a known one (country_region), else in region
 * (an ISO 3166 code, NULL for "US"). A number that does not parse keeps its text and gets no
 * E.164 form: that is not an error. Return 0, or SYNC_EINVALID when region
 * is not supported.
 */
int contact_normalize_phones(struct contact *c, const char *region,
                             struct err *err);

/*
 * Check every field: text must be valid UTF-8 and at most the field's
 * maximum length in characters, and an email must be a well-formed address.
 * Nothing is truncated. Return 0, or SYNC_EINVALID with a message naming the
 * first bad field.
 */
int contact_validate(const struct contact *c, struct err *err);

/* As contact_validate for field f alone. */
int contact_validate_field(const struct contact *c, enum contact_field f,
                           struct err *err);

/* Normalise the phones, then validate: what a caller runs before a write. */
int contact_prepare(struct contact *c, const char *region, struct err *err);

/*
 * Return the fields whose values differ between a and b. Only text and flag
 * are compared, because the E.164 form derives from the text.
 */
uint32_t contact_diff(const struct contact *a, const struct contact *b);

/*
 * Whether a and b, which share a phone's E.164 form, may be one person.
 * With an email on both sides, the emails must be equal in ASCII letter
 * case. Otherwise the last names must be equal and the first names must
 * not differ (equal, or empty on one side), compared in ASCII letter case
 * after trimming spaces, because people at one company often share a
 * switchboard number.
 */
bool contact_phone_match_agrees(const struct contact *a,
                                const struct contact *b);

/*
 * Return the phone fields whose texts differ between a and b but whose
 * E.164 forms are equal, such as "(415) 555-0177" and "+1 415 555 0177":
 * one number written two ways. A phone without an E.164 form on either
 * side is never in the result.
 */
uint32_t contact_same_numbers(const struct contact *a, const struct contact *b);

/*
 * Copy the values of the fields in mask from src to dst, leaving the other
 * fields of dst as they are.
 */
void contact_copy_fields(struct contact *dst, const struct contact *src,
                         uint32_t mask);

/*
 * Encode the whole contact as a new JSON object: id, workspace_id, version,
 * created_at and updated_at (ISO 8601 UTC), archived, then each field under
 * its name (null when empty) and, for phones, its _e164 and _valid keys.
 * Return NULL when a value is not valid UTF-8, which contact_validate
 * rejects. The caller owns the reference.
 */
json_t *contact_to_json(const struct contact *c);

/*
 * Encode only the fields in mask, under their names, without the derived
 * phone keys: the form of a link's base. Return a new reference, or NULL as
 * contact_to_json does.
 */
json_t *contact_fields_to_json(const struct contact *c, uint32_t mask);

/*
 * Set the fields named in the JSON object obj. Text fields take a string or
 * null, bool fields true or false. The keys that contact_to_json writes
 * besides the fields (id, version, phone_e164, ...) are ignored, so its
 * output can be read back. *out_mask, when not NULL, receives the fields that
 * were set. Return 0, or SYNC_EINVALID with err naming an unknown key or a
 * value of the wrong type; on failure some fields may already be set.
 */
int contact_fields_from_json(struct contact *c, const json_t *obj,
                             uint32_t *out_mask, struct err *err);

#endif
