/* The hook checks one token signature per process. Through OpenSSL 3's EVP interface that
   first activates the default provider and fills its algorithm stores: about 1 ms per job,
   far more than the check itself. RSA_verify runs the same code directly (the provider's RSA
   signature implementation calls it as well). It is deprecated in OpenSSL 3 but part of every
   3.x release; a libcrypto without it fails the build, not a token. */
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

unsigned int goa_sha2(int bits, const unsigned char *data, size_t length, unsigned char *digest) {
    switch (bits) {
    case 256: return SHA256(data, length, digest) != NULL ? SHA256_DIGEST_LENGTH : 0;
    case 384: return SHA384(data, length, digest) != NULL ? SHA384_DIGEST_LENGTH : 0;
    case 512: return SHA512(data, length, digest) != NULL ? SHA512_DIGEST_LENGTH : 0;
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
