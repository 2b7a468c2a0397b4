#include "CSupport.h"

#include <dlfcn.h>
#include <stdio.h>

/* libcurl is loaded with dlopen on the first request, not linked: loading it and the thirty
   libraries it depends on costs more than half of a hook run that has nothing to exchange
   (a job without an ID token). These are the functions the hook uses, found with dlsym. */
static struct {
    CURLcode (*global_init)(long flags);
    CURL *(*easy_init)(void);
    void (*easy_cleanup)(CURL *handle);
    void (*easy_reset)(CURL *handle);
    CURLcode (*easy_perform)(CURL *handle);
    const char *(*easy_strerror)(CURLcode code);
    CURLcode (*easy_setopt)(CURL *handle, CURLoption option, ...);
    CURLcode (*easy_getinfo)(CURL *handle, CURLINFO info, ...);
    struct curl_slist *(*slist_append)(struct curl_slist *list, const char *text);
    void (*slist_free_all)(struct curl_slist *list);
} api;

int goa_curl_load(const char *soname, char *error, size_t size) {
    void *library = dlopen(soname, RTLD_LAZY | RTLD_LOCAL);
    const char *missing = NULL;
    if (library == NULL) {
        const char *reason = dlerror();
        snprintf(error, size, "%s", reason != NULL ? reason : "dlopen failed");
        return -1;
    }
#define GOA_CURL_SYMBOL(field, name)                                                                  \
    if ((*(void **)&api.field = dlsym(library, name)) == NULL && missing == NULL) missing = name;
    GOA_CURL_SYMBOL(global_init, "curl_global_init")
    GOA_CURL_SYMBOL(easy_init, "curl_easy_init")
    GOA_CURL_SYMBOL(easy_cleanup, "curl_easy_cleanup")
    GOA_CURL_SYMBOL(easy_reset, "curl_easy_reset")
    GOA_CURL_SYMBOL(easy_perform, "curl_easy_perform")
    GOA_CURL_SYMBOL(easy_strerror, "curl_easy_strerror")
    GOA_CURL_SYMBOL(easy_setopt, "curl_easy_setopt")
    GOA_CURL_SYMBOL(easy_getinfo, "curl_easy_getinfo")
    GOA_CURL_SYMBOL(slist_append, "curl_slist_append")
    GOA_CURL_SYMBOL(slist_free_all, "curl_slist_free_all")
#undef GOA_CURL_SYMBOL
    if (missing != NULL) {
        snprintf(error, size, "%s has no function %s", soname, missing);
        dlclose(library);
        return -1;
    }
    return 0;
}

CURLcode goa_curl_global_init(long flags) { return api.global_init(flags); }
CURL *goa_curl_easy_init(void) { return api.easy_init(); }
void goa_curl_easy_cleanup(CURL *handle) { api.easy_cleanup(handle); }
void goa_curl_easy_reset(CURL *handle) { api.easy_reset(handle); }
CURLcode goa_curl_easy_perform(CURL *handle) { return api.easy_perform(handle); }
const char *goa_curl_easy_strerror(CURLcode code) { return api.easy_strerror(code); }
struct curl_slist *goa_curl_slist_append(struct curl_slist *list, const char *text) {
    return api.slist_append(list, text);
}
void goa_curl_slist_free_all(struct curl_slist *list) { api.slist_free_all(list); }

CURLcode goa_curl_setopt_long(CURL *handle, CURLoption option, long value) {
    return api.easy_setopt(handle, option, value);
}
CURLcode goa_curl_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return api.easy_setopt(handle, option, value);
}
CURLcode goa_curl_setopt_pointer(CURL *handle, CURLoption option, void *value) {
    return api.easy_setopt(handle, option, value);
}
CURLcode goa_curl_setopt_blob(CURL *handle, CURLoption option, const void *data, size_t length) {
    struct curl_blob blob = {(void *)data, length, CURL_BLOB_COPY};
    return api.easy_setopt(handle, option, &blob);
}
CURLcode goa_curl_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value) {
    return api.easy_setopt(handle, option, value);
}
CURLcode goa_curl_setopt_write_function(CURL *handle, goa_curl_write_callback callback) {
    return api.easy_setopt(handle, CURLOPT_WRITEFUNCTION, callback);
}
CURLcode goa_curl_setopt_header_function(CURL *handle, goa_curl_write_callback callback) {
    return api.easy_setopt(handle, CURLOPT_HEADERFUNCTION, callback);
}
CURLcode goa_curl_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return api.easy_getinfo(handle, info, value);
}
CURLcode goa_curl_getinfo_double(CURL *handle, CURLINFO info, double *value) {
    return api.easy_getinfo(handle, info, value);
}
const char *goa_curl_getinfo_string(CURL *handle, CURLINFO info) {
    char *value = NULL;
    if (api.easy_getinfo(handle, info, &value) != CURLE_OK) return NULL;
    return value;
}
