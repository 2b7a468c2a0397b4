import Glibc

/// A failed file operation, with the path and the system's reason.
public struct FileError: Error, Equatable, Sendable, CustomStringConvertible {
    public let path: String
    public let operation: String
    /// The system's error number; `EINVAL` when `foundKind` says what was wrong.
    public let code: Int32
    /// Set when the path names something that is not a regular file (a FIFO, a directory,
    /// a device, a symbolic link where none is expected): what it is.
    public let foundKind: FileKind?

    public init(path: String, operation: String, code: Int32 = errno) {
        self.path = path
        self.operation = operation
        self.code = code
        self.foundKind = nil
    }

    init(path: String, operation: String, errno: Errno) {
        self.init(path: path, operation: operation, code: errno.rawValue)
    }

    /// The path names `kind`, where only a regular file will do.
    public init(path: String, operation: String, notRegular kind: FileKind) {
        self.path = path
        self.operation = operation
        self.code = kind == .directory ? EISDIR : EINVAL
        self.foundKind = kind
    }

    /// The system's text for the error number, e.g. "No such file or directory", or what the
    /// path is when it is not a regular file.
    public var reason: String {
        if let foundKind { return "it is \(foundKind), not a regular file" }
        return Errno(rawValue: code).description
    }

    public var description: String { "cannot \(operation) \(path): \(reason)" }
}

/// Small, explicit file operations over `SystemCall` and `FileDescriptor`, safe on paths a
/// job can change: reads never block (FIFOs, devices and directories are refused after
/// `fstat` on the descriptor opened with `O_NONBLOCK`), never follow a symbolic link where
/// the caller expects none, and stop at a size limit.
public enum FileSystem {
    /// Who owns a file and its permission bits, as `fstat` saw them on the descriptor read.
    public struct Ownership: Equatable, Sendable {
        public let owner: uid_t
        /// The permission bits (`st_mode & 0o7777`).
        public let permissions: mode_t

        public init(owner: uid_t, permissions: mode_t) {
            self.owner = owner
            self.permissions = permissions
        }
    }

    /// Whether a read follows a symbolic link in the last part of the path.
    public enum Links: Sendable {
        /// Follow it (an administrator's file: mapping, `ca_file`, the env file the runner names).
        case follow
        /// Refuse it (`ELOOP`): a file the hook itself wrote and other jobs can reach (the
        /// key-set cache), where a link can only be someone else's doing.
        case refuse
    }

    /// Reads a whole regular file. Refuses anything else (FIFO, directory, device; with
    /// `links: .refuse` a symbolic link) and files larger than `limit` bytes.
    public static func read(_ path: String, limit: Int = 64 << 20, links: Links = .follow) throws(FileError)
        -> [UInt8]
    {
        try readWithOwnership(path, limit: limit, links: links).bytes
    }

    /// Reads a whole regular file (refusing ones larger than `limit` bytes), with the owner and
    /// permissions of the very file read (no race between checking and reading).
    public static func readWithOwnership(_ path: String, limit: Int = 64 << 20, links: Links = .follow)
        throws(FileError) -> (bytes: [UInt8], ownership: Ownership)
    {
        let file: FileDescriptor
        let status: FileStatus
        do throws(Errno) {
            file = try FileDescriptor.open(path, .readOnly, options: links == .refuse ? .noFollow : [])
            status = try file.status()
        } catch {
            if error.rawValue == ELOOP && links == .refuse {
                throw FileError(path: path, operation: "read", notRegular: .symbolicLink)
            }
            throw FileError(path: path, operation: "open", errno: error)
        }
        guard status.kind == .regular else { throw FileError(path: path, operation: "read", notRegular: status.kind) }
        if status.size > Int64(limit) { throw FileError(path: path, operation: "read", code: EFBIG) }
        let bytes: [UInt8]
        do throws(Errno) {
            bytes = try readToEnd(file, expectedSize: Int(max(status.size, 0)), limit: limit)
        } catch {
            throw FileError(path: path, operation: "read", errno: error)
        }
        return (bytes, Ownership(owner: status.owner, permissions: status.permissions))
    }

