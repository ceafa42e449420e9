/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * The mapping between local contact fields and the fields of Salesforce
 * Contact and Lead records: one table of rows, each with the directions its
 * value may flow, plus custom rows (Foo__c) added at run time. The helpers
 * turn REST query records into contact values and contact values into
 * request payloads. They do no HTTP, which is the salesforce layer's work.
 */
#ifndef SFSYNC_MAPPING_H
#define SFSYNC_MAPPING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "contact.h"

struct err;

enum sf_object { SF_OBJECT_CONTACT, SF_OBJECT_LEAD, SF_OBJECT_COUNT };

enum mapping_flags {
    /* Local changes are sent to the Salesforce field. */
    MAPPING_TO_SF = 1 << 0,
    /* Values read from Salesforce are written to the local field. */
    MAPPING_FROM_SF = 1 << 1,
    /* The Salesforce value belongs to a related record (a Contact's
     * company is its Account's Name). mapping_to_payload leaves it out;
     * with MAPPING_TO_SF the push writes it the way Salesforce needs,
     * through the related record's id (AccountId). */
    MAPPING_DERIVED = 1 << 2,
    /* Added with mapping_add_custom; the row owns its sf_field string. */
    MAPPING_CUSTOM = 1 << 3,
    /* Salesforce rejects null here and defaults the field on create, so an
     * empty local value is left out of payloads instead of sent as null. */
    MAPPING_NOT_NILLABLE = 1 << 4,
    /* The Salesforce field contains a record id (OwnerId). */
    MAPPING_REFERENCE = 1 << 5
};

struct mapping_row {
    enum contact_field field;
    enum sf_object object;
    const char *sf_field; /* "FirstName", "Account.Name", "Foo__c" */
    unsigned flags;       /* enum mapping_flags */
};

/* The rows in force for one workspace: the default table and its custom
 * rows. */
struct mapping {
    struct mapping_row *rows;
    size_t count;
    size_t cap;
};

/* The built-in rows, the same for every org. */
extern const struct mapping_row mapping_default_rows[];
extern const size_t mapping_default_count;

/* Set up m with a copy of the default rows. */
void mapping_init(struct mapping *m);

/* Free the rows and their custom field names. */
void mapping_release(struct mapping *m);

/* Return "Contact" or "Lead". */
const char *mapping_object_name(enum sf_object object);

/*
 * Return the object named name, in any letter case, or -1 when it is
 * neither Contact nor Lead.
 */
int mapping_object_parse(const char *name);

/*
 * Add a row mapping the custom Salesforce field sf_field (a name ending in
 * "__c", with an optional namespace prefix) of object to the local field.
 * directions is MAPPING_TO_SF, MAPPING_FROM_SF or both. The row replaces the
 * one that mapped the same local field for that object, if any, so a
 * Contact's company can come from Company__c instead of Account.Name.
 * sf_field is copied. Return 0, or SYNC_EINVALID with err filled when the
 * name is not a custom field name, the directions are empty, or sf_field is
 * already mapped to another local field of that object.
 */
int mapping_add_custom(struct mapping *m, enum sf_object object,
                       const char *sf_field, enum contact_field field,
                       unsigned directions, struct err *err);

/*
 * Return the row that maps field for object, or NULL when the field does
 * not sync with that object. The row is borrowed from m and valid until m
 * changes.
 */
const struct mapping_row *mapping_find(const struct mapping *m,
                                       enum sf_object object,
                                       enum contact_field field);

/*
 * Return the local fields that object's rows map in the given direction
 * (MAPPING_TO_SF or MAPPING_FROM_SF), as a field mask.
 */
uint32_t mapping_fields(const struct mapping *m, enum sf_object object,
                        unsigned direction);

/*
 * Return the Salesforce fields read from object, comma-separated for a SOQL
 * SELECT ("FirstName, LastName, ..., Account.Name"). The caller adds the
 * fields the sync itself needs (Id, SystemModstamp, ...) and frees the
 * string.
 */
char *mapping_soql_fields(const struct mapping *m, enum sf_object object);

/*
 * Set the local fields of out from a record of object as REST query returns
 * it, reading each row that flows from Salesforce. A relationship path
 * (Account.Name) reads the nested object, and an empty lookup (a null
 * Account) makes the field empty. A row whose field is missing from the
 * record is skipped. Field names match in any letter case, because
 * Salesforce treats them so. *out_mask, when not NULL, receives the fields
 * that were set. The values are not validated, and phones are not
 * normalised: run contact_prepare next. Return 0, or SYNC_EINVALID when a
 * value has a type the field cannot hold.
 */
int mapping_from_record(const struct mapping *m, enum sf_object object,
                        const json_t *record, struct contact *out,
                        uint32_t *out_mask, struct err *err);

/* Set the local fields of out as mapping_from_record does, reading only
 * the rows whose field bit (CONTACT_FIELD_BIT) is in fields. */
int mapping_from_record_fields(const struct mapping *m, enum sf_object object,
                               const json_t *record, uint32_t fields,
                               struct contact *out, uint32_t *out_mask,
                               struct err *err);

/*
 * Build the JSON body that sends the fields in mask of c to object: one key
 * per row that flows to Salesforce, empty text as null except for fields
 * that are not nillable, which are left out. Fields in mask that do not flow
 * to object are left out. Return a new reference, or NULL with
 * SYNC_EINVALID when a value is not valid UTF-8 or a reference field (owner)
 * holds something other than a Salesforce id.
 */
json_t *mapping_to_payload(const struct mapping *m, enum sf_object object,
                           const struct contact *c, uint32_t mask,
                           struct err *err);

#endif
