/// Temporary credentials returned by STS.
public struct AWSCredentials: Equatable, Sendable {
    public let accessKeyID: String
    public let secretAccessKey: String
    public let sessionToken: String
    /// Seconds since 1970.
    public let expiration: Int64
    /// `AssumedRoleUser/Arn`: `arn:aws:sts::<account>:assumed-role/<role>/<session>`.
    public let assumedRoleARN: String?

    public init(
        accessKeyID: String, secretAccessKey: String, sessionToken: String, expiration: Int64,
        assumedRoleARN: String?
    ) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.expiration = expiration
        self.assumedRoleARN = assumedRoleARN
    }

    /// The account the credentials belong to, from `assumedRoleARN`
    /// (`arn:<partition>:sts::<account>:assumed-role/...`); nil when STS did not say.
    public var account: String? {
        guard let arn = assumedRoleARN else { return nil }
        let parts = arn.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "arn", parts[2] == "sts", parts[4].utf8.count == 12,
            parts[4].utf8.allSatisfy({ $0 >= 48 && $0 <= 57 })
        else { return nil }
        return String(parts[4])
    }
}

/// STS refused the request, answered something unusable, or could not be reached.
public enum STSError: UserFacingError, Equatable, Sendable {
    /// An `ErrorResponse` from STS.
    case service(status: Int, code: String, message: String, requestID: String?)
    /// An answer that is not STS's XML (HTML error page, truncated or malformed XML).
    case unexpectedAnswer(status: Int, reason: String)
    /// The request never got an answer.
    case transport(TransportError)

    public var exitCategory: ExitCategory { .credentialsUnavailable }

    /// An expired token is the job's (a retry gets a new one); everything else is the trust
    /// setup in AWS, the mapping, or the network between the runner and STS.
    public var responsibility: Responsibility {
        if case .service(_, "ExpiredTokenException", _, _) = self { return .pipeline }
        return .runnerAdministrator
    }

    public var description: String {
        switch self {
        case let .service(status, code, message, requestID):
            // The server's words are shown cut short and on one line: they come from outside.
            var text = "STS refused AssumeRoleWithWebIdentity: \(LogText.oneLine(code, limit: 64)): "
            text += "\(LogText.oneLine(message, limit: 512)) (HTTP \(status)"
            if let requestID { text += ", request ID \(LogText.oneLine(requestID, limit: 64))" }
            text += ")"
            if let hint = STSError.hint(for: code) { text += ". \(hint)" }
            return text
        case let .unexpectedAnswer(status, reason):
            var text = "STS answered HTTP \(status) with something that is not an STS response (\(LogText.oneLine(reason, limit: 256)))"
            if status != 200 && status < 500 { text += "; check that `sts_endpoint` (or `region`) names an STS endpoint" }
            return text
        case let .transport(error):
            if case .tooLarge = error.kind { return "STS's answer was refused: \(error)" }
            return "cannot reach STS: \(error)"
        }
    }

    /// The description for the line of a failed attempt: without the endpoint's URL, which
    /// the final error names once.
    public var attemptSummary: String {
        guard case let .transport(error) = self else { return description }
        return error.attemptSummary
    }

    /// What a runner administrator should check for common refusals.
    static func hint(for code: String) -> String? {
        switch code {
        case "AccessDenied":
            return "Check the role's trust policy (`gitlab-oidc-aws trust-policy` prints what it needs) and that the IAM OIDC provider for the issuer exists"
        case "InvalidIdentityToken":
            return "AWS could not validate the token: check the IAM OIDC provider's URL and audience, and that AWS can reach the issuer's keys"
        case "ExpiredTokenException":
            return "The job's ID token expired; retry the job"
        case "MalformedPolicyDocument", "PackedPolicyTooLarge":
            return "Fix the rule's `session_policy` or `policy_arns`"
        case "ValidationError":
            return "Check the rule's role ARN, duration (at most the role's maximum session duration) and session name"
        default:
            return nil
        }
    }

