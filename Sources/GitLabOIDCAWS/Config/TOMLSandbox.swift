import Glibc
import TOMLKit

/// How the mapping loader protects the process from a TOML parser that aborts.
///
/// toml++ 3.4, the parser inside TOMLKit, aborts the whole process on some malformed
/// documents instead of reporting a parse error (its internal assertions; fuzzing found
/// `e = 1979-05-27T:` and table headers such as `[.a]`). A mapping file with such a typo must
/// make every command exit 2 with a message, not die with SIGABRT.
public enum TOMLParserGuard: Sendable {
    /// Parse unguarded: for tests and in-process fuzzing only.
    case none
    /// A forked child tries the parse first; when it dies, bisection with more children finds
    /// the line that kills it. For `check`, `compile`, `explain` and `trust-policy`, which an
    /// administrator runs to find mistakes.
    case childProcess
    /// Parse in this process with a SIGABRT handler that prints `TOMLSandbox.abortNotice`
    /// and exits 2. For the hook, which runs before every job: no process per job, at the
    /// price of not naming the line (the notice says to run `check`, which does).
    case exitOnAbort
}

/// Runs the TOML parser on a document in a child process first, or in this process with an
/// abort handler (see `TOMLParserGuard`).
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

    /// What the hook prints when the parser aborts under `TOMLParserGuard.exitOnAbort`.
    static func abortNotice(path: String) -> String {
        "gitlab-oidc-aws: \(path): not valid TOML: the TOML parser stopped without saying why; run `gitlab-oidc-aws check --config \(path)` to find the line\n"
    }

    /// Runs `parse` with SIGABRT turned into `abortNotice(path:)` on standard error and exit
    /// status 2 (the status of every configuration error). The parser's own assertion text,
    /// which names toml++ source files, goes to /dev/null while it runs. Both the handler and
    /// standard error are restored afterwards.
    static func exitingOnAbort<Result>(path: String, _ parse: () throws -> Result) rethrows -> Result {
        let text = Array(abortNotice(path: path).utf8)
        let notice = UnsafeMutablePointer<UInt8>.allocate(capacity: text.count)
        notice.initialize(from: text, count: text.count)
        let savedStandardError = dup(STDERR_FILENO)
        let null = open("/dev/null", O_WRONLY | O_CLOEXEC)
        if savedStandardError >= 0 && null >= 0 { dup2(null, STDERR_FILENO) }
        if null >= 0 { close(null) }
        let previous = AbortNotice.install(notice, count: text.count, fd: savedStandardError)
        defer {
            AbortNotice.restore(previous)
            notice.deallocate()
            if savedStandardError >= 0 {
                dup2(savedStandardError, STDERR_FILENO)
                close(savedStandardError)
            }
        }
        return try parse()
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

/// The state the SIGABRT handler reads: set before the handler is installed, never changed
/// while it is.
private enum AbortNotice {
    nonisolated(unsafe) static var bytes: UnsafePointer<UInt8>?
    nonisolated(unsafe) static var count = 0
    nonisolated(unsafe) static var fd: Int32 = STDERR_FILENO

    /// Installs the handler; returns the previous disposition for `restore`.
    static func install(_ bytes: UnsafePointer<UInt8>, count: Int, fd: Int32) -> sigaction {
        Self.bytes = bytes
        Self.count = count
        Self.fd = fd >= 0 ? fd : STDERR_FILENO
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in
            // Only async-signal-safe calls: write(2) and _exit(2).
            if let bytes = AbortNotice.bytes { _ = write(AbortNotice.fd, bytes, AbortNotice.count) }
            _exit(2)
        }
        sigemptyset(&action.sa_mask)
        var previous = sigaction()
        sigaction(SIGABRT, &action, &previous)
        return previous
    }

    static func restore(_ previous: sigaction) {
        var previous = previous
        sigaction(SIGABRT, &previous, nil)
        bytes = nil
    }
}
