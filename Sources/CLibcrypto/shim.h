#ifndef GITLAB_OIDC_AWS_CLIBCRYPTO_SHIM_H
#define GITLAB_OIDC_AWS_CLIBCRYPTO_SHIM_H

/* The hook checks one token signature per process. Through OpenSSL 3's EVP interface that
   first activates the default provider and fills its algorithm stores: about 1 ms per job,
   far more than the check itself. The RSA and SHA-2 functions used here run the same code
   directly (the provider's RSA signature implementation calls RSA_verify as well). They are
   deprecated in OpenSSL 3 but part of every 3.x release; a libcrypto without them fails the
   build, not a token. */
#define OPENSSL_SUPPRESS_DEPRECATED

#include <limits.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>

/* Builds an RSA public key from big-endian modulus and exponent bytes; NULL on failure (the
   reason is on OpenSSL's error queue). Free it with goa_rsa_public_key_free. */
static inline RSA *goa_rsa_public_key_new(const unsigned char *modulus, int modulus_length,
                                          const unsigned char *exponent, int exponent_length) {
    BIGNUM *n = BN_bin2bn(modulus, modulus_length, NULL);
    BIGNUM *e = BN_bin2bn(exponent, exponent_length, NULL);
    RSA *key = RSA_new();
    if (n == NULL || e == NULL || key == NULL || RSA_set0_key(key, n, e, NULL) != 1) {
        BN_free(n);
        BN_free(e);
        RSA_free(key);
        return NULL;
    }
    return key; /* owns n and e now */
}

static inline void goa_rsa_public_key_free(RSA *key) { RSA_free(key); }

/* SHA-256, SHA-384 or SHA-512 (`bits`) of `length` bytes into `digest` (room for bits / 8
   bytes); the digest's length, or 0 on failure. */
static inline unsigned int goa_sha2(int bits, const unsigned char *data, size_t length, unsigned char *digest) {
    switch (bits) {
    case 256: {
        SHA256_CTX context;
        if (SHA256_Init(&context) != 1 || SHA256_Update(&context, data, length) != 1 ||
            SHA256_Final(digest, &context) != 1)
            return 0;
        return SHA256_DIGEST_LENGTH;
    }
    case 384: {
        SHA512_CTX context;
        if (SHA384_Init(&context) != 1 || SHA384_Update(&context, data, length) != 1 ||
            SHA384_Final(digest, &context) != 1)
            return 0;
        return SHA384_DIGEST_LENGTH;
    }
    case 512: {
        SHA512_CTX context;
        if (SHA512_Init(&context) != 1 || SHA512_Update(&context, data, length) != 1 ||
            SHA512_Final(digest, &context) != 1)
            return 0;
        return SHA512_DIGEST_LENGTH;
    }
    default:
        return 0;
    }
}

/* Whether `signature` is a valid RSASSA-PKCS1-v1_5 signature of `message` under `key`, with
   SHA-256, SHA-384 or SHA-512 (`bits`); 1 if it is. RSA_verify refuses a signature whose
   length is not the modulus length. */
static inline int goa_rsa_verify_pkcs1(RSA *key, int bits, const unsigned char *message, size_t message_length,
                                       const unsigned char *signature, size_t signature_length) {
    unsigned char digest[SHA512_DIGEST_LENGTH];
    unsigned int digest_length = goa_sha2(bits, message, message_length, digest);
    int type = bits == 256 ? NID_sha256 : bits == 384 ? NID_sha384 : NID_sha512;
    if (digest_length == 0 || signature_length > UINT_MAX) return 0;
    return RSA_verify(type, digest, digest_length, signature, (unsigned int)signature_length, key) == 1;
}

/* SHA-256 of `length` bytes into `digest` (32 bytes); 1 on success. */
static inline int goa_sha256(const unsigned char *data, size_t length, unsigned char *digest) {
    return goa_sha2(256, data, length, digest) == SHA256_DIGEST_LENGTH;
}

#endif
