import ArgumentParser
import GitLabOIDCAWS

struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Say which rule matches a token (or given claims) and why earlier rules did not.",
        discussion: """
            For each rule tried, in order, prints the first condition that failed with the \
            claim's value and the wanted patterns; then the winning rule's role, session name, \
            duration, region, output, the sub AWS will see, and whether the trust policy \
            `trust-policy` prints for the role admits that sub.

            Exit status: 0 a rule matches, 1 no rule matches or the token file cannot be read \
            or fails verification, 2 invalid mapping file, 64 bad usage.
            """
    )

    enum Format: String, CaseIterable, ExpressibleByArgument {
        case text
        case json
    }

    @OptionGroup var options: ConfigOption

    @Option(name: .long, help: "A file holding an ID token; it is verified like `hook` does.")
    var tokenFile: String?

    @Option(name: .long, help: "A claim as KEY=VALUE (repeatable), instead of a token.")
    var claim: [String] = []

    @Flag(name: .long, help: "With --token-file: decode the token without verifying it.")
    var noVerify = false

    @Option(name: .long, help: "Output format: text or json.")
    var format: Format = .text

    func validate() throws {
        if (tokenFile == nil) == claim.isEmpty {
            throw ValidationError("give either --token-file or at least one --claim KEY=VALUE")
        }
        if noVerify && tokenFile == nil {
            throw ValidationError("--no-verify only applies to --token-file")
        }
        var names: Set<String> = []
        for item in claim {
            guard let equals = item.firstIndex(of: "="), equals != item.startIndex else {
                throw ValidationError("--claim \"\(item)\" is not KEY=VALUE")
            }
            guard names.insert(String(item[..<equals])).inserted else {
                throw ValidationError("--claim \(item[..<equals]) is given twice; a token has each claim once")
            }
        }
    }

    func run() throws {
        try runReportingErrors(
            { () throws(AdminFailure) -> Int32 in
                let mapping: Mapping
                do throws(ConfigError) {
                    mapping = try MappingLoader.load(path: options.config).mapping
                } catch {
                    throw .configuration(error)
                }
                warnAboutUnknownClaims(mapping: mapping)
                let report = Explanation(mapping: mapping, claims: try claims(mapping: mapping))
                switch format {
                case .text: Console.print(report.text)
                case .json: Console.print(report.json.prettyText)
                }
                return report.winner == nil ? ExitStatus.noRuleMatches : 0
            },
            report: { failure in
                Console.error(failure)
                if case .token(.expired) = failure, !noVerify {
                    Console.log(
                        "hint: to see which rule the token would have matched, run explain again with --no-verify (it only decodes the token)"
                    )
                }
            })
    }

    /// One line on stderr for each `--claim` name that GitLab does not send and no rule
    /// tests, with the claim it probably meant: rules only match claims they name.
    private func warnAboutUnknownClaims(mapping: Mapping) {
        let tested = Set(mapping.rules.flatMap { $0.conditions.map(\.claim) })
        for item in claim {
            let name = String(item[..<(item.firstIndex(of: "=") ?? item.endIndex)])
            guard !ClaimNames.known.contains(name), !tested.contains(name) else { continue }
            var line = "warning: --claim \(name): GitLab sends no claim of that name and no rule tests it"
            if let suggestion = Suggestion.closest(to: name, among: ClaimNames.known) {
                line += "; did you mean \(suggestion)?"
            }
            Console.log(line)
        }
    }

    /// The claims to explain: from `--token-file` (verified unless `--no-verify`) or `--claim`.
    private func claims(mapping: Mapping) throws(AdminFailure) -> Claims {
        guard let tokenFile else {
            return Claims(
                strings: claim.map { item in
                    let equals = item.firstIndex(of: "=")!
                    return (String(item[..<equals]), String(item[item.index(after: equals)...]))
                })
        }
        let token: String
        do throws(FileError) {
            token = try FileSystem.readText(tokenFile, limit: 64 << 10).trimmingSpaces
        } catch {
            throw .tokenFile(error)
        }
        do throws(TokenError) {
            if noVerify { return try JWT(token).claims }
            let session = HookSession(
                mapping: mapping, transport: CurlTransport(environment: ProcessState.variable), clock: .system,
                environment: ProcessState.variable, log: Console.log)
            return try session.verifier().verify(token).claims
        } catch {
            throw .token(error)
        }
    }
}
