#include <openssl/err.h>
