/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * A hash map from NUL-terminated string keys to pointers, open addressing
 * with linear probing. Keys are borrowed: the caller keeps each key alive
 * while it is in the map (usually it lives in the value).
 */
#ifndef SFSYNC_HMAP_H
#define SFSYNC_HMAP_H

#include <stdbool.h>
#include <stddef.h>

struct hmap_slot {
    const char *key; /* NULL for an empty slot */
    void *value;
    size_t hash;
};

struct hmap {
    struct hmap_slot *slots;
    size_t cap;   /* a power of two, or 0 */
    size_t count; /* live entries */
    size_t used;  /* live entries plus tombstones */
    bool nocase;  /* compare keys ignoring ASCII case */
};

void hmap_init(struct hmap *m, bool nocase);

/* Free the table; keys and values belong to the caller. */
void hmap_release(struct hmap *m);

/* The value stored under key, or NULL. */
void *hmap_get(const struct hmap *m, const char *key);

/* Store value under key, replacing and returning any previous value. */
void *hmap_put(struct hmap *m, const char *key, void *value);

/* Remove key and return its value, or NULL when it was absent. */
void *hmap_remove(struct hmap *m, const char *key);

#endif
