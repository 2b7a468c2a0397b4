/// STS `GetCallerIdentity`, signed with SigV4: the account `audit`'s credentials act in.
///
/// IAM's `GetRole` takes a role *name* and answers about the caller's own account, so a
/// role of another account would look missing (or like another role); `audit` asks STS
/// first and reports such roles as not readable with these credentials.
public struct CallerIdentity: Equatable, Sendable {
    /// The 12-digit account.
    public let account: String
    /// `arn:aws:sts::111122223333:assumed-role/auditor/session`, `arn:aws:iam::...:user/name`.
    public let arn: String

    public init(account: String, arn: String) {
        self.account = account
        self.arn = arn
    }

    /// The partition named by `arn` (`aws`, `aws-cn`, `aws-us-gov`).
    public var partition: String {
        let fields = arn.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
        return fields.count == 3 ? String(fields[1]) : "aws"
    }

    /// STS's global endpoint of a partition and the region its requests are signed for;
    /// `override` replaces the URL.
    public static func endpoint(partition: String, override: String?) -> (url: String, region: String) {
        let (url, region): (String, String)
        switch partition {
        case "aws-cn": (url, region) = ("https://sts.cn-north-1.amazonaws.com.cn/", "cn-north-1")
        case "aws-us-gov": (url, region) = ("https://sts.us-gov-west-1.amazonaws.com/", "us-gov-west-1")
        default: (url, region) = ("https://sts.amazonaws.com/", "us-east-1")
        }
        if let override, !override.isEmpty { return (override, region) }
        return (url, region)
    }

    /// The form body of the request.
    public static let requestBody = STS.formEncode([("Action", "GetCallerIdentity"), ("Version", STS.apiVersion)])

    /// Asks STS at `endpoint` who `credentials` belong to (SigV4, service `sts`, `region`),
    /// with retries as for the hook's STS calls.
    public static func fetch(
        endpoint: String, region: String, credentials: SigV4.Credentials, transport: any HTTPTransport,
        settings: TransportSettings, retrier: Retrier
    ) throws(STSError) -> CallerIdentity {
        let unsigned = HTTPRequest(
            url: endpoint, method: .post, headers: STS.formHeaders, body: Array(requestBody.utf8))
        return try retrier.run(
            "STS GetCallerIdentity",
            operation: { (timeout: Double) throws(STSError) -> CallerIdentity in
                let request = SigV4.sign(
                    unsigned, credentials: credentials, region: region, service: "sts", time: retrier.clock.now())
                let response: HTTPResponse
                do throws(TransportError) {
                    response = try transport.perform(request, settings: settings, timeout: timeout)
                } catch {
                    throw .transport(error)
                }
                return try parseAnswer(status: response.status, body: response.body)
            },
            classify: { error, attempt in error.retryDecision(afterAttempt: attempt) })
    }

    /// Reads a `GetCallerIdentity` answer.
    public static func parseAnswer(status: Int, body: [UInt8]) throws(STSError) -> CallerIdentity {
        let root: XMLElement
        do {
            root = try XMLElement.parse(body)
        } catch {
            throw .unexpectedAnswer(status: status, reason: STS.describeUnreadable(body, error))
        }
        if root.localName == "ErrorResponse" || root.localName == "Error" {
            let error = root.localName == "Error" ? root : root.child("Error")
            let requestID = root.child("RequestId")?.text ?? root.descendant("ResponseMetadata", "RequestId")?.text
            throw .service(
                status: status, code: error?.child("Code")?.text.trimmingSpaces ?? "UnknownError",
                message: error?.child("Message")?.text ?? "", requestID: requestID)
        }
        guard (200..<300).contains(status), root.localName.lowercased() != "html" else {
            throw .unexpectedAnswer(status: status, reason: STS.describeOther(root, service: "STS"))
        }
        guard root.localName == "GetCallerIdentityResponse", let result = root.child("GetCallerIdentityResult") else {
            throw .unexpectedAnswer(
                status: status, reason: "no GetCallerIdentityResult in <\(LogText.oneLine(root.localName, limit: 64))>")
        }
        let account = result.child("Account")?.text.trimmingSpaces ?? ""
        guard AWSAccount.isValid(account) else {
            throw .unexpectedAnswer(status: status, reason: "GetCallerIdentityResult/Account is not a 12-digit account id")
        }
        let arn = result.child("Arn")?.text.trimmingSpaces ?? ""
        guard arn.hasPrefix("arn:"), arn.utf8.count <= 2048, !arn.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) else {
            throw .unexpectedAnswer(status: status, reason: "GetCallerIdentityResult/Arn is not an ARN")
        }
        return CallerIdentity(account: account, arn: arn)
    }
}
