/* The container bundle's entry point, DIR/gitlab-oidc-aws.

   A job image may have any C library or none, no /proc, and any LD_* variables: this
   launcher is a static executable without a C library (raw system calls only) that runs the
   bundle's own dynamic loader on the bundle's program with the bundle's libraries only:

       DIR/lib/ld-linux-x86-64.so.2 --library-path DIR/lib --inhibit-cache
           --argv0 DIR/gitlab-oidc-aws DIR/lib/gitlab-oidc-aws ARGS...

   DIR is where this file was started from (the kernel's AT_EXECFN, made absolute, symbolic
   links followed), so the bundle works wherever it is mounted. The environment is passed on
   without the variables that would make the loader or the C library load files of the image
   (LD_PRELOAD, LD_LIBRARY_PATH, LD_AUDIT, ..., GCONV_PATH, LOCPATH); LD_DEBUG stays, to show
   which libraries load. A bundle that is incomplete (only this file mounted) says so in one
   line and exits 127, like a shell for a command it cannot find.

   Built by install.sh: gcc -static -nostdlib -ffreestanding (see bundle_launcher there). */

#define PATH_SIZE 4096
#define AT_NULL 0
#define AT_EXECFN 31

enum { SYS_write = 1, SYS_access = 21, SYS_execve = 59, SYS_getcwd = 79, SYS_readlink = 89, SYS_exit_group = 231 };