    /// How many attempts an `InvalidIdentityToken` refusal gets in all. AWS answers it when
    /// it cannot fetch the issuer's keys, which a moment later may work; but it also means a
    /// token AWS will never accept (wrong provider URL or audience), so only a few attempts.
    public static let invalidIdentityTokenAttempts = 3

    /// Whether another attempt can help after failed attempt `attempt` (1-based): throttling,
    /// server errors, AWS failing to reach the issuer, and network failures are retried;
    /// refusals (`AccessDenied`, `ExpiredTokenException`, `MalformedPolicyDocument`,
    /// `ValidationError`, other client errors) are not.
    public func retryDecision(afterAttempt attempt: Int) -> RetryDecision {
        switch self {
        case let .service(status, code, _, _):
            switch code {
            case "InvalidIdentityToken":
                return attempt < STSError.invalidIdentityTokenAttempts ? .retry : .stop
            case "Throttling", "ThrottlingException", "RequestLimitExceeded", "IDPCommunicationError",
                "ServiceUnavailable", "InternalFailure", "RequestTimeout":
                return .retry
            default:
                return status >= 500 ? .retry : .stop
            }
        case let .unexpectedAnswer(status, _):
            // A 5xx page from a proxy or load balancer, or a success cut short: both pass.
            return status >= 500 || status == 200 ? .retry : .stop
        case let .transport(error):
            return error.isTransient ? .retry : .stop
        }
    }
}

/// The STS `AssumeRoleWithWebIdentity` call: request building, answer parsing, transport.
public enum STS {
    /// The commercial regions with a separate STS FIPS endpoint, `sts-fips.<region>.amazonaws.com`.
    public static let fipsRegions: Set<String> = ["us-east-1", "us-east-2", "us-west-1", "us-west-2"]

    /// Whether `region` has an STS endpoint validated under FIPS 140: the four `fipsRegions`
    /// and GovCloud, whose regular endpoints are FIPS endpoints.
    public static func hasFIPSEndpoint(region: String) -> Bool {
        fipsRegions.contains(region) || region.hasPrefix("us-gov-")
    }

    /// The endpoint for `region`: `https://sts.<region>.amazonaws.com/`,
    /// `https://sts.<region>.amazonaws.com.cn/` in China, and with `fips`
    /// `https://sts-fips.<region>.amazonaws.com/` (GovCloud: the regular endpoint, which is
    /// FIPS already). `override` wins when set. The mapping loader refuses `sts_fips` for a
    /// region without a FIPS endpoint, so `fips` is ignored for those.
    public static func endpoint(region: String, fips: Bool, override: String?) -> String {
        if let override, !override.isEmpty { return override }
        if region.hasPrefix("cn-") { return "https://sts.\(region).amazonaws.com.cn/" }
        if fips && fipsRegions.contains(region) { return "https://sts-fips.\(region).amazonaws.com/" }
        return "https://sts.\(region).amazonaws.com/"
    }

    /// The parameters of one AssumeRoleWithWebIdentity call.
    public struct Request: Equatable, Sendable {
        public var roleARN: String
        public var sessionName: String
        public var token: String
        public var duration: Int?
        public var policy: String?
        public var policyARNs: [String]

        public init(
            roleARN: String, sessionName: String, token: String, duration: Int? = nil, policy: String? = nil,
            policyARNs: [String] = []
        ) {
            self.roleARN = roleARN
            self.sessionName = sessionName
            self.token = token
            self.duration = duration
            self.policy = policy
            self.policyARNs = policyARNs
        }

        /// The form-encoded body.
        public var formBody: String {
            var fields: [(String, String)] = [
                ("Action", "AssumeRoleWithWebIdentity"), ("Version", "2011-06-15"), ("RoleArn", roleARN),
                ("RoleSessionName", sessionName), ("WebIdentityToken", token),
            ]
            if let duration { fields.append(("DurationSeconds", String(duration))) }
            if let policy { fields.append(("Policy", policy)) }
            for (index, arn) in policyARNs.enumerated() { fields.append(("PolicyArns.member.\(index + 1).arn", arn)) }
            return fields.map { "\(percentEncode($0.0))=\(percentEncode($0.1))" }.joined(separator: "&")
        }
    }

