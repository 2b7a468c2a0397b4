#ifndef GITLAB_OIDC_AWS_CFUZZER_SHIM_H
#define GITLAB_OIDC_AWS_CFUZZER_SHIM_H

#include <stddef.h>
#include <stdint.h>

/* libFuzzer's driver, linked in by -sanitize=fuzzer. SwiftPM gives the executable its own
   main, so main calls the driver instead of libFuzzer's main. */
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
