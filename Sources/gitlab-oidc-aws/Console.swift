import GitLabOIDCAWS
import Glibc

/// Output for people: stdout for results, stderr for the job log and errors. Each line is
/// one `write`, so lines from concurrent hooks never interleave mid-line.
enum Console {
    static let prefix = "gitlab-oidc-aws: "

    /// A line for the job log (stderr). Whatever it quotes, it stays one line.
    static func log(_ line: String) {
        write(prefix + LogText.oneLine(line, limit: 4096) + "\n", to: STDERR_FILENO)
    }

    /// An error of an administrator's command (stderr): config errors as compiler-style lines.
    static func error(_ error: AdminFailure) {
        if case let .configuration(config) = error {
            for diagnostic in config.diagnostics { report(diagnostic.description) }
            return
        }
        log("error: \(error)")
    }

    /// A failure of `credential-process` (stderr, which SDKs show in the job log), worded as
    /// the hook words its own.
    static func failure(_ failure: HookFailure) {
        for line in failure.logLines(help: nil) { log(line) }
    }

    /// A finding for stderr (already `FILE:LINE: severity: message`), kept on one line.
    static func report(_ line: String) {
        write(LogText.oneLine(line, limit: 4096) + "\n", to: STDERR_FILENO)
    }

    /// A result (stdout).
    static func print(_ text: String) {
        write(text + "\n", to: STDOUT_FILENO)
    }

    private static func write(_ text: String, to descriptor: Int32) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            if written <= 0 { return }
            bytes = bytes.dropFirst(written)
        }
    }
}
