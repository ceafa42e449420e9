/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * JSON Web Tokens as the JWT bearer grant sends them: base64url coding,
 * splitting an assertion into header, claims and signature, and checking an
 * RS256 signature with OpenSSL. The claims are judged by oauth.c.
 */
#include "base/common.h"

#include "oauth.h"

#include <openssl/bio.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

char *sim_jwt_b64url_encode(const unsigned char *data, size_t len)
{
    char *out = xmalloc(4 * ((len + 2) / 3) + 1);
    int n = EVP_EncodeBlock((unsigned char *)out, data, (int)len);

    while (n > 0 && out[n - 1] == '=')
        n--;
    out[n] = '\0';
    for (char *p = out; *p; p++) {
        if (*p == '+')
            *p = '-';
        else if (*p == '/')
            *p = '_';
    }
    return out;
}

unsigned char *sim_jwt_b64url_decode(const char *text, size_t len,
                                     size_t *out_len)
{
    size_t pad, padded;
    char *std;
    unsigned char *out;
    int n;

    while (len > 0 && text[len - 1] == '=')
        len--;
    if (len % 4 == 1)
        return NULL;
    pad = (4 - len % 4) % 4;
    padded = len + pad;
    std = xmalloc(padded + 1);
    for (size_t i = 0; i < len; i++) {
        char c = text[i];

        if (c == '-')
            c = '+';
        else if (c == '_')
            c = '/';
        else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                   (c >= '0' && c <= '9'))) {
            free(std);
            return NULL;
        }
        std[i] = c;
    }
    memset(std + len, '=', pad);
    std[padded] = '\0';

    /* EVP_DecodeBlock counts the zero bytes that the padding stands for. */
    out = xmalloc(padded / 4 * 3 + 1);
    n = EVP_DecodeBlock(out, (unsigned char *)std, (int)padded);
    free(std);
    if (n < 0 || (size_t)n < pad) {
        free(out);
        return NULL;
    }
    *out_len = (size_t)n - pad;
    out[*out_len] = '\0';
    return out;
}

/* Decode one base64url part of a JWT as a JSON object, or return NULL. */
static json_t *decode_json_part(const char *text, size_t len)
{
    size_t raw_len;
    unsigned char *raw = sim_jwt_b64url_decode(text, len, &raw_len);
    json_t *value;

    if (!raw)
        return NULL;
    value =
        json_loadb((const char *)raw, raw_len, JSON_REJECT_DUPLICATES, NULL);
    free(raw);
    if (value && !json_is_object(value)) {
        json_decref(value);
        return NULL;
    }
    return value;
}

void sim_jwt_release(struct sim_jwt *jwt)
{
    json_decref(jwt->header);
    json_decref(jwt->claims);
    free(jwt->signature);
    free(jwt->signing_input);
    memset(jwt, 0, sizeof(*jwt));
}

int sim_jwt_parse(struct sim_jwt *out, const char *assertion, struct err *err)
{
    const char *dot1, *dot2;

    memset(out, 0, sizeof(*out));
    dot1 = strchr(assertion, '.');
    dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
    if (!dot2 || strchr(dot2 + 1, '.'))
        return err_set(err, SYNC_EINVALID,
                       "assertion is not three base64url parts separated "
                       "by '.'");

    out->header = decode_json_part(assertion, (size_t)(dot1 - assertion));
    if (!out->header) {
        sim_jwt_release(out);
        return err_set(err, SYNC_EINVALID,
                       "assertion header is not a base64url-encoded JSON "
                       "object");
    }
    out->claims = decode_json_part(dot1 + 1, (size_t)(dot2 - dot1 - 1));
    if (!out->claims) {
        sim_jwt_release(out);
        return err_set(err, SYNC_EINVALID,
                       "assertion claims are not a base64url-encoded JSON "
                       "object");
    }
    out->signature =
        sim_jwt_b64url_decode(dot2 + 1, strlen(dot2 + 1), &out->signature_len);
    if (!out->signature) {
        sim_jwt_release(out);
        return err_set(err, SYNC_EINVALID,
                       "assertion signature is not base64url");
    }
    out->signing_input = xstrndup(assertion, (size_t)(dot2 - assertion));
    return 0;
}

