import Glibc

/// The error number of a failed system call (`errno`), e.g. `ENOENT`.
public struct Errno: Error, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int32

    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// The calling thread's `errno`, read right after a call failed.
    static var current: Errno { Errno(rawValue: errno) }

    /// The system's text, e.g. "No such file or directory".
    public var description: String { String(cString: strerror(rawValue)) }
}

/// What a path names, as `fstat` sees it.
public enum FileKind: Sendable, Equatable, CustomStringConvertible {
    case regular
    case directory
    case fifo
    case socket
    case characterDevice
    case blockDevice
    case symbolicLink
    case unknown

    init(mode: mode_t) {
        switch mode & S_IFMT {
        case S_IFREG: self = .regular
        case S_IFDIR: self = .directory
        case S_IFIFO: self = .fifo
        case S_IFSOCK: self = .socket
        case S_IFCHR: self = .characterDevice
        case S_IFBLK: self = .blockDevice
        case S_IFLNK: self = .symbolicLink
        default: self = .unknown
        }
    }

    /// `a FIFO (named pipe)`, `a directory`, ... for messages.
    public var description: String {
        switch self {
        case .regular: return "a regular file"
        case .directory: return "a directory"
        case .fifo: return "a FIFO (named pipe)"
        case .socket: return "a socket"
        case .characterDevice: return "a character device"
        case .blockDevice: return "a block device"
        case .symbolicLink: return "a symbolic link"
        case .unknown: return "not a file"
        }
    }
}

/// What `fstat` says about an open file.
struct FileStatus: Equatable, Sendable {
    let kind: FileKind
    /// Bytes, for a regular file.
    let size: Int64
    let owner: uid_t
    /// The permission bits (`st_mode & 0o7777`).
    let permissions: mode_t
    let device: UInt64
    let inode: UInt64
}

/// The few system calls the hook makes on files, in one place: every call that can be
/// interrupted by a signal is retried on `EINTR` here (`SystemCall.retrying`), and every
/// failure comes back as an `Errno`. Nothing else in the code calls `open`, `read`, `write`
/// or `stat` on a path.
enum SystemCall {
    /// Runs `call` again while it fails with `EINTR`; throws `errno` for any other failure
    /// (a result of -1).
    static func retrying<Result: BinaryInteger>(_ call: () -> Result) throws(Errno) -> Result {
        while true {
            let result = call()
            if result != -1 { return result }
            let failure = Errno.current
            if failure.rawValue != EINTR { throw failure }
        }
    }

    static func rename(_ from: String, _ to: String) throws(Errno) {
        _ = try retrying { Glibc.rename(from, to) }
    }

    static func unlink(_ path: String) throws(Errno) {
        _ = try retrying { Glibc.unlink(path) }
    }

    static func makeDirectory(_ path: String, mode: mode_t) throws(Errno) {
        _ = try retrying { Glibc.mkdir(path, mode) }
    }
}

/// An open file descriptor, closed when the object goes away. Always opened with
/// `O_CLOEXEC` (no child process inherits it), `O_NOCTTY` (a terminal never becomes the
/// process's controlling terminal) and `O_NONBLOCK` (opening a FIFO never waits for the
/// other end; it changes nothing for regular files).
final class FileDescriptor {
    enum Access {
        case readOnly, writeOnly, readWrite

        var flags: Int32 {
            switch self {
            case .readOnly: return O_RDONLY
            case .writeOnly: return O_WRONLY
            case .readWrite: return O_RDWR
            }
        }
    }

    struct Options: OptionSet {
        let rawValue: Int32
        /// `O_CREAT`: create the file when missing.
        static let create = Options(rawValue: O_CREAT)
        /// `O_EXCL`: with `create`, fail when the path exists (a link included).
        static let exclusive = Options(rawValue: O_EXCL)
        /// `O_APPEND`: every write goes to the end of the file.
        static let append = Options(rawValue: O_APPEND)
        /// `O_NOFOLLOW`: fail with `ELOOP` when the last part of the path is a symbolic link.
        static let noFollow = Options(rawValue: O_NOFOLLOW)
    }

    let rawValue: Int32

    private init(rawValue: Int32) { self.rawValue = rawValue }

    /// Opens `path`; `mode` applies when `options` has `create`.
    static func open(_ path: String, _ access: Access, options: Options = [], mode: mode_t = 0o600) throws(Errno)
        -> FileDescriptor
    {
        let flags = access.flags | options.rawValue | O_CLOEXEC | O_NOCTTY | O_NONBLOCK
        return FileDescriptor(rawValue: try SystemCall.retrying { Glibc.open(path, flags, mode) })
    }

    deinit {
        // Not retried: on Linux the descriptor is gone even when close reports EINTR.
        Glibc.close(rawValue)
    }

    func status() throws(Errno) -> FileStatus {
        var status = stat()
        _ = try SystemCall.retrying { fstat(rawValue, &status) }
        return FileStatus(
            kind: FileKind(mode: status.st_mode), size: Int64(status.st_size), owner: status.st_uid,
            permissions: status.st_mode & 0o7777, device: UInt64(status.st_dev), inode: UInt64(status.st_ino))
    }

    /// Reads up to `buffer.count` bytes; 0 at the end of the file.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        return try SystemCall.retrying { Glibc.read(rawValue, base, buffer.count) }
    }

    /// Up to `count` bytes at `offset`, without moving the file position.
    func read(count: Int, at offset: Int64) throws(Errno) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        let got = try SystemCall.retrying {
            bytes.withUnsafeMutableBytes { pread(rawValue, $0.baseAddress, $0.count, off_t(offset)) }
        }
        return Array(bytes.prefix(got))
    }

    /// One `write` call: returns how many bytes the kernel took, which can be fewer.
    func writeOnce(_ bytes: ArraySlice<UInt8>) throws(Errno) -> Int {
        if bytes.isEmpty { return 0 }
        return try SystemCall.retrying { bytes.withUnsafeBytes { Glibc.write(rawValue, $0.baseAddress, $0.count) } }
    }

    /// Writes every byte, going on after short writes.
    func writeAll(_ bytes: [UInt8]) throws(Errno) {
        var offset = 0
        while offset < bytes.count {
            let written = try writeOnce(bytes[offset...])
            if written == 0 { throw Errno(rawValue: EIO) }
            offset += written
        }
    }

    func truncate(to size: Int64) throws(Errno) {
        _ = try SystemCall.retrying { ftruncate(rawValue, off_t(size)) }
    }

    func synchronize() throws(Errno) {
        _ = try SystemCall.retrying { fsync(rawValue) }
    }

    func setPermissions(_ mode: mode_t) throws(Errno) {
        _ = try SystemCall.retrying { fchmod(rawValue, mode) }
    }
}