    /// The rest of `file`, at most `limit` bytes (`EFBIG` beyond). Reads one byte more than
    /// `expectedSize` to see the end of the file in the same call; a file that grew meanwhile
    /// (or a /proc file that claims size 0) is read on in chunks.
    static func readToEnd(_ file: FileDescriptor, expectedSize: Int, limit: Int) throws(Errno) -> [UInt8] {
        // Up to `capacity` bytes, read straight into uninitialised memory (no zero-filling first).
        func readChunk(_ capacity: Int) throws(Errno) -> [UInt8] {
            var failure: Errno?
            let chunk = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, count in
                count = 0
                while count < buffer.count {
                    do throws(Errno) {
                        let rest = UnsafeMutableRawBufferPointer(
                            start: buffer.baseAddress! + count, count: buffer.count - count)
                        let got = try file.read(into: rest)
                        if got == 0 { return }
                        count += got
                    } catch {
                        failure = error
                        return
                    }
                }
            }
            if let failure { throw failure }
            return chunk
        }
        var requested = min(expectedSize, limit) + 1
        var result = try readChunk(requested)
        while result.count == requested {
            if result.count > limit { throw Errno(rawValue: EFBIG) }
            let chunk = try readChunk(65536)
            result += chunk
            requested = chunk.count == 65536 ? result.count : result.count + 1
        }
        if result.count > limit { throw Errno(rawValue: EFBIG) }
        return result
    }

    /// Reads a whole file as UTF-8 text (invalid bytes become U+FFFD); see `read`.
    public static func readText(_ path: String, limit: Int = 64 << 20, links: Links = .follow) throws(FileError)
        -> String
    {
        String(decoding: try read(path, limit: limit, links: links), as: UTF8.self)
    }

    /// Writes `bytes` to `path` atomically: a temporary file in the same folder, `fsync`, then
    /// `rename`. Readers see the old file or the new one, never a mix. The file gets `mode`.
    /// Whatever `path` was (a symbolic link, a FIFO), it is replaced, never written through.
    public static func writeAtomically(_ bytes: [UInt8], to path: String, mode: mode_t = 0o600) throws(FileError) {
        let temporary = "\(path).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        var step = "create"
        do throws(Errno) {
            let file = try FileDescriptor.open(
                temporary, .writeOnly, options: [.create, .exclusive, .noFollow], mode: mode)
            step = "write"
            try file.setPermissions(mode)
            try file.writeAll(bytes)
            step = "sync"
            try file.synchronize()
        } catch {
            if step != "create" { try? SystemCall.unlink(temporary) }
            throw FileError(path: temporary, operation: step, errno: error)
        }
        do throws(Errno) {
            try SystemCall.rename(temporary, path)
        } catch {
            try? SystemCall.unlink(temporary)
            throw FileError(path: path, operation: "replace", errno: error)
        }
    }

    /// Creates `path` and its missing parents with `mode`.
    public static func makeDirectories(_ path: String, mode: mode_t = 0o700) throws(FileError) {
        var built = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            built += "/" + part
            do throws(Errno) {
                try SystemCall.makeDirectory(built, mode: mode)
            } catch {
                if error.rawValue != EEXIST {
                    throw FileError(path: built, operation: "create directory", errno: error)
                }
            }
        }
    }

    /// Whether `path` names an existing regular file that this process can open for reading
    /// (checked by opening it, without blocking: a FIFO is not one).
    public static func isReadableFile(_ path: String) -> Bool {
        readableFileSize(path) != nil
    }

    /// The size of the regular file at `path` when this process can open it for reading (checked
    /// by opening it, without blocking); nil for anything else.
    public static func readableFileSize(_ path: String) -> Int64? {
        guard let file = try? FileDescriptor.open(path, .readOnly), let status = try? file.status(),
            status.kind == .regular
        else { return nil }
        return status.size
    }

    /// Makes writes fail with an error instead of killing the process: `SIGPIPE` (a closed
    /// pipe or connection) and `SIGXFSZ` (a file-size limit, `ulimit -f`) are ignored, so
    /// `write` returns `EPIPE` or a short count / `EFBIG`, which callers report.
    public static func ignoreWriteSignals() {
        signal(SIGPIPE, SIG_IGN)
        signal(SIGXFSZ, SIG_IGN)
    }

    /// The contents of `path`, or nil when it cannot be read (missing, not a regular file,
    /// too large). Follows a symbolic link.
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
