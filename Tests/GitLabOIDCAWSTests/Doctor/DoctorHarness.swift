import GitLabOIDCAWSTestSupport
import Glibc

@testable import GitLabOIDCAWS

/// Files for `doctor` in memory: their contents by path, the state of cache folders, and
/// every path read.
final class FakeDoctorFiles: DoctorFileAccess {
    var contents: [String: String] = [:]
    var cacheFolders: [String: CacheFolderState] = [:]
    private(set) var reads: [String] = []

    func read(_ path: String, limit: Int) throws(FileError) -> [UInt8] {
        reads.append(path)
        guard let text = contents[path] else { throw FileError(path: path, operation: "open", code: ENOENT) }
        return Array(text.utf8)
    }

    func cacheFolderState(_ path: String) -> CacheFolderState {
        cacheFolders[path] ?? .writable
    }
}

/// The real file system, except that the token file of `DoctorHarness.giveToken` is in memory.
struct LocalFilesWithToken: DoctorFileAccess {
    let token: String

    func read(_ path: String, limit: Int) throws(FileError) -> [UInt8] {
        path == "/tmp/token.jwt" ? Array(token.utf8) : try LocalDoctorFiles().read(path, limit: limit)
    }

    func cacheFolderState(_ path: String) -> CacheFolderState { LocalDoctorFiles().cacheFolderState(path) }
}

/// One `doctor` run in process: the fixtures' issuer on a fake transport, a manual clock,
/// files in memory (a system CA bundle of three certificates), a mapping built in code (or a
/// loader error), and the log.
final class DoctorHarness {
    static let systemCAFile = "/etc/ssl/certs/ca-certificates.crt"
    static let deployRole = "arn:aws:iam::111122223333:role/deploy"

    let transport = FakeTransport()
    let clock = ManualClock()
    var files = FakeDoctorFiles()
    /// The mapping the run loads; nil: `configError` is thrown instead.
    var mapping: Mapping?
    var configError = ConfigError(diagnostics: [
        ConfigDiagnostic(
            file: "/etc/gitlab-runner/oidc-aws.toml", line: 3, severity: .error, message: "unknown key `regoin`")
    ])
    var warnings = 0
    var variables: [String: String] = ["HOME": "/home/runner"]
    var tokenFile: String?
    var trust = TrustSetup(
        baseCAFile: nil, bundleRoot: nil, libcurlCAFile: DoctorHarness.systemCAFile, libcurlCAFolder: "/etc/ssl/certs")
    var workingDirectory = "/home/runner"
    private(set) var logged: [String] = []

    /// Rule 1 `deploy` for group/project, with `change` applied.
    static func mapping(_ change: (inout Mapping) -> Void = { _ in }) -> Mapping {
        var mapping = MappingFixtures.mapping([
            Rule(
                number: 1, line: 10, name: "deploy", role: MappingFixtures.role("deploy"),
                conditions: [MappingFixtures.condition("project_path", "group/project", line: 11)])
        ])
        change(&mapping)
        return mapping
    }

    /// PEM text with `count` certificates.
    static func pem(_ count: Int) -> String {
        String(repeating: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", count: count)
    }

    init(mapping: Mapping? = DoctorHarness.mapping()) {
        self.mapping = mapping
        IssuerAnswers.serve(on: transport)
        files.contents[DoctorHarness.systemCAFile] = DoctorHarness.pem(3)
    }

    /// Scripts the STS endpoint: its answer to the probe, then `answers` in order.
    func serveSTS(
        _ endpoint: String = STSAnswers.defaultEndpoint,
        probe: HTTPResponse = STSAnswers.error("MissingAuthenticationToken", status: 403),
        then answers: HTTPResponse...
    ) {
        transport.queue(endpoint, .response(probe))
        for answer in answers { transport.queue(endpoint, .response(answer)) }
    }

    /// A job's token in a file, for `--token-file`.
    func giveToken(_ token: String = TokenFixtures.main) {
        tokenFile = "/tmp/token.jwt"
        files.contents["/tmp/token.jwt"] = token + "\n"
    }

    var context: DoctorContext {
        var context = DoctorContext(
            configPath: "/etc/gitlab-runner/oidc-aws.toml", tokenFile: tokenFile,
            environment: JobEnvironment(variables),
            clock: clock.clock, transport: transport, files: files, trust: trust,
            log: { [unowned self] in logged.append($0) }, executablePath: "/usr/local/bin/gitlab-oidc-aws",
            workingDirectory: workingDirectory)
        let mapping = mapping
        let configError = configError
        let warnings = warnings
        context.loadMapping = { _ throws(ConfigError) in
            guard let mapping else { throw configError }
            return DoctorMapping(mapping: mapping, warnings: warnings)
        }
        return context
    }

    func run() -> DoctorReport {
        Doctor.run(context)
    }
}

extension DoctorReport {
    /// The check called `name`; the first one when there are several.
    func check(_ name: String) -> DoctorCheck? {
        checks.first { $0.name == name }
    }

    /// Every check called `name`.
    func all(_ name: String) -> [DoctorCheck] {
        checks.filter { $0.name == name }
    }

    var names: [String] { checks.map(\.name) }
}
