import Glibc

/// A failed file operation, with the path and the system's reason.
public struct FileError: Error, Equatable, Sendable, CustomStringConvertible {
    public let path: String
    public let operation: String
    public let code: Int32

    public init(path: String, operation: String, code: Int32 = errno) {
        self.path = path
        self.operation = operation
        self.code = code
    }

    /// The system's text for the error number, e.g. "No such file or directory".
    public var reason: String { String(cString: strerror(code)) }

    public var description: String { "cannot \(operation) \(path): \(reason)" }
}

/// Small, explicit wrappers over the C library's file calls.
public enum FileSystem {
    /// Who owns a file and its permission bits, as `fstat` saw them on the descriptor read.
    public struct Ownership: Equatable, Sendable {
        public let owner: uid_t
        /// The permission bits (`st_mode & 0o7777`).
        public let permissions: mode_t
    }

    /// Reads a whole file. Refuses files larger than `limit` bytes.
    public static func read(_ path: String, limit: Int = 64 << 20) throws(FileError) -> [UInt8] {
        try readWithOwnership(path, limit: limit).bytes
    }

    /// Reads a whole regular file (refusing ones larger than `limit` bytes), with the owner and
    /// permissions of the very file read (no race between checking and reading).
    public static func readWithOwnership(_ path: String, limit: Int = 64 << 20) throws(FileError)
        -> (bytes: [UInt8], ownership: Ownership)
    {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw FileError(path: path, operation: "open") }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw FileError(path: path, operation: "stat") }
        if (status.st_mode & S_IFMT) == S_IFDIR { throw FileError(path: path, operation: "read", code: EISDIR) }
        if Int(status.st_size) > limit { throw FileError(path: path, operation: "read", code: EFBIG) }
        // Up to `capacity` bytes, read straight into uninitialised memory (no zero-filling first).
        func readChunk(_ capacity: Int) throws(FileError) -> [UInt8] {
            var failure: FileError?
            let chunk = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, count in
                count = 0
                while count < buffer.count {
                    let got = Glibc.read(descriptor, buffer.baseAddress! + count, buffer.count - count)
                    if got < 0 {
                        if errno == EINTR { continue }
                        failure = FileError(path: path, operation: "read")
                        return
                    }
                    if got == 0 { return }
                    count += got
                }
            }
            if let failure { throw failure }
            return chunk
        }
        // One byte more than the size, to see the end of the file in the same read; a file that
        // grew meanwhile (or a /proc file that claims size 0) is read on in chunks.
        var requested = Int(max(status.st_size, 0)) + 1
        var result = try readChunk(requested)
        while result.count == requested {
            if result.count > limit { throw FileError(path: path, operation: "read", code: EFBIG) }
            let chunk = try readChunk(65536)
            result += chunk
            requested = chunk.count == 65536 ? result.count : result.count + 1
        }
        if result.count > limit { throw FileError(path: path, operation: "read", code: EFBIG) }
        return (result, Ownership(owner: status.st_uid, permissions: status.st_mode & 0o7777))
    }

    /// Reads a whole file as UTF-8 text (invalid bytes become U+FFFD).
    public static func readText(_ path: String, limit: Int = 64 << 20) throws(FileError) -> String {
        String(decoding: try read(path, limit: limit), as: UTF8.self)
    }

    /// Writes `bytes` to `path` atomically: a temporary file in the same folder, `fsync`, then
    /// `rename`. Readers see the old file or the new one, never a mix. The file gets `mode`.
    public static func writeAtomically(_ bytes: [UInt8], to path: String, mode: mode_t = 0o600) throws(FileError) {
        let temporary = "\(path).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard descriptor >= 0 else { throw FileError(path: temporary, operation: "create") }
        var failure: FileError?
        if fchmod(descriptor, mode) != 0 { failure = FileError(path: temporary, operation: "chmod") }
        if failure == nil, let error = writeAll(descriptor, bytes, path: temporary) { failure = error }
        if failure == nil, fsync(descriptor) != 0 { failure = FileError(path: temporary, operation: "sync") }
        close(descriptor)
        if failure == nil, rename(temporary, path) != 0 { failure = FileError(path: path, operation: "replace") }
        if let failure {
            unlink(temporary)
            throw failure
        }
    }

    /// Writes every byte or returns the error; retries on `EINTR` and short writes.
    static func writeAll(_ descriptor: Int32, _ bytes: [UInt8], path: String) -> FileError? {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                return FileError(path: path, operation: "write")
            }
            offset += written
        }
        return nil
    }

    /// Creates `path` and its missing parents with `mode`.
    public static func makeDirectories(_ path: String, mode: mode_t = 0o700) throws(FileError) {
        var built = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            built += "/" + part
            if mkdir(built, mode) != 0 && errno != EEXIST { throw FileError(path: built, operation: "create directory") }
        }
    }

    /// Whether `path` names an existing regular file that this process can read.
    public static func isReadableFile(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFREG && access(path, R_OK) == 0
    }

    /// Makes writes fail with an error instead of killing the process: `SIGPIPE` (a closed
    /// pipe or connection) and `SIGXFSZ` (a file-size limit, `ulimit -f`) are ignored, so
    /// `write` returns `EPIPE` or a short count / `EFBIG`, which callers report.
    public static func ignoreWriteSignals() {
        signal(SIGPIPE, SIG_IGN)
        signal(SIGXFSZ, SIG_IGN)
    }

    /// The contents of `path`, or nil when it cannot be read (missing, a folder, too large).
    public static func contentsIfReadable(_ path: String, limit: Int = 1 << 20) -> [UInt8]? {
        try? read(path, limit: limit)
    }

    /// `path` made absolute against `workingDirectory`. `.` and `..` are kept; symbolic
    /// links are not resolved.
    public static func absolute(_ path: String, workingDirectory: String) -> String {
        if path.hasPrefix("/") { return path }
        return workingDirectory.hasSuffix("/") ? workingDirectory + path : workingDirectory + "/" + path
    }
}
