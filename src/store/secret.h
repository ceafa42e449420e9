/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * Secrets at rest: libsodium's crypto_secretbox (XSalsa20-Poly1305) under
 * one 32-byte key, taken from SFSYNC_SECRET_KEY or from a key file beside
 * the database. The store uses it for the credentials table, and this
 * module does no storage itself.
 */
#ifndef SFSYNC_SECRET_H
#define SFSYNC_SECRET_H

#include <stdbool.h>
#include <stddef.h>

struct err;

#define SECRET_KEY_SIZE 32   /* crypto_secretbox_KEYBYTES */
#define SECRET_NONCE_SIZE 24 /* crypto_secretbox_NONCEBYTES */
#define SECRET_MAC_SIZE 16   /* crypto_secretbox_MACBYTES */
#define SECRET_KEY_ENV "SFSYNC_SECRET_KEY"
/* The variable that names a PostgreSQL store's key file. */
#define SECRET_KEY_FILE_ENV "SFSYNC_SECRET_KEY_FILE"

struct secret_key {
    unsigned char bytes[SECRET_KEY_SIZE];
};

/*
 * Parse a key written as 64 hex characters or as base64 (standard or
 * URL-safe alphabet, with or without padding) of exactly 32 bytes.
 * Surrounding white space is ignored. Return 0, or SYNC_EINVALID with a
 * message that never contains the text.
 */
int secret_key_parse(struct secret_key *out, const char *text,
                     struct err *err);

/*
 * Load the key: from SFSYNC_SECRET_KEY when it is set and not empty,
 * otherwise from key_path. With create set, a missing key file is created
 * mode 0600 with a random key, written as hex. Without create, a missing
 * key file is SYNC_ENOTFOUND. An existing key file with any permission bit for
 * group or others is rejected. key_path may be NULL, and then the variable
 * must be set.
 * Return 0, SYNC_ENOTFOUND, SYNC_EINVALID for a malformed key or unsafe
 * file mode, or SYNC_EIO when the file cannot be read or created.
 */
int secret_key_load(struct secret_key *out, const char *key_path,
                    bool create, struct err *err);

/* Zero the key. */
void secret_key_wipe(struct secret_key *key);

/*
 * Encrypt len bytes of plain under key with a new random nonce, written to
 * nonce. *out_cipher receives a heap buffer of *out_len = len +
 * SECRET_MAC_SIZE bytes that the caller frees with free(). Return 0, or
 * SYNC_EIO when libsodium cannot be initialised.
 */
int secret_encrypt(const struct secret_key *key, const void *plain,
                   size_t len, unsigned char nonce[SECRET_NONCE_SIZE],
                   unsigned char **out_cipher, size_t *out_len,
                   struct err *err);

/*
 * Decrypt and authenticate cipher. *out_plain receives a NUL-terminated
 * heap copy of the *out_len plaintext bytes (out_len may be NULL), which the
 * caller frees with secret_free(*out_plain, *out_len), or with free_secret
 * when the plaintext contains no NUL byte. Return 0, or SYNC_EINVALID when the
 * ciphertext does not authenticate under key, which means the key changed
 * or the ciphertext was altered.
 */
int secret_decrypt(const struct secret_key *key, const unsigned char *cipher,
                   size_t len, const unsigned char nonce[SECRET_NONCE_SIZE],
                   char **out_plain, size_t *out_len, struct err *err);

/* Zero len bytes of plain and free it; NULL is allowed. */
void secret_free(char *plain, size_t len);

#endif
