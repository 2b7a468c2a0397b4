#ifndef GITLAB_OIDC_AWS_CJANSSON_SHIM_H
#define GITLAB_OIDC_AWS_CJANSSON_SHIM_H

#include <jansson.h>

/* jansson's reference counting and type tests are macros or inline functions that Swift
   cannot always see; these wrappers give them plain names. */

static inline void goa_json_decref(json_t *json) { json_decref(json); }
static inline json_type goa_json_typeof(const json_t *json) { return json_typeof(json); }

/* json_object_foreach is a macro: walk an object with an explicit iterator instead. */
static inline void *goa_json_object_iter(json_t *object) { return json_object_iter(object); }
static inline void *goa_json_object_iter_next(json_t *object, void *iter) { return json_object_iter_next(object, iter); }
static inline const char *goa_json_object_iter_key(void *iter) { return json_object_iter_key(iter); }
static inline size_t goa_json_object_iter_key_len(void *iter) { return json_object_iter_key_len(iter); }
static inline json_t *goa_json_object_iter_value(void *iter) { return json_object_iter_value(iter); }

/* JSON_INDENT is a macro that Swift does not import. */
static inline size_t goa_json_flags_indent(int spaces) { return JSON_INDENT(spaces); }

#endif
