#ifndef GITLAB_OIDC_AWS_CSUPPORT_H
#define GITLAB_OIDC_AWS_CSUPPORT_H

/* The C side of gitlab-oidc-aws: the libcurl function table and its typed wrappers, jansson's
   macros as functions, and one-shot libcrypto calls. Swift code calls these and never holds a
   C function pointer. */

#include <curl/curl.h>
#include <jansson.h>
#include <stddef.h>

/* --- libcurl (curl.c) -------------------------------------------------------------------- */

/* Loads libcurl with dlopen (`soname`, found like any library) and looks up the functions the
   hook uses; 0 on success, else -1 with the loader's message in `error` (`size` bytes).
   Call once, before any other goa_curl_ function; the library stays loaded. */
int goa_curl_load(const char *soname, char *error, size_t size);

CURLcode goa_curl_global_init(long flags);
CURL *goa_curl_easy_init(void);
void goa_curl_easy_cleanup(CURL *handle);
void goa_curl_easy_reset(CURL *handle);
CURLcode goa_curl_easy_perform(CURL *handle);
const char *goa_curl_easy_strerror(CURLcode code);
struct curl_slist *goa_curl_slist_append(struct curl_slist *list, const char *text);
void goa_curl_slist_free_all(struct curl_slist *list);

/* curl_easy_setopt and curl_easy_getinfo are variadic: one wrapper per argument type. */
CURLcode goa_curl_setopt_long(CURL *handle, CURLoption option, long value);
CURLcode goa_curl_setopt_string(CURL *handle, CURLoption option, const char *value);
CURLcode goa_curl_setopt_pointer(CURL *handle, CURLoption option, void *value);
/* A blob option (e.g. CURLOPT_CAINFO_BLOB); libcurl keeps its own copy of the bytes. */
CURLcode goa_curl_setopt_blob(CURL *handle, CURLoption option, const void *data, size_t length);
CURLcode goa_curl_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value);
typedef size_t (*goa_curl_write_callback)(char *data, size_t size, size_t count, void *context);
CURLcode goa_curl_setopt_write_function(CURL *handle, goa_curl_write_callback callback);
/* CURLOPT_HEADERFUNCTION: gets each header line of the answer (the status line included). */
CURLcode goa_curl_setopt_header_function(CURL *handle, goa_curl_write_callback callback);
CURLcode goa_curl_getinfo_long(CURL *handle, CURLINFO info, long *value);
CURLcode goa_curl_getinfo_double(CURL *handle, CURLINFO info, double *value);
/* A string the handle owns (e.g. CURLINFO_CAINFO); NULL when libcurl has none or does not know
   `info`. Valid until the handle is reset or cleaned up. */
const char *goa_curl_getinfo_string(CURL *handle, CURLINFO info);

/* --- jansson (json.c) -------------------------------------------------------------------- */

void goa_json_decref(json_t *json);
json_type goa_json_typeof(const json_t *json);
/* json_object_foreach is a macro: walk an object with an explicit iterator instead. */
void *goa_json_object_iter(json_t *object);
void *goa_json_object_iter_next(json_t *object, void *iter);
const char *goa_json_object_iter_key(void *iter);
size_t goa_json_object_iter_key_len(void *iter);
json_t *goa_json_object_iter_value(void *iter);
/* JSON_INDENT is a macro that Swift does not import. */
size_t goa_json_flags_indent(int spaces);

/* --- libcrypto (crypto.c) ---------------------------------------------------------------- */

/* An RSA public key (OpenSSL's RSA, opaque here). */
typedef struct goa_rsa_key goa_rsa_key;

/* Builds an RSA public key from big-endian modulus and exponent bytes; NULL on failure (the
   reason is on OpenSSL's error queue). Free it with goa_rsa_public_key_free. */
goa_rsa_key *goa_rsa_public_key_new(const unsigned char *modulus, size_t modulus_length,
                                    const unsigned char *exponent, size_t exponent_length);
void goa_rsa_public_key_free(goa_rsa_key *key);

/* Whether `signature` is a valid RSASSA-PKCS1-v1_5 signature of `message` under `key` with
   SHA-256, SHA-384 or SHA-512 (`bits`): 1 if it is, 0 otherwise. */
int goa_rsa_verify_pkcs1(goa_rsa_key *key, int bits, const unsigned char *message, size_t message_length,
                         const unsigned char *signature, size_t signature_length);

/* SHA-256, SHA-384 or SHA-512 (`bits`) of `length` bytes into `digest` (room for bits / 8
   bytes); the digest's length, or 0 for any other `bits`. */
unsigned int goa_sha2(int bits, const unsigned char *data, size_t length, unsigned char *digest);

/* HMAC-SHA256 of `length` bytes with `key` into `mac` (32 bytes); 1 on success. */
int goa_hmac_sha256(const unsigned char *key, size_t key_length, const unsigned char *data, size_t length,
                    unsigned char *mac);

/* The newest error on OpenSSL's queue as text in `buffer` (`size` bytes), then clears the
   queue; 0 when the queue was empty. */
unsigned long goa_crypto_last_error(char *buffer, size_t size);

/* --- process start-up (process.c) -------------------------------------------------------- */

/* A constructor hands argc and argv to the Swift runtime (which otherwise reads them from
   /proc) and, in the container bundle, keeps the job image's name-service modules and OpenSSL
   configuration out. goa_bundle_root is the bundle's folder when this process runs from the
   container bundle (its C library was loaded from BUNDLE/lib, next to BUNDLE/lib/gitlab-oidc-aws),
   else NULL: no environment variable decides it. */
const char *goa_bundle_root(void);

#endif
