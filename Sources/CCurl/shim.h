#ifndef GITLAB_OIDC_AWS_CCURL_SHIM_H
#define GITLAB_OIDC_AWS_CCURL_SHIM_H

#include <curl/curl.h>
#include <dlfcn.h>
#include <stddef.h>
#include <stdio.h>

/* libcurl is loaded with dlopen on the first request, not linked: loading it and the thirty
   libraries it depends on costs more than half of a hook run that has nothing to exchange
   (a job without an ID token). These are the functions the hook uses, found with dlsym. */
struct goa_curl {
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
};

/* Loads `soname` and fills `api`; 0 on success, else -1 with the loader's message in `error`
   (`size` bytes). The library stays loaded for the life of the process. */
static inline int goa_curl_load(const char *soname, struct goa_curl *api, char *error, size_t size) {
    void *library = dlopen(soname, RTLD_LAZY | RTLD_LOCAL);
    const char *missing = NULL;
    if (library == NULL) {
        const char *reason = dlerror();
        snprintf(error, size, "%s", reason != NULL ? reason : "dlopen failed");
        return -1;
    }
#define GOA_CURL_SYMBOL(field, name)                                                                  \
    if ((*(void **)&api->field = dlsym(library, name)) == NULL && missing == NULL) missing = name;
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

/* Typed wrappers: Swift cannot call C function pointers that are variadic (setopt, getinfo),
   and never holds any of them. */

static inline CURLcode goa_curl_global_init(const struct goa_curl *api, long flags) { return api->global_init(flags); }
static inline CURL *goa_curl_easy_init(const struct goa_curl *api) { return api->easy_init(); }
static inline void goa_curl_easy_cleanup(const struct goa_curl *api, CURL *handle) { api->easy_cleanup(handle); }
static inline void goa_curl_easy_reset(const struct goa_curl *api, CURL *handle) { api->easy_reset(handle); }
static inline CURLcode goa_curl_easy_perform(const struct goa_curl *api, CURL *handle) { return api->easy_perform(handle); }
static inline const char *goa_curl_easy_strerror(const struct goa_curl *api, CURLcode code) {
    return api->easy_strerror(code);
}
static inline struct curl_slist *goa_curl_slist_append(const struct goa_curl *api, struct curl_slist *list,
                                                       const char *text) {
    return api->slist_append(list, text);
}
static inline void goa_curl_slist_free_all(const struct goa_curl *api, struct curl_slist *list) {
    api->slist_free_all(list);
}

static inline CURLcode goa_curl_setopt_long(const struct goa_curl *api, CURL *handle, CURLoption option, long value) {
    return api->easy_setopt(handle, option, value);
}

static inline CURLcode goa_curl_setopt_string(const struct goa_curl *api, CURL *handle, CURLoption option,
                                              const char *value) {
    return api->easy_setopt(handle, option, value);
}

static inline CURLcode goa_curl_setopt_pointer(const struct goa_curl *api, CURL *handle, CURLoption option,
                                               void *value) {
    return api->easy_setopt(handle, option, value);
}

static inline CURLcode goa_curl_setopt_slist(const struct goa_curl *api, CURL *handle, CURLoption option,
                                             struct curl_slist *value) {
    return api->easy_setopt(handle, option, value);
}

typedef size_t (*goa_curl_write_callback)(char *data, size_t size, size_t count, void *context);

static inline CURLcode goa_curl_setopt_write_function(const struct goa_curl *api, CURL *handle,
                                                      goa_curl_write_callback callback) {
    return api->easy_setopt(handle, CURLOPT_WRITEFUNCTION, callback);
}

static inline CURLcode goa_curl_getinfo_long(const struct goa_curl *api, CURL *handle, CURLINFO info, long *value) {
    return api->easy_getinfo(handle, info, value);
}

static inline CURLcode goa_curl_getinfo_double(const struct goa_curl *api, CURL *handle, CURLINFO info,
                                               double *value) {
    return api->easy_getinfo(handle, info, value);
}

#endif
