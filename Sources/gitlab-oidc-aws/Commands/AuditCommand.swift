import ArgumentParser
import GitLabOIDCAWS

extension Audit.Format: ExpressibleByArgument {}

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Compare each mapped role's live IAM trust policy with the mapping.",
        discussion: """
            Reads every role the mapping assumes (with jobs' tokens or in chains) with IAM \
            GetRole, using the credentials in AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and \
            AWS_SESSION_TOKEN (it needs iam:GetRole; STS GetCallerIdentity tells it their \
            account), and compares each trust policy with the one `trust-policy` prints. Per \
            role: in line, admits more than the mapping (a statement and a request it accepts \
            that the mapping never makes), admits less (a request the mapping makes that IAM \
            would deny), could not be fully analysed (Deny statements, condition keys or \
            patterns audit does not model), missing, not readable with these credentials, or \
            could not be audited. Roles of other accounts are not readable: audit each \
            account with its own credentials and --account.

            Exit status: 0 every audited role is in line, 1 any role is not (or STS or IAM \
            cannot be reached, or --account names no mapped account), 2 invalid mapping file \
            or no credentials, 64 bad usage.
            """
    )

    @OptionGroup var options: ConfigOption

    @Option(
        name: .long,
        help: "IAM endpoint URL (default: $AWS_ENDPOINT_URL_IAM, else $AWS_ENDPOINT_URL, else https://iam.amazonaws.com/).")
    var endpointURL: String?

    @Option(
        name: .long,
        help: """
            STS endpoint URL for GetCallerIdentity (default: $AWS_ENDPOINT_URL_STS, else --endpoint-url or \
            $AWS_ENDPOINT_URL, else https://sts.amazonaws.com/).
            """)
    var stsEndpointURL: String?

    @Option(name: .long, help: "Audit only the roles of this 12-digit account.")
    var account: String?

    @Option(name: .long, help: "Output format: text or json.")
    var format: Audit.Format = .text

    /// The endpoints to use and where each came from: the options, else the variables AWS's
    /// SDKs read. Local stand-ins for AWS (moto, LocalStack) serve IAM and STS at one URL, so
    /// `--endpoint-url` and `AWS_ENDPOINT_URL` apply to STS too.
    func endpoints() -> (iam: (url: String, source: String)?, sts: (url: String, source: String)?) {
        func option(_ value: String?, _ name: String) -> (url: String, source: String)? { value.map { ($0, name) } }
        func variable(_ name: String) -> (url: String, source: String)? {
            ProcessState.variable(name).flatMap { $0.isEmpty ? nil : ($0, "$" + name) }
        }
        let everyService = option(endpointURL, "--endpoint-url") ?? variable("AWS_ENDPOINT_URL")
        let iam = option(endpointURL, "--endpoint-url") ?? variable("AWS_ENDPOINT_URL_IAM") ?? variable("AWS_ENDPOINT_URL")
        let sts = option(stsEndpointURL, "--sts-endpoint-url") ?? variable("AWS_ENDPOINT_URL_STS") ?? everyService
        return (iam, sts)
    }

    func validate() throws {
        if let account, !AWSAccount.isValid(account) {
            throw ValidationError("--account \"\(account)\" is not a 12-digit AWS account id")
        }
        let (iam, sts) = endpoints()
        for endpoint in [iam, sts].compactMap({ $0 }) {
            if case let .failure(problem) = EndpointURL.parse(endpoint.url) {
                throw ValidationError("\(endpoint.source) \"\(endpoint.url)\": \(problem)")
            }
        }
    }

    func run() throws {
        try runReportingErrors(
            { () throws(AuditFailure) -> Int32 in
                let mapping: Mapping
                do throws(ConfigError) {
                    mapping = try MappingLoader.load(path: options.config).mapping
                } catch {
                    throw .configuration(error)
                }
                let (iam, sts) = endpoints()
                let report: AuditReport
                do throws(AuditError) {
                    report = try Audit.run(
                        mapping: mapping, account: account, iamEndpoint: iam?.url, stsEndpoint: sts?.url,
                        environment: ProcessState.variable, transport: CurlTransport(environment: ProcessState.variable),
                        log: Console.log)
                } catch {
                    throw .audit(error)
                }
                switch format {
                case .text: Console.print(report.text)
                case .json: Console.print(report.json.prettyText)
                }
                return report.isInLine ? 0 : 1
            },
            report: { failure in
                switch failure {
                case let .configuration(error): Console.error(.configuration(error))
                case let .audit(error): Console.log("error: \(error)")
                }
            })
    }
}

/// What `audit` can end with besides its report.
enum AuditFailure: UserFacingError {
    case configuration(ConfigError)
    case audit(AuditError)

    var exitCategory: ExitCategory {
        switch self {
        case let .configuration(error): return error.exitCategory
        case let .audit(error): return error.exitCategory
        }
    }

    var responsibility: Responsibility { .runnerAdministrator }

    var description: String {
        switch self {
        case let .configuration(error): return error.description
        case let .audit(error): return error.description
        }
    }
}
