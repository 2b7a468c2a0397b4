#ifndef GITLAB_OIDC_AWS_CLIBCRYPTO_SHIM_H
#define GITLAB_OIDC_AWS_CLIBCRYPTO_SHIM_H

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>

/* EVP_PKEY_PUBLIC_KEY is a composite macro that Swift does not import. */
static inline int goa_evp_pkey_public_key_selection(void) { return EVP_PKEY_PUBLIC_KEY; }

#endif
