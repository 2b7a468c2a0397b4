import ArgumentParser
import GitLabOIDCAWS

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
