import ArgumentParser
import GitLabOIDCAWS
import Glibc

@main
struct GitLabOIDCAWSCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gitlab-oidc-aws",
        abstract: "Turns a GitLab CI job's OIDC ID token into short-lived AWS credentials.",
        discussion: """
            Install it as the runner's pre_build_script; see `gitlab-oidc-aws hook --help`.
            The mapping file says which project, branch or environment gets which IAM role.
            """,
        version: gitlabOIDCAWSVersion,
        subcommands: [
            HookCommand.self, CheckCommand.self, ExplainCommand.self, TrustPolicyCommand.self, AuditCommand.self,
            DoctorCommand.self, CredentialProcessCommand.self, VersionCommand.self,
        ]
    )
}

extension GitLabOIDCAWSCommand {
    /// Runs `hook` straight away when its arguments have the plain form of the runner's
    /// `pre_build_script`, and everything else through ArgumentParser. ArgumentParser finds
    /// a command's options by reflection, which in this statically linked binary scans the
    /// protocol conformance records of the whole Swift runtime: about a quarter of a hook run
    /// when it was measured (docs/performance.md). The hook then leaves through `finish`.
    static func main() {
        let arguments = CommandLine.arguments.dropFirst()
        if arguments.first == HookCommand.configuration.commandName,
            let plain = HookCommand.plainArguments(arguments.dropFirst())
        {
            finish(HookCommand.execute(config: plain.config, envFile: plain.envFile))
        }
        main(nil)
    }

    /// Flushes standard output and error and ends the process without running the libraries'
    /// exit handlers (OpenSSL's and libcurl's clean-up free memory the kernel reclaims anyway,
    /// at about a third of a millisecond per job). In a build with AddressSanitizer
    /// (`scripts/asan-test.sh`), whose leak check is such an exit handler, it runs that check
    /// first.
    static func finish(_ status: Int32) -> Never {
        fflush(nil)
        if let leakCheck = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "__lsan_do_leak_check") {
            unsafeBitCast(leakCheck, to: (@convention(c) () -> Void).self)()
        }
        _exit(status)
    }
}

/// Options shared by every command that reads the mapping file.
struct ConfigOption: ParsableArguments {
    /// The mapping file when `--config` is not given.
    static let defaultPath = "/etc/gitlab-runner/oidc-aws.toml"

    @Option(name: .long, help: "The mapping file.")
    var config: String = ConfigOption.defaultPath
}

/// Runs `body`; a failure is printed by `report` and ends the command with its exit status,
/// as does a status other than 0.
func runReportingErrors<Failure: UserFacingError>(
    _ body: () throws(Failure) -> Int32, report: (Failure) -> Void
) throws {
    FileSystem.ignoreWriteSignals()
    let status: Int32
    do throws(Failure) {
        status = try body()
    } catch {
        report(error)
        throw ExitCode(ExitStatus.code(for: error.exitCategory))
    }
    if status != 0 { throw ExitCode(status) }
}
