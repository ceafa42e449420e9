/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * The backend-neutral half of pending OAuth sign-in attempts: argument
 * checks, and the encryption of the PKCE verifier and the client secret
 * under the key of the stored credentials.
 */
#include "base/common.h"

#include "store.h"

#include "secret.h"
#include "store_int.h"

static int check_text(const char *field, const char *value, struct err *err)
{
    if (!value || !*value)
        return err_set(err, SYNC_EINVALID, "OAuth attempt has an empty %s",
                       field);
    return 0;
}

int store_oauth_attempt_add(struct store *s,
                            const struct store_oauth_attempt *a, size_t keep,
                            struct err *err)
{
    unsigned char nonce[SECRET_NONCE_SIZE];
    unsigned char *cipher = NULL;
    size_t verifier_len, secret_len, plain_len, cipher_len;
    char *plain = NULL;
    int rc;

    if ((rc = check_text("state hash", a->state_hash, err)) < 0 ||
        (rc = check_text("login URL", a->login_url, err)) < 0 ||
        (rc = check_text("client id", a->client_id, err)) < 0 ||
        (rc = check_text("redirect URI", a->redirect_uri, err)) < 0 ||
        (rc = check_text("verifier", a->verifier, err)) < 0)
        return rc;
    if ((rc = store__ensure_key(s, err)) < 0)
        return rc;
    /* One ciphertext contains both secrets: the verifier, a NUL byte, then
     * the client secret (empty when none). */
    verifier_len = strlen(a->verifier);
    secret_len = a->client_secret ? strlen(a->client_secret) : 0;
    plain_len = verifier_len + 1 + secret_len;
    plain = xmalloc(plain_len);
    memcpy(plain, a->verifier, verifier_len);
    plain[verifier_len] = '\0';
    if (secret_len)
        memcpy(plain + verifier_len + 1, a->client_secret, secret_len);
    rc = secret_encrypt(&s->key, plain, plain_len, nonce, &cipher, &cipher_len,
                        err);
    secret_free(plain, plain_len);
    if (rc == 0)
        rc = s->ops->oauth_attempt_add(s, a, cipher, cipher_len, nonce, keep,
                                       err);
    free(cipher);
    return rc;
}

/* Split the decrypted verifier and client secret into out. */
static int unpack_secrets(char *plain, size_t len,
                          struct store_oauth_attempt *out, struct err *err)
{
    size_t verifier_len = strnlen(plain, len);

    if (verifier_len == 0 || verifier_len == len)
        return err_set(err, SYNC_EINVALID,
                       "stored OAuth attempt is malformed: press Connect "
                       "again");
    out->verifier = xstrdup(plain);
    if (len > verifier_len + 1)
        out->client_secret = xstrdup(plain + verifier_len + 1);
    return 0;
}

int store_oauth_attempt_take(struct store *s, int64_t workspace_id,
                             const char *state_hash,
                             struct store_oauth_attempt *out, struct err *err)
{
    unsigned char nonce[SECRET_NONCE_SIZE];
    unsigned char *cipher = NULL;
    size_t cipher_len = 0, plain_len = 0;
    char *plain = NULL;
    int rc;

    memset(out, 0, sizeof(*out));
    if ((rc = check_text("state hash", state_hash, err)) < 0)
        return rc;
    if ((rc = store__ensure_key(s, err)) < 0)
        return rc;
    rc = s->ops->oauth_attempt_take(s, workspace_id, state_hash, out, &cipher,
                                    &cipher_len, nonce, err);
    if (rc == 0)
        rc = secret_decrypt(&s->key, cipher, cipher_len, nonce, &plain,
                            &plain_len, err);
    if (rc == 0)
        rc = unpack_secrets(plain, plain_len, out, err);
    if (plain)
        secret_free(plain, plain_len);
    free(cipher);
    if (rc < 0)
        store_oauth_attempt_release(out);
    return rc;
}

int store_oauth_attempt_delete_expired(struct store *s, int64_t workspace_id,
                                       int64_t before_ms, int64_t *out_count,
                                       struct err *err)
{
    int64_t count = 0;
    int rc;

    rc = s->ops->oauth_attempt_delete_expired(s, workspace_id, before_ms,
                                              &count, err);
    if (out_count)
        *out_count = count;
    return rc;
}

int store_oauth_attempt_workspace(struct store *s, const char *state_hash,
                                  int64_t *out_workspace_id, struct err *err)
{
    if (!state_hash || !*state_hash)
        return err_set(err, SYNC_ENOTFOUND, "OAuth attempt not found");
    return s->ops->oauth_attempt_workspace(s, state_hash, out_workspace_id,
                                           err);
}

void store_oauth_attempt_release(struct store_oauth_attempt *a)
{
    free(a->state_hash);
    free(a->login_url);
    free(a->client_id);
    free(a->redirect_uri);
    free_secret(a->verifier);
    free_secret(a->client_secret);
    memset(a, 0, sizeof(*a));
}
