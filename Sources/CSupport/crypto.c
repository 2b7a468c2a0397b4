/* The hook checks one token signature per process. Through OpenSSL 3's EVP interface that
   first activates the default provider and fills its algorithm stores: 3.5 million
   instructions, about 1 ms per job, far more than the check itself. The one-shot SHA256() of
   OpenSSL 3 goes through EVP too (EVP_Q_digest), so the digests here use the SHA-2 functions
   directly, and RSA_verify runs the provider's own RSA code without it. They are deprecated in
   OpenSSL 3 but part of every 3.x release; a libcrypto without them fails the build, not a
   token. HMAC (SigV4 for role chaining and audit only) does go through EVP. */
#define OPENSSL_SUPPRESS_DEPRECATED

#include "CSupport.h"

#include <limits.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/obj_mac.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>

goa_rsa_key *goa_rsa_public_key_new(const unsigned char *modulus, size_t modulus_length,
                                    const unsigned char *exponent, size_t exponent_length) {
    if (modulus_length > INT_MAX || exponent_length > INT_MAX) return NULL;
    BIGNUM *n = BN_bin2bn(modulus, (int)modulus_length, NULL);
    BIGNUM *e = BN_bin2bn(exponent, (int)exponent_length, NULL);
    RSA *key = RSA_new();
    if (n == NULL || e == NULL || key == NULL || RSA_set0_key(key, n, e, NULL) != 1) {
        BN_free(n);
        BN_free(e);
        RSA_free(key);
        return NULL;
    }
    return (goa_rsa_key *)key; /* owns n and e now */
}

void goa_rsa_public_key_free(goa_rsa_key *key) { RSA_free((RSA *)key); }

/* One digest of `length` bytes with a SHA-2 variant's init/update/final functions. */
#define GOA_DIGEST(context_type, init, update, final, digest_length)                                   \
    do {                                                                                               \
        context_type context;                                                                          \
        return init(&context) == 1 && update(&context, data, length) == 1 && final(digest, &context) == 1 \
                   ? digest_length                                                                     \
                   : 0;                                                                                \
    } while (0)

unsigned int goa_sha2(int bits, const unsigned char *data, size_t length, unsigned char *digest) {
    switch (bits) {
    case 256: GOA_DIGEST(SHA256_CTX, SHA256_Init, SHA256_Update, SHA256_Final, SHA256_DIGEST_LENGTH);
    case 384: GOA_DIGEST(SHA512_CTX, SHA384_Init, SHA384_Update, SHA384_Final, SHA384_DIGEST_LENGTH);
    case 512: GOA_DIGEST(SHA512_CTX, SHA512_Init, SHA512_Update, SHA512_Final, SHA512_DIGEST_LENGTH);
    default: return 0;
    }
}

int goa_rsa_verify_pkcs1(goa_rsa_key *key, int bits, const unsigned char *message, size_t message_length,
                         const unsigned char *signature, size_t signature_length) {
    unsigned char digest[SHA512_DIGEST_LENGTH];
    unsigned int digest_length = goa_sha2(bits, message, message_length, digest);
    int type = bits == 256 ? NID_sha256 : bits == 384 ? NID_sha384 : NID_sha512;
    /* RSA_verify refuses a signature whose length is not the modulus length. */
    if (digest_length == 0 || signature_length > UINT_MAX) return 0;
    int valid = RSA_verify(type, digest, digest_length, signature, (unsigned int)signature_length, (RSA *)key) == 1;
    ERR_clear_error(); /* a refused signature leaves its reason on the queue */
    return valid;
}

int goa_hmac_sha256(const unsigned char *key, size_t key_length, const unsigned char *data, size_t length,
                    unsigned char *mac) {
    unsigned int mac_length = 0;
    if (key_length > INT_MAX) return 0;
    return HMAC(EVP_sha256(), key, (int)key_length, data, length, mac, &mac_length) != NULL &&
           mac_length == SHA256_DIGEST_LENGTH;
}

unsigned long goa_crypto_last_error(char *buffer, size_t size) {
    unsigned long code = ERR_get_error();
    ERR_clear_error();
    if (code != 0 && size > 0) ERR_error_string_n(code, buffer, size);
    return code;
}