    /// Percent-encodes everything but RFC 3986's unreserved characters.
    public static func percentEncode(_ text: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var output: [UInt8] = []
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                output.append(byte)
            default:
                output += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 15)]]
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Reads an STS answer: credentials on success, `STSError` otherwise.
    public static func parseAnswer(status: Int, body: [UInt8]) throws(STSError) -> AWSCredentials {
        let root: XMLElement
        do {
            root = try XMLElement.parse(body)
        } catch {
            throw .unexpectedAnswer(status: status, reason: describeUnreadable(body, error))
        }
        if root.localName == "ErrorResponse" || root.localName == "Error" {
            let error = root.localName == "Error" ? root : root.child("Error")
            let code = error?.child("Code")?.text ?? "UnknownError"
            let message = error?.child("Message")?.text ?? ""
            let requestID = root.child("RequestId")?.text ?? root.descendant("ResponseMetadata", "RequestId")?.text
            throw .service(status: status, code: code, message: message, requestID: requestID)
        }
        guard (200..<300).contains(status) else {
            throw .unexpectedAnswer(status: status, reason: "an XML document that is not an STS error: <\(root.localName)>")
        }
        guard root.localName == "AssumeRoleWithWebIdentityResponse",
            let result = root.child("AssumeRoleWithWebIdentityResult"),
            let credentials = result.child("Credentials")
        else {
            throw .unexpectedAnswer(status: status, reason: "no AssumeRoleWithWebIdentityResult/Credentials in <\(root.localName)>")
        }
        func field(_ name: String) throws(STSError) -> String {
            guard let value = credentials.child(name)?.text.trimmingSpaces, !value.isEmpty else {
                throw .unexpectedAnswer(status: status, reason: "Credentials/\(name) is missing")
            }
            guard !value.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) else {
                throw .unexpectedAnswer(status: status, reason: "Credentials/\(name) contains control characters")
            }
            return value
        }
        let expirationText = try field("Expiration")
        guard let expiration = Timestamp.parse(expirationText) else {
            throw .unexpectedAnswer(status: status, reason: "Credentials/Expiration \"\(expirationText)\" is not a timestamp")
        }
        return AWSCredentials(
            accessKeyID: try field("AccessKeyId"), secretAccessKey: try field("SecretAccessKey"),
            sessionToken: try field("SessionToken"), expiration: expiration,
            assumedRoleARN: result.descendant("AssumedRoleUser", "Arn")?.text.trimmingSpaces)
    }

    /// Why `body` is not an STS document, in words an administrator can act on.
    static func describeUnreadable(_ body: [UInt8], _ error: XMLError) -> String {
        if body.isEmpty { return "an empty body" }
        if String(decoding: body.prefix(512), as: UTF8.self).lowercased().contains("<html") { return "an HTML page" }
        if error.offset >= body.count {
            return "truncated XML: the answer ends after \(body.count) bytes, inside the document"
        }
        return "malformed XML: \(error)"
    }

    /// Calls AssumeRoleWithWebIdentity at `endpoint` with retries.
    public static func assumeRole(
        _ request: Request, endpoint: String, transport: any HTTPTransport, settings: TransportSettings,
        retrier: Retrier
    ) throws(STSError) -> AWSCredentials {
        let httpRequest = HTTPRequest(
            url: endpoint, method: .post,
            headers: ["Content-Type: application/x-www-form-urlencoded; charset=utf-8", "Accept: text/xml"],
            body: Array(request.formBody.utf8))
        return try retrier.run(
            "STS AssumeRoleWithWebIdentity",
            operation: { (timeout: Double) throws(STSError) -> AWSCredentials in
                let response = try transport.send(
                    httpRequest, settings: settings, timeout: timeout, failingWith: STSError.transport)
                return try parseAnswer(status: response.status, body: response.body)
            },
            classify: { error, attempt in error.retryDecision(afterAttempt: attempt) },
            describe: \.attemptSummary)
    }
}
