import Glibc
import TOMLKit

/// Runs the TOML parser on a document in a child process first.
///
/// toml++ 3.4, the parser inside TOMLKit, aborts the whole process on some malformed
/// documents instead of reporting a parse error (its internal assertions; fuzzing found
/// `e = 1979-05-27T:` and table headers such as `[.a]`). A mapping file with such a typo must
/// make `check` and `hook` exit 2 with a message, not die with SIGABRT. So the loader lets a
/// forked child try the parse; only when the child survives does the loader parse the text
/// itself. A mapping file is small: the child costs a few milliseconds.
///
/// `fork` is safe here because the commands load the mapping before any other thread exists.
/// A child that neither finishes nor dies within `timeout` seconds is killed, and the
/// document counts as one the parser cannot read.
enum TOMLSandbox {
    static let timeout = 10.0

    /// Whether TOMLKit parses `source` (to a table or to a parse error) without dying. True
    /// when no child process can be made: then the parse runs in this process, as before.
    static func parserSurvives(_ source: String) -> Bool {
        // An ignored SIGCHLD (inherited from a parent shell) would reap the child unseen.
        signal(SIGCHLD, SIG_DFL)
        let child = fork()
        if child < 0 { return true }
        if child == 0 {
            // Die of the signal itself: no Swift crash handler (it would start a backtracer
            // process that outlives the child) and no core file.
            for fatal in [SIGABRT, SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP] { signal(fatal, SIG_DFL) }
            var noCore = rlimit(rlim_cur: 0, rlim_max: 0)
            setrlimit(__rlimit_resource_t(RLIMIT_CORE.rawValue), &noCore)
            // A dying parser's messages would only confuse.
            let null = open("/dev/null", O_WRONLY)
            if null >= 0 {
                dup2(null, STDOUT_FILENO)
                dup2(null, STDERR_FILENO)
            }
            _ = try? TOMLTable(string: source)
            _exit(0)
        }
        return exitedCleanly(child)
    }

    /// Waits for `child`, polling so that a stuck child can be killed after `timeout`.
    private static func exitedCleanly(_ child: pid_t) -> Bool {
        var status: Int32 = 0
        var waited = 0.0
        var pause = 0.0005
        while true {
            let result = waitpid(child, &status, WNOHANG)
            if result == child { return status == 0 }
            if result < 0 && errno != EINTR { return true }
            if waited >= timeout {
                kill(child, SIGKILL)
                _ = waitpid(child, &status, 0)
                return false
            }
            Clock.system.sleep(pause)
            waited += pause
            pause = min(pause * 2, 0.05)
        }
    }

    /// The 1-based line on which the parser dies: the first line whose text up to its end
    /// already kills it (found by bisection, a few child processes); nil if no prefix does.
    static func crashingLine(_ source: String) -> Int? {
        let lines = source.split(separator: "\n", omittingEmptySubsequences: false)
        func crashes(_ count: Int) -> Bool { !parserSurvives(lines.prefix(count).joined(separator: "\n")) }
        var low = 1
        var high = lines.count
        guard crashes(high) else { return nil }
        while low < high {
            let middle = (low + high) / 2
            if crashes(middle) { high = middle } else { low = middle + 1 }
        }
        return low
    }
}
