import ArgumentParser
import GitLabOIDCAWS

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
