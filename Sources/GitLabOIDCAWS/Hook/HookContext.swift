/// The job's environment variables, as the hook sees them: looked up by name, and listed
/// (for the tokenless check, which looks at every value).
public struct JobEnvironment {
    /// The value of a variable; nil when unset.
    public let lookup: (String) -> String?
    /// Every variable, in no particular order.
    public let variables: () -> [(name: String, value: String)]

    public init(lookup: @escaping (String) -> String?, variables: @escaping () -> [(name: String, value: String)]) {
        self.lookup = lookup
        self.variables = variables
    }

    /// An environment holding exactly `variables`.
    public init(_ variables: [String: String]) {
        self.init(lookup: { variables[$0] }, variables: { variables.map { (name: $0.key, value: $0.value) } })
    }

    /// The variable's value, with set-but-empty counted as unset.
    public func value(_ name: String) -> String? {
        guard let value = lookup(name), !value.isEmpty else { return nil }
        return value
    }
}

/// The file operations of a hook run. Every path in the job's reach is hostile: the job
/// controls the env file, the job folder and what is in them.
public protocol JobFileAccess {
    /// The bytes of a regular file, at most `limit` of them; nil when it is missing, not a
    /// regular file (a FIFO must not block the hook), larger, or unreadable.
    func readJobFile(_ path: String, limit: Int) -> [UInt8]?
    /// Appends `text` to the env file in place with one write, taking back a short write.
    func appendToEnvFile(_ text: String, path: String) throws(OutputError)
    /// Replaces `path` atomically with `bytes`, mode 0600.
    func writeJobFile(_ bytes: [UInt8], to path: String) throws(FileError)
    /// Creates the job folder (and missing parents) with mode 0700.
    func makeJobFolder(_ path: String) throws(FileError)
}

/// `JobFileAccess` on the local file system, through `FileSystem` and `EnvFile`.
public struct LocalJobFiles: JobFileAccess {
    public init() {}

    public func readJobFile(_ path: String, limit: Int) -> [UInt8]? {
        guard FileSystem.isReadableFile(path) else { return nil }
        return FileSystem.contentsIfReadable(path, limit: limit)
    }

    public func appendToEnvFile(_ text: String, path: String) throws(OutputError) {
        try EnvFile.append(text, to: path)
    }

    public func writeJobFile(_ bytes: [UInt8], to path: String) throws(FileError) {
        try FileSystem.writeAtomically(bytes, to: path, mode: 0o600)
    }

    public func makeJobFolder(_ path: String) throws(FileError) {
        try FileSystem.makeDirectories(path, mode: 0o700)
    }
}

/// Everything a hook run gets from outside: its arguments and every adapter. Nothing below
/// it reads process state; the executable builds the real one.
public struct HookContext {
    /// `--config`.
    public var configPath: String
    /// `--env-file`; nil: `$GITLAB_ENV`.
    public var envFileOverride: String?
    public var environment: JobEnvironment
    public var clock: Clock
    /// Sends every HTTP request of the run.
    public var transport: any HTTPTransport
    public var files: any JobFileAccess
    /// Gets every line meant for the job log (stderr); never given a secret.
    public var log: (String) -> Void
    /// The absolute path of this program, which `output = "profile"` writes into the AWS
    /// config file; nil when it cannot be known.
    public var executablePath: String?
    /// Relative paths (`--config`, `--env-file`) are taken from here.
    public var workingDirectory: String
    /// Reads the mapping file at a path; tests give mappings built in code instead.
    public var loadMapping: (_ path: String) throws(ConfigError) -> Mapping = { (path) throws(ConfigError) in
        try MappingLoader.load(path: path, rules: .document).mapping
    }

    public init(
        configPath: String, envFileOverride: String?, environment: JobEnvironment, clock: Clock,
        transport: any HTTPTransport, files: any JobFileAccess = LocalJobFiles(), log: @escaping (String) -> Void,
        executablePath: String?, workingDirectory: String
    ) {
        self.configPath = configPath
        self.envFileOverride = envFileOverride
        self.environment = environment
        self.clock = clock
        self.transport = transport
        self.files = files
        self.log = log
        self.executablePath = executablePath
        self.workingDirectory = workingDirectory
    }
}