static long syscall3(long number, long a, long b, long c) {
    long result;
    __asm__ volatile("syscall" : "=a"(result) : "a"(number), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
    return result;
}

/* The compiler may emit calls to these for copies and zeroing. */
void *memcpy(void *destination, const void *source, unsigned long count) {
    char *to = destination;
    const char *from = source;
    while (count--) *to++ = *from++;
    return destination;
}

void *memset(void *destination, int value, unsigned long count) {
    char *to = destination;
    while (count--) *to++ = (char)value;
    return destination;
}

static unsigned long length(const char *text) {
    unsigned long count = 0;
    while (text[count]) count++;
    return count;
}

static int starts_with(const char *text, const char *prefix) {
    while (*prefix)
        if (*text++ != *prefix++) return 0;
    return 1;
}

/* Appends `text` to the NUL-terminated `buffer` of PATH_SIZE bytes; 0 when it does not fit. */
static int append(char *buffer, const char *text) {
    unsigned long used = length(buffer), extra = length(text);
    if (used + extra + 1 > PATH_SIZE) return 0;
    memcpy(buffer + used, text, extra + 1);
    return 1;
}

/* Writes one line, "gitlab-oidc-aws: " and the parts, to standard error. */
static void say(const char *part1, const char *part2, const char *part3, const char *part4) {
    char line[4 * PATH_SIZE];
    const char *parts[] = {"gitlab-oidc-aws: ", part1, part2, part3, part4, "\n"};
    unsigned long used = 0;
    for (unsigned long index = 0; index < sizeof parts / sizeof parts[0]; index++) {
        unsigned long count = length(parts[index]);
        if (used + count > sizeof line) count = sizeof line - used;
        memcpy(line + used, parts[index], count);
        used += count;
    }
    syscall3(SYS_write, 2, (long)line, (long)used);
}

static void __attribute__((noreturn)) leave(int status) {
    for (;;) syscall3(SYS_exit_group, status, 0, 0);
}

static const char *reason(long error) {
    switch (error) {
    case 2: return "no such file";
    case 8: return "not an executable for this machine";
    case 12: return "out of memory";
    case 13: return "permission denied (is the mount noexec?)";
    case 7: return "argument list too long";
    default: return "the kernel refused to run it";
    }
}

/* Sets `path` to the absolute path this program was started as, with symbolic links in its
   last component followed; 0 when that cannot be known. */
static int own_path(const char *started_as, char *path) {
    char target[PATH_SIZE];
    path[0] = 0;
    if (started_as == 0 || started_as[0] == 0) return 0;
    if (started_as[0] != '/') {
        if (syscall3(SYS_getcwd, (long)path, PATH_SIZE, 0) < 0) return 0;
        if (!append(path, "/")) return 0;
    }
    if (!append(path, started_as)) return 0;
    for (int hops = 0; hops < 40; hops++) {
        long count = syscall3(SYS_readlink, (long)path, (long)target, PATH_SIZE - 1);
        if (count < 0) return 1; /* not a symbolic link (or gone): this is the file */
        target[count] = 0;
        if (target[0] != '/') {
            unsigned long slash = length(path);
            while (slash > 0 && path[slash - 1] != '/') slash--;
            path[slash] = 0;
            if (!append(path, target)) return 0;
        } else {
            path[0] = 0;
            if (!append(path, target)) return 0;
        }
    }
    return 0;
}

static int dropped_from_environment(const char *entry) {
    if (starts_with(entry, "LD_")) return !starts_with(entry, "LD_DEBUG=");
    return starts_with(entry, "GCONV_PATH=") || starts_with(entry, "LOCPATH=");
}

__attribute__((noreturn, used)) void launcher_main(long *stack) {
    long argc = stack[0];
    char **argv = (char **)(stack + 1);
    char **envp = argv + argc + 1;
    char **entry = envp;
    while (*entry) entry++;
    const char *started_as = argc > 0 ? argv[0] : 0;
    for (unsigned long *aux = (unsigned long *)(entry + 1); aux[0] != AT_NULL; aux += 2)
        if (aux[0] == AT_EXECFN) started_as = (const char *)aux[1];

    char self[PATH_SIZE], directory[PATH_SIZE], library[PATH_SIZE], loader[PATH_SIZE], program[PATH_SIZE];
    if (!own_path(started_as, self)) {
        say("cannot tell where the bundle is (started as \"", started_as ? started_as : "",
            "\"); run it by its absolute path", "");
        leave(127);
    }
    unsigned long slash = length(self);
    while (slash > 0 && self[slash - 1] != '/') slash--;
    memcpy(directory, self, slash);
    directory[slash > 1 ? slash - 1 : slash] = 0;

    library[0] = loader[0] = program[0] = 0;
    if (!append(library, directory) || !append(library, "/lib") || !append(loader, library) ||
        !append(loader, "/ld-linux-x86-64.so.2") || !append(program, library) || !append(program, "/gitlab-oidc-aws")) {
        say("the bundle's path is too long: ", directory, "", "");
        leave(127);
    }
    if (syscall3(SYS_access, (long)loader, 1 /* X_OK */, 0) != 0 || syscall3(SYS_access, (long)program, 4 /* R_OK */, 0) != 0) {
        say("incomplete bundle: ", syscall3(SYS_access, (long)loader, 1, 0) != 0 ? loader : program,
            " is missing; mount the whole folder made by install.sh --bundle, not only this file", "");
        leave(127);
    }

    char **kept = envp;
    for (char **from = envp; *from; from++)
        if (!dropped_from_environment(*from)) *kept++ = *from;
    *kept = 0;

    const char *fixed[] = {loader, "--library-path", library, "--inhibit-cache", "--argv0", self, program};
    const long fixed_count = sizeof fixed / sizeof fixed[0];
    const char *arguments[fixed_count + (argc > 1 ? argc - 1 : 0) + 1];
    long count = 0;
    for (long index = 0; index < fixed_count; index++) arguments[count++] = fixed[index];
    for (long index = 1; index < argc; index++) arguments[count++] = argv[index];
    arguments[count] = 0;

    long error = -syscall3(SYS_execve, (long)loader, (long)arguments, (long)envp);
    say("cannot run the bundle's loader ", loader, ": ", reason(error));
    leave(126);
}

__asm__(".text\n"
        ".global _start\n"
        "_start:\n"
        "  xor %rbp, %rbp\n"
        "  mov %rsp, %rdi\n"
        "  and $-16, %rsp\n"
        "  call launcher_main\n"
        "  hlt\n");
