import Glibc

/// The job's environment file could not be used. Nothing was changed in it.
public enum OutputError: UserFacingError, Equatable, Sendable {
    /// Neither `$GITLAB_ENV` nor `--env-file`.
    case noEnvFile
    case unwritable(FileError)
    case notRegularFile(path: String)
    /// Fewer bytes than needed were written; they were taken back.
    case shortWrite(path: String, written: Int, expected: Int)
    /// A short write could not be taken back: the file ends with `written` bytes of an
    /// unfinished line. The hook fails, so the job does not run on with it.
    case rollbackFailed(path: String, written: Int, reason: String)
    /// A value would break the file's one-line-per-variable format.
    case unsafeValue(key: String)
    /// A file in the job's temporary folder (ID token, AWS config) could not be written.
    case jobFile(FileError)
    /// A path contains a line break or NUL and cannot go into the AWS config file.
    case unsafePath(String)

    /// Without an env file the runner is too old or the hook is called wrongly: exit 2 like
    /// an invalid mapping. Every other case is a job that cannot get its credentials: exit 1.
    public var exitCategory: ExitCategory {
        switch self {
        case .noEnvFile: return .invalidConfiguration
        case .unwritable, .notRegularFile, .shortWrite, .rollbackFailed, .unsafeValue, .jobFile, .unsafePath:
            return .credentialsUnavailable
        }
    }

    public var responsibility: Responsibility { .runnerAdministrator }

    public var description: String {
        switch self {
        case .noEnvFile:
            return "no job environment file: $GITLAB_ENV is not set. GitLab Runner 16.4 or newer sets it for every job; with an older runner, or outside a job, pass --env-file PATH"
        case let .unwritable(error):
            return "\(error.description); nothing was written to the job environment file"
        case let .notRegularFile(path):
            return "the job environment file \(path) is not a regular file; nothing was written"
        case let .shortWrite(path, written, expected):
            return "only \(written) of \(expected) bytes could be written to \(path) (disk full?); the partial write was taken back"
        case let .rollbackFailed(path, written, reason):
            return "only part of the credentials could be written to \(path), and the \(written) bytes written could not be taken back (\(reason)); the file now ends with an unfinished line and the job must not use it"
        case let .unsafeValue(key):
            return "the value for \(key) contains a line break or NUL and cannot be written as KEY=VALUE; nothing was written"
        case let .jobFile(error):
            return "\(error.description); nothing was written to the job environment file"
        case let .unsafePath(path):
            return "the path \(path.debugDescription) contains a line break or NUL and cannot be written to the AWS config file; nothing was written"
        }
    }
}

/// One `KEY=VALUE` line of the job environment file.
public struct EnvEntry: Equatable, Sendable, CustomStringConvertible {
    public let key: String
    public let value: String

    public init(_ key: String, _ value: String) {
        self.key = key
        self.value = value
    }

    public var description: String { "\(key)=\(value)" }
}

/// Renders and writes the job environment file, whose lines the runner reads with
/// `while read -r line; do export "$line"; done`: each line is `KEY=VALUE`, taken literally.
public enum EnvFile {
    /// The most of an env file the hook reads (to find what an earlier run wrote).
    public static let readLimit = 16 << 20

    /// Renders `KEY=VALUE` lines, refusing values that would spill onto another line.
    public static func render(_ entries: [EnvEntry]) throws(OutputError) -> String {
        var text = ""
        for entry in entries {
            if entry.value.utf8.contains(where: { $0 == 0x0A || $0 == 0x0D || $0 == 0 }) {
                throw .unsafeValue(key: entry.key)
            }
            text += "\(entry)\n"
        }
        return text
    }

    /// Appends `text` to the file at `path` in place, with one `write` on an `O_APPEND`
    /// descriptor. If the file does not end with a newline, a newline goes first. On a short
    /// or failed write the file is truncated back to its old length, so it is byte-for-byte
    /// as before.
    public static func append(_ text: String, to path: String) throws(OutputError) {
        // O_NONBLOCK: a FIFO in place of the file must not block the job forever (open fails
        // without a reader, and a FIFO is refused below). It changes nothing for regular files.
        let descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0o600)
        guard descriptor >= 0 else { throw .unwritable(FileError(path: path, operation: "open for appending")) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw .unwritable(FileError(path: path, operation: "stat")) }
        guard (status.st_mode & S_IFMT) == S_IFREG else { throw .notRegularFile(path: path) }
        let originalSize = status.st_size
        var bytes = Array(text.utf8)
        if originalSize > 0 && !endsWithNewline(path: path, size: originalSize) {
            bytes.insert(0x0A, at: 0)
        }
        let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
        if written == bytes.count { return }
        let failure = errno
        // Take back whatever part of the write landed.
        if written > 0 && ftruncate(descriptor, originalSize) != 0 {
            throw .rollbackFailed(path: path, written: written, reason: FileError(path: path, operation: "truncate").reason)
        }
        if written < 0 { throw .unwritable(FileError(path: path, operation: "write to", code: failure)) }
        throw .shortWrite(path: path, written: written, expected: bytes.count)
    }

    private static func endsWithNewline(path: String, size: off_t) -> Bool {
        let reader = open(path, O_RDONLY | O_CLOEXEC)
        guard reader >= 0 else { return true }
        defer { close(reader) }
        var last: UInt8 = 0
        return pread(reader, &last, 1, size - 1) == 1 ? last == 0x0A : true
    }

    /// The `KEY=VALUE` lines of env-file contents (later lines win), as the runner would
    /// export them.
    public static func parse(_ bytes: [UInt8]) -> [String: String] {
        let text = String(decoding: bytes, as: UTF8.self)
        var result: [String: String] = [:]
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            guard let equals = line.firstIndex(of: "=") else { continue }
            result[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        return result
    }
}
