import Glibc

/// Where the CA certificates of HTTPS calls come from in this process (see `TrustStore`):
/// what the CA check reports. The executable fills it in; tests give their own.
public struct TrustSetup: Equatable, Sendable {
    /// The CA file that stands for the system store (`TrustStore.current`): set in the
    /// container bundle (the image's CA bundle, or the bundle's own), nil for the host binary.
    public var baseCAFile: String?
    /// The bundle's folder (`ContainerBundle.root`); nil for the host binary.
    public var bundleRoot: String?
    /// libcurl's built-in CA file, the host binary's system store, when libcurl reports it.
    public var libcurlCAFile: String?
    /// libcurl's built-in CA folder, when libcurl reports one.
    public var libcurlCAFolder: String?

    public init(baseCAFile: String?, bundleRoot: String?, libcurlCAFile: String?, libcurlCAFolder: String?) {
        self.baseCAFile = baseCAFile
        self.bundleRoot = bundleRoot
        self.libcurlCAFile = libcurlCAFile
        self.libcurlCAFolder = libcurlCAFolder
    }
}

/// Whether a folder can take the key-set cache.
public enum CacheFolderState: Equatable, Sendable {
    /// An existing folder this process may write in.
    case writable
    /// Missing; the hook would create it inside `parent`, which it may write in.
    case creatable(parent: String)
    /// Neither, and why.
    case unusable(String)
}

/// The file reads of `doctor`, which never writes a file.
public protocol DoctorFileAccess {
    /// The bytes of a file (regular files and pipes), at most `limit` of them.
    func read(_ path: String, limit: Int) throws(FileError) -> [UInt8]
    /// Whether `path` can hold the key-set cache, without creating anything.
    func cacheFolderState(_ path: String) -> CacheFolderState
}

/// `DoctorFileAccess` on the local file system.
public struct LocalDoctorFiles: DoctorFileAccess {
    public init() {}

    public func read(_ path: String, limit: Int) throws(FileError) -> [UInt8] {
        try FileSystem.read(path, limit: limit)
    }

    public func cacheFolderState(_ path: String) -> CacheFolderState {
        var status = stat()
        if stat(path, &status) == 0 {
            guard (status.st_mode & S_IFMT) == S_IFDIR else { return .unusable("\(path) is not a folder") }
            guard access(path, W_OK | X_OK) == 0 else {
                return .unusable("this user (uid \(getuid())) may not write in \(path)")
            }
            return .writable
        }
        guard errno == ENOENT else { return .unusable(FileError(path: path, operation: "stat").description) }
        var parent = path
        while let slash = parent.lastIndex(of: "/") {
            parent = slash == parent.startIndex ? "/" : String(parent[..<slash])
            if stat(parent, &status) == 0 {
                guard (status.st_mode & S_IFMT) == S_IFDIR, access(parent, W_OK | X_OK) == 0 else {
                    return .unusable(
                        "\(path) is missing and this user (uid \(getuid())) may not create it in \(parent)")
                }
                return .creatable(parent: parent)
            }
            if parent == "/" { break }
        }
        return .unusable("\(path) is missing and no folder above it exists")
    }
}

/// The mapping as `doctor` sees it: the loaded mapping and how many warnings `check` finds.
public struct DoctorMapping: Sendable {
    public let mapping: Mapping
    public let warnings: Int

    public init(mapping: Mapping, warnings: Int) {
        self.mapping = mapping
        self.warnings = warnings
    }
}

/// Everything a `doctor` run gets from outside: its arguments and every adapter. The
/// executable builds the real one; tests give a fake transport, a manual clock, a job
/// environment and mappings built in code.
public struct DoctorContext {
    /// `--config`.
    public var configPath: String
    /// `--token-file`: a job's ID token, for one real exchange.
    public var tokenFile: String?
    /// The process environment: proxy variables, `HOME` and `XDG_CACHE_HOME` for the cache.
    public var environment: JobEnvironment
    public var clock: Clock
    /// Sends every HTTP request of the run.
    public var transport: any HTTPTransport
    public var files: any DoctorFileAccess
    public var trust: TrustSetup
    /// Gets the retry lines of network calls (stderr); never given a secret.
    public var log: (String) -> Void
    /// This program, which `output = "profile"` names in the AWS config file.
    public var executablePath: String?
    /// Relative paths are taken from here.
    public var workingDirectory: String
    /// Loads the mapping file as `check` does; tests give mappings built in code.
    public var loadMapping: (_ path: String) throws(ConfigError) -> DoctorMapping = { path throws(ConfigError) in
        let loaded = try MappingLoader.load(path: path)
        return DoctorMapping(mapping: loaded.mapping, warnings: MappingCheck.findings(loaded).count)
    }

    public init(
        configPath: String, tokenFile: String?, environment: JobEnvironment, clock: Clock,
        transport: any HTTPTransport, files: any DoctorFileAccess = LocalDoctorFiles(), trust: TrustSetup,
        log: @escaping (String) -> Void, executablePath: String?, workingDirectory: String
    ) {
        self.configPath = configPath
        self.tokenFile = tokenFile
        self.environment = environment
        self.clock = clock
        self.transport = transport
        self.files = files
        self.trust = trust
        self.log = log
        self.executablePath = executablePath
        self.workingDirectory = workingDirectory
    }
}
