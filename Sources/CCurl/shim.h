/* libcurl's headers only: the hook loads the library with dlopen (CSupport/curl.c). */
#include <curl/curl.h>
