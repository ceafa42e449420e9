/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/* String-keyed open-addressing hash map. */
#include "common.h"

#include <strings.h>

#include "hmap.h"

/* A removed entry keeps its slot so that probe chains stay intact. */
static const char tombstone[1];

static size_t hash_key(const char *s, bool nocase)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */

    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;

        if (nocase && c >= 'A' && c <= 'Z')
            c = (unsigned char)(c + 32);
        h ^= c;
        h *= 1099511628211ULL;
    }
    return (size_t)h;
}

static bool key_equal(const char *a, const char *b, bool nocase)
{
    return nocase ? strcasecmp(a, b) == 0 : strcmp(a, b) == 0;
}

void hmap_init(struct hmap *m, bool nocase)
{
    memset(m, 0, sizeof(*m));
    m->nocase = nocase;
}

void hmap_release(struct hmap *m)
{
    free(m->slots);
    hmap_init(m, m->nocase);
}

static struct hmap_slot *find(const struct hmap *m, const char *key,
                              size_t hash)
{
    size_t mask = m->cap - 1;

    for (size_t i = hash & mask;; i = (i + 1) & mask) {
        struct hmap_slot *s = &m->slots[i];

        if (!s->key)
            return NULL;
        if (s->key != tombstone && s->hash == hash &&
            key_equal(s->key, key, m->nocase))
            return s;
    }
}

static void resize(struct hmap *m, size_t cap)
{
    struct hmap_slot *old = m->slots;
    size_t oldcap = m->cap;

    m->slots = xcalloc(cap, sizeof(*m->slots));
    m->cap = cap;
    m->used = m->count;
    for (size_t i = 0; i < oldcap; i++) {
        size_t j;

        if (!old[i].key || old[i].key == tombstone)
            continue;
        j = old[i].hash & (cap - 1);
        while (m->slots[j].key)
            j = (j + 1) & (cap - 1);
        m->slots[j] = old[i];
    }
    free(old);
}

void *hmap_get(const struct hmap *m, const char *key)
{
    struct hmap_slot *s;

    if (!m->cap)
        return NULL;
    s = find(m, key, hash_key(key, m->nocase));
    return s ? s->value : NULL;
}

void *hmap_put(struct hmap *m, const char *key, void *value)
{
    size_t hash = hash_key(key, m->nocase);
    struct hmap_slot *s;
    size_t mask, i;

    if (m->cap) {
        s = find(m, key, hash);
        if (s) {
            void *old = s->value;

            s->value = value;
            s->key = key;
            return old;
        }
    }
    if ((m->used + 1) * 4 >= m->cap * 3)
        resize(m, m->cap ? (m->count * 2 >= m->cap ? m->cap * 2 : m->cap)
                         : 16);
    mask = m->cap - 1;
    for (i = hash & mask; m->slots[i].key && m->slots[i].key != tombstone;
         i = (i + 1) & mask)
        ;
    if (!m->slots[i].key)
        m->used++;
    m->slots[i].key = key;
    m->slots[i].value = value;
    m->slots[i].hash = hash;
    m->count++;
    return NULL;
}

void *hmap_remove(struct hmap *m, const char *key)
{
    struct hmap_slot *s;
    void *value;

    if (!m->cap)
        return NULL;
    s = find(m, key, hash_key(key, m->nocase));
    if (!s)
        return NULL;
    value = s->value;
    s->key = tombstone;
    s->value = NULL;
    m->count--;
    return value;
}
