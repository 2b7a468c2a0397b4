#include "CSupport.h"

void goa_json_decref(json_t *json) { json_decref(json); }
json_type goa_json_typeof(const json_t *json) { return json_typeof(json); }
void *goa_json_object_iter(json_t *object) { return json_object_iter(object); }
void *goa_json_object_iter_next(json_t *object, void *iter) { return json_object_iter_next(object, iter); }
const char *goa_json_object_iter_key(void *iter) { return json_object_iter_key(iter); }
size_t goa_json_object_iter_key_len(void *iter) { return json_object_iter_key_len(iter); }
json_t *goa_json_object_iter_value(void *iter) { return json_object_iter_value(iter); }
size_t goa_json_flags_indent(int spaces) { return JSON_INDENT(spaces); }
