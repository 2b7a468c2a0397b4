#define _GNU_SOURCE
#include "CSupport.h"

#include <link.h>
#include <nss.h>
#include <openssl/crypto.h>
#include <string.h>
#include <unistd.h>

/* Process start-up, before main: the command line, and what the container bundle needs.

   The Swift runtime finds the command line on Linux through /proc, which a job container may
   not have; without it a program sees no arguments at all (so `hook --config
   ...` would print the overview help and exit 0). glibc passes argc and argv to the
   constructors of the executable, so they are handed to the runtime from here. */

extern void _swift_stdlib_overrideUnsafeArgvArgc(char **argv, int argc);

static char bundle_root[4096];

/* Called by dl_iterate_phdr for each loaded object: copies the folder above `lib/` into
   bundle_root when the C library was loaded from the container bundle. */
static int find_bundle(struct dl_phdr_info *info, size_t size, void *unused) {
    (void)size;
    (void)unused;
    static const char libc_suffix[] = "/lib/libc.so.6";
    static const char program[] = "/lib/gitlab-oidc-aws";
    const char *name = info->dlpi_name;
    size_t name_length = name != NULL ? strlen(name) : 0;
    size_t suffix_length = sizeof libc_suffix - 1;
    if (name_length <= suffix_length || strcmp(name + name_length - suffix_length, libc_suffix) != 0) return 0;
    size_t root_length = name_length - suffix_length;
    if (name[0] != '/' || root_length + sizeof program > sizeof bundle_root) return 1;
    memcpy(bundle_root, name, root_length);
    memcpy(bundle_root + root_length, program, sizeof program);
    /* Only the bundle has its program next to its C library. */
    if (access(bundle_root, R_OK) != 0) root_length = 0;
    bundle_root[root_length] = 0;
    return 1;
}

/* The bundle brings every library it loads: the job image's name-service modules (from its
   /etc/nsswitch.conf, e.g. mdns4_minimal) and OpenSSL configuration (engines, providers)
   would be built for another C library. The C library's own `files` and `dns` answer. */
static void isolate_from_image(void) {
    static const char *const files_only[] = {"passwd", "group", "shadow", "gshadow", "initgroups", "services",
                                             "protocols", "networks", "netgroup", "ethers", "rpc", "aliases",
                                             "publickey"};
    for (size_t index = 0; index < sizeof files_only / sizeof files_only[0]; index++)
        __nss_configure_lookup(files_only[index], "files");
    __nss_configure_lookup("hosts", "files dns");
    OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, NULL);
}

__attribute__((constructor)) static void goa_process_start(int argc, char **argv, char **envp) {
    (void)envp;
    if (argc <= 0 || argv == NULL || argv[0] == NULL) {
        static const char message[] = "gitlab-oidc-aws: cannot read its command line (started without arguments)\n";
        (void)!write(2, message, sizeof message - 1);
        _exit(64);
    }
    _swift_stdlib_overrideUnsafeArgvArgc(argv, argc);
    dl_iterate_phdr(find_bundle, NULL);
    if (bundle_root[0] != 0) isolate_from_image();
}

const char *goa_bundle_root(void) { return bundle_root[0] != 0 ? bundle_root : NULL; }
