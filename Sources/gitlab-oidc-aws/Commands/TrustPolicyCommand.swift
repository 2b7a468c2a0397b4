import ArgumentParser
import GitLabOIDCAWS

extension TrustPolicy.Format: ExpressibleByArgument {}

struct TrustPolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trust-policy",
        abstract: "Print the IAM trust policy each mapped role needs.",
        discussion: """
            With --role, prints that role's policy document; without, a JSON object from each \
            mapped role's ARN to its document (or, with --format terraform, one \
            aws_iam_policy_document data source per role). On stderr, one note per condition \
            the policy cannot enforce (AWS tests only sub and aud of GitLab tokens) and per \
            place where IAM's * admits more than the rule's *, as FILE:LINE: note: message.

            Exit status: 0 printed, 1 --role names a role no rule maps, 2 invalid mapping \
            file, 64 bad usage.
            """
    )

    @OptionGroup var options: ConfigOption

    @Option(name: .long, help: "Only this role's policy (an IAM role ARN).")
    var role: String?

    @Option(name: .long, help: "Output format: json or terraform.")
    var format: TrustPolicy.Format = .json

    func validate() throws {
        if let role, RoleARN(role) == nil {
            throw ValidationError("--role \"\(role)\" is not an IAM role ARN like arn:aws:iam::111122223333:role/deploy")
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
                let rendered: TrustPolicy.Rendered
                do throws(UnmappedRoleError) {
                    rendered = try TrustPolicy.render(mapping: mapping, role: role, format: format)
                } catch {
                    throw .unmappedRole(error)
                }
                Console.print(rendered.text)
                for note in rendered.notes { Console.report(note.description) }
                return 0
            }, report: Console.error)
    }
}
