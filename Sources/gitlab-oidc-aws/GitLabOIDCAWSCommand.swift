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
            HookCommand.self, CheckCommand.self, ExplainCommand.self, TrustPolicyCommand.self, VersionCommand.self,
        ]
    )
}

/// Options shared by every command that reads the mapping file.
struct ConfigOption: ParsableArguments {
    @Option(name: .long, help: "The mapping file.")
    var config: String = "/etc/gitlab-runner/oidc-aws.toml"
}

/// Runs `body`, printing any error and exiting with its status.
func runReportingErrors(_ body: () throws -> Int32) throws {
    let status: Int32
    do {
        status = try body()
    } catch let error as ExitCode {
        throw error
    } catch {
        Console.error(error)
        throw ExitCode(ExitStatus.code(for: error))
    }
    if status != 0 { throw ExitCode(status) }
}

func processEnvironment(_ name: String) -> String? {
    guard let value = getenv(name) else { return nil }
    return String(cString: value)
}

struct HookCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hook",
        abstract: "The runner's pre-build hook: append AWS credentials for this job to $GITLAB_ENV.",
        discussion: """
            Exit status: 0 credentials written or nothing to do; 1 the job wanted credentials and \
            could not get them; 2 the mapping file is invalid or there is no env file; 64 bad usage.
            """
    )

    @OptionGroup var options: ConfigOption

    @Option(name: .long, help: "The job environment file (default: $GITLAB_ENV).")
    var envFile: String?

    func run() throws {
        try runReportingErrors {
            _ = try Hook.run(
                HookContext(
                    configPath: options.config, envFileOverride: envFile, environment: processEnvironment,
                    log: Console.log))
            return 0
        }
    }
}

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate the mapping file; print errors and warnings with line numbers.",
        discussion: "Exit status: 0 valid (warnings allowed), 2 invalid, 64 bad usage."
    )

    @OptionGroup var options: ConfigOption

    func run() throws {
        try runReportingErrors {
            let loaded = try MappingLoader.load(path: options.config)
            for warning in loaded.warnings { Console.print(warning.description) }
            Console.print("\(options.config): valid, \(loaded.mapping.rules.count) rules")
            return 0
        }
    }
}

struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Say which rule matches a token (or given claims) and why earlier rules did not."
    )

    @OptionGroup var options: ConfigOption

    @Option(name: .long, help: "A file holding an ID token; it is verified like `hook` does.")
    var tokenFile: String?

    @Option(name: .long, help: "A claim as KEY=VALUE (repeatable), instead of a token.")
    var claim: [String] = []

    @Flag(name: .long, help: "With --token-file: decode the token without verifying it.")
    var noVerify = false

    func validate() throws {
        if (tokenFile == nil) == claim.isEmpty {
            throw ValidationError("give either --token-file or at least one --claim KEY=VALUE")
        }
    }

    func run() throws {
        try runReportingErrors {
            let mapping = try MappingLoader.load(path: options.config).mapping
            let claims: Claims
            if let tokenFile {
                let token = try FileSystem.readText(tokenFile, limit: 64 << 10).trimmingCharacters()
                if noVerify {
                    claims = try JWT(token).claims
                } else {
                    claims = try HookSession(mapping: mapping, environment: processEnvironment, log: Console.log)
                        .verifier().verify(token).claims
                }
            } else {
                var pairs: [(String, String)] = []
                for item in claim {
                    guard let equals = item.firstIndex(of: "="), equals != item.startIndex else {
                        throw UsageError(description: "--claim \"\(item)\" is not KEY=VALUE")
                    }
                    pairs.append((String(item[..<equals]), String(item[item.index(after: equals)...])))
                }
                claims = Claims(strings: pairs)
            }
            let report = Explanation(mapping: mapping, claims: claims)
            Console.print(report.text)
            return report.winner == nil ? 1 : 0
        }
    }
}

struct TrustPolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trust-policy",
        abstract: "Print the IAM trust policy each mapped role needs."
    )

    @OptionGroup var options: ConfigOption

    @Option(name: .long, help: "Only this role's policy.")
    var role: String?

    func run() throws {
        try runReportingErrors {
            let mapping = try MappingLoader.load(path: options.config).mapping
            Console.print(try TrustPolicy.render(mapping: mapping, role: role))
            return 0
        }
    }
}

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print the version.")

    func run() {
        Console.print("gitlab-oidc-aws \(gitlabOIDCAWSVersion)")
    }
}

extension String {
    func trimmingCharacters() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...lastIndex(where: { !isSpace($0) })!])
    }
}