/*
 * Read a public key from PEM text: a SubjectPublicKeyInfo or PKCS#1 key
 * through the OpenSSL decoders, else the key of an X.509 certificate (what
 * Salesforce's connected-app form takes). Returns NULL when neither works.
 */
static EVP_PKEY *load_public_key(const char *pem)
{
    EVP_PKEY *pkey = NULL;
    OSSL_DECODER_CTX *dctx;
    const unsigned char *data = (const unsigned char *)pem;
    size_t len = strlen(pem);
    BIO *bio;
    X509 *cert;

    dctx = OSSL_DECODER_CTX_new_for_pkey(&pkey, "PEM", NULL, "RSA",
                                         EVP_PKEY_PUBLIC_KEY, NULL, NULL);
    if (dctx && OSSL_DECODER_from_data(dctx, &data, &len) == 1 && pkey) {
        OSSL_DECODER_CTX_free(dctx);
        return pkey;
    }
    OSSL_DECODER_CTX_free(dctx);
    EVP_PKEY_free(pkey);
    pkey = NULL;

    bio = BIO_new_mem_buf(pem, -1);
    if (!bio)
        return NULL;
    cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    BIO_free(bio);
    if (!cert)
        return NULL;
    pkey = X509_get_pubkey(cert);
    X509_free(cert);
    return pkey;
}

int sim_jwt_check_key(const char *pem, struct err *err)
{
    EVP_PKEY *pkey = load_public_key(pem);
    int rc = 0;

    if (!pkey)
        rc = err_set(err, SYNC_EINVALID,
                     "no PEM public key or certificate that OpenSSL can read "
                     "was found; give a PUBLIC KEY, RSA PUBLIC KEY or "
                     "CERTIFICATE block");
    else if (!EVP_PKEY_is_a(pkey, "RSA"))
        rc = err_set(err, SYNC_EINVALID,
                     "the key is not an RSA key, and the JWT bearer grant "
                     "takes RS256 signatures only");
    ERR_clear_error();
    EVP_PKEY_free(pkey);
    return rc;
}

int sim_jwt_verify_rs256(const struct sim_jwt *jwt, const char *pem,
                         struct err *err)
{
    const char *alg = json_string_value(json_object_get(jwt->header, "alg"));
    EVP_PKEY *pkey = NULL;
    EVP_MD_CTX *md = NULL;
    int rc = 0;

    if (!alg || strcmp(alg, "RS256") != 0) {
        rc = err_set(err, SYNC_EINVALID,
                     "unsupported JWT algorithm '%s': only RS256 is accepted",
                     alg ? alg : "(none)");
        goto out;
    }
    pkey = load_public_key(pem);
    if (!pkey) {
        rc = err_set(err, SYNC_EINVALID,
                     "cannot read the JWT public key: give a PEM public key "
                     "or certificate");
        goto out;
    }
    if (!EVP_PKEY_is_a(pkey, "RSA")) {
        rc =
            err_set(err, SYNC_EINVALID, "the JWT public key is not an RSA key");
        goto out;
    }
    md = EVP_MD_CTX_new();
    if (!md || EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pkey) != 1 ||
        EVP_DigestVerify(md, jwt->signature, jwt->signature_len,
                         (const unsigned char *)jwt->signing_input,
                         strlen(jwt->signing_input)) != 1) {
        rc = err_set(err, SYNC_EINVALID,
                     "JWT signature does not verify with the configured "
                     "public key");
        goto out;
    }

out:
    /* Failed decoder and verify attempts leave entries on this thread's
     * OpenSSL error queue; clear them so that they never pile up. */
    ERR_clear_error();
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(pkey);
    return rc;
}
