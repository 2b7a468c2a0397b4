#ifndef GITLAB_OIDC_AWS_CLIBCRYPTO_SHIM_H
#define GITLAB_OIDC_AWS_CLIBCRYPTO_SHIM_H

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>

/* Builds an RSA public key from big-endian modulus and exponent bytes; NULL on failure (the
   reason is on OpenSSL's error queue). Done in C because OSSL_PARAM_BLD keeps the parameter
   name pointers until OSSL_PARAM_BLD_to_param, which Swift's temporary C strings would not
   outlive. */
static inline EVP_PKEY *goa_rsa_public_key_new(const unsigned char *modulus, int modulus_length,
                                               const unsigned char *exponent, int exponent_length) {
    EVP_PKEY *key = NULL;
    BIGNUM *n = BN_bin2bn(modulus, modulus_length, NULL);
    BIGNUM *e = BN_bin2bn(exponent, exponent_length, NULL);
    OSSL_PARAM_BLD *builder = OSSL_PARAM_BLD_new();
    OSSL_PARAM *parameters = NULL;
    EVP_PKEY_CTX *context = NULL;
    if (n == NULL || e == NULL || builder == NULL) goto done;
    if (OSSL_PARAM_BLD_push_BN(builder, OSSL_PKEY_PARAM_RSA_N, n) != 1) goto done;
    if (OSSL_PARAM_BLD_push_BN(builder, OSSL_PKEY_PARAM_RSA_E, e) != 1) goto done;
    parameters = OSSL_PARAM_BLD_to_param(builder);
    if (parameters == NULL) goto done;
    context = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    if (context == NULL || EVP_PKEY_fromdata_init(context) != 1) goto done;
    if (EVP_PKEY_fromdata(context, &key, EVP_PKEY_PUBLIC_KEY, parameters) != 1) key = NULL;
done:
    EVP_PKEY_CTX_free(context);
    OSSL_PARAM_free(parameters);
    OSSL_PARAM_BLD_free(builder);
    BN_free(n);
    BN_free(e);
    return key;
}

/* SHA-256 of `length` bytes into `digest` (32 bytes); 1 on success. */
static inline int goa_sha256(const unsigned char *data, size_t length, unsigned char *digest) {
    unsigned int size = 0;
    return EVP_Digest(data, length, digest, &size, EVP_sha256(), NULL) == 1 && size == 32;
}

#endif
