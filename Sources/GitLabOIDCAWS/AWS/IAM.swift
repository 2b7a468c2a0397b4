/// IAM `GetRole`, signed with SigV4: how `audit` reads a mapped role's live trust policy.
public enum IAM {
    /// The IAM API version of every request.
    public static let apiVersion = "2010-05-08"

    /// IAM's global endpoint for a partition and the region its requests are signed for:
    /// `https://iam.amazonaws.com/` (`us-east-1`), `https://iam.cn-north-1.amazonaws.com.cn/`
    /// (`cn-north-1`), `https://iam.us-gov.amazonaws.com/` (`us-gov-west-1`). `override`
    /// replaces the URL (tests, VPC endpoints); the signing region stays the partition's.
    public static func endpoint(partition: String, override: String?) -> (url: String, region: String) {
        let (url, region): (String, String)
        switch partition {
        case "aws-cn": (url, region) = ("https://iam.cn-north-1.amazonaws.com.cn/", "cn-north-1")
        case "aws-us-gov": (url, region) = ("https://iam.us-gov.amazonaws.com/", "us-gov-west-1")
        default: (url, region) = ("https://iam.amazonaws.com/", "us-east-1")
        }
        if let override, !override.isEmpty { return (override, region) }
        return (url, region)
    }

    /// A role as `GetRole` describes it.
    public struct Role: Equatable, Sendable {
        public let arn: String
        public let name: String
        public let path: String?
        public let maxSessionDuration: Int?
        /// The trust policy as JSON text, URL-decoded.
        public let trustPolicyText: String
        public let trustPolicy: TrustPolicyDocument
    }

    /// The form body of `GetRole` for the role named `name` (without its path).
    public static func getRoleBody(roleName name: String) -> String {
        STS.formEncode([("Action", "GetRole"), ("Version", apiVersion), ("RoleName", name)])
    }

    /// Reads the role `roleARN` with `GetRole` at `endpoint`, signed (SigV4, service `iam`,
    /// `region`) with `credentials`, which must act in the role's account: an answer about
    /// another role (another account, another path) is an error. Retries as STS calls do.
    public static func getRole(
        _ roleARN: RoleARN, endpoint: String, region: String, credentials: SigV4.Credentials,
        transport: any HTTPTransport, settings: TransportSettings, retrier: Retrier
    ) throws(IAMError) -> Role {
        let role = roleARN.description
        let unsigned = HTTPRequest(
            url: endpoint, method: .post, headers: STS.formHeaders, body: Array(getRoleBody(roleName: roleARN.name).utf8))
        return try retrier.run(
            "IAM GetRole of \(role)",
            operation: { (timeout: Double) throws(IAMError) -> Role in
                let request = SigV4.sign(
                    unsigned, credentials: credentials, region: region, service: "iam", time: retrier.clock.now())
                let response: HTTPResponse
                do throws(TransportError) {
                    response = try transport.perform(request, settings: settings, timeout: timeout)
                } catch {
                    throw IAMError(roleARN: role, kind: .transport(error))
                }
                return try parseGetRoleAnswer(status: response.status, body: response.body, roleARN: role)
            },
            classify: { error, _ in error.retryDecision })
    }

    /// Reads a `GetRole` answer for `roleARN`: the role with its decoded, parsed trust policy.
    public static func parseGetRoleAnswer(status: Int, body: [UInt8], roleARN: String) throws(IAMError) -> Role {
        func failure(_ kind: IAMError.Kind) -> IAMError { IAMError(roleARN: roleARN, kind: kind) }
        let root: XMLElement
        do {
            root = try XMLElement.parse(body)
        } catch {
            throw failure(.unexpectedAnswer(status: status, reason: STS.describeUnreadable(body, error)))
        }
        if root.localName == "ErrorResponse" || root.localName == "Error" {
            let error = root.localName == "Error" ? root : root.child("Error")
            let code = error?.child("Code")?.text.trimmingSpaces ?? "UnknownError"
            let message = error?.child("Message")?.text ?? ""
            let requestID = root.child("RequestId")?.text ?? root.descendant("ResponseMetadata", "RequestId")?.text
            switch code {
            case "NoSuchEntity": throw failure(.noSuchRole(message: message))
            case "AccessDenied", "AccessDeniedException": throw failure(.accessDenied(message: message))
            default: throw failure(.service(status: status, code: code, message: message, requestID: requestID))
            }
        }
        guard (200..<300).contains(status), root.localName.lowercased() != "html" else {
            throw failure(.unexpectedAnswer(status: status, reason: STS.describeOther(root, service: "IAM")))
        }
        guard root.localName == "GetRoleResponse", let role = root.descendant("GetRoleResult", "Role") else {
            throw failure(.unexpectedAnswer(status: status, reason: "no GetRoleResult/Role in <\(LogText.oneLine(root.localName, limit: 64))>"))
        }
        func field(_ name: String) throws(IAMError) -> String {
            guard let value = role.child(name)?.text.trimmingSpaces, !value.isEmpty else {
                throw failure(.unexpectedAnswer(status: status, reason: "Role/\(name) is missing"))
            }
            guard !value.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) else {
                throw failure(.unexpectedAnswer(status: status, reason: "Role/\(name) contains control characters"))
            }
            return value
        }
        let arn = try field("Arn")
        guard arn == roleARN else { throw failure(.otherRole(returnedARN: arn)) }
        let encoded = try field("AssumeRolePolicyDocument")
        guard let text = decodePolicyDocument(encoded) else {
            throw failure(.unreadableTrustPolicy(reason: "AssumeRolePolicyDocument is not URL-encoded UTF-8 text"))
        }
        let policy = try TrustPolicyDocument.parse(text, roleARN: roleARN)
        return Role(
            arn: arn, name: try field("RoleName"), path: role.child("Path")?.text.trimmingSpaces,
            maxSessionDuration: role.child("MaxSessionDuration").flatMap { Int($0.text.trimmingSpaces) },
            trustPolicyText: text, trustPolicy: policy)
    }

    /// IAM's URL-encoded policy text decoded: every `%XX` escape becomes its byte (`+` stays
    /// `+`: IAM and moto encode a plus sign as `%2B` and a space as `%20`); nil when the
    /// result is not UTF-8.
    public static func decodePolicyDocument(_ encoded: String) -> String? {
        String(validating: SigV4.percentDecode(encoded.utf8), as: UTF8.self)
    }
}

/// IAM refused `GetRole`, answered something unusable, could not be reached, or the role's
/// trust policy is not one `audit` can read. Always names the role; never a secret.
public struct IAMError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What went wrong.
    public enum Kind: Equatable, Sendable {
        /// `NoSuchEntity`: the role does not exist in the credentials' account.
        case noSuchRole(message: String)
        /// `AccessDenied`: the credentials may not read the role.
        case accessDenied(message: String)
        /// Any other `ErrorResponse`.
        case service(status: Int, code: String, message: String, requestID: String?)
        /// An answer that is not IAM's XML, or lacks what `GetRole` returns.
        case unexpectedAnswer(status: Int, reason: String)
        /// The request never got an answer.
        case transport(TransportError)
        /// IAM described another role than the one asked for: the credentials act in another
        /// account, or the role's path is not the one in the mapping.
        case otherRole(returnedARN: String)
        /// The trust policy is not JSON, or uses something `audit` does not model.
        case unreadableTrustPolicy(reason: String)
    }

    /// The role asked for, as the mapping names it.
    public let roleARN: String
    public let kind: Kind

    public init(roleARN: String, kind: Kind) {
        self.roleARN = roleARN
        self.kind = kind
    }

    /// The account of the role, as its ARN names it.
    public var account: String? { RoleARN(roleARN)?.account }

    public var description: String {
        let role = LogText.oneLine(roleARN, limit: 256)
        let account = self.account ?? "?"
        switch kind {
        case let .noSuchRole(message):
            return "role \(role) does not exist in account \(account) (IAM: \(LogText.oneLine(message, limit: 512)))"
        case let .accessDenied(message):
            return "IAM refused to show role \(role): these credentials may not call iam:GetRole in account \(account) (IAM: \(LogText.oneLine(message, limit: 512))); use credentials of that account that may read it, or audit another account with `--account`"
        case let .service(status, code, message, requestID):
            var text = "IAM refused GetRole of \(role): \(LogText.oneLine(code, limit: 64)): \(LogText.oneLine(message, limit: 512)) (HTTP \(status)"
            if let requestID { text += ", request ID \(LogText.oneLine(requestID, limit: 64))" }
            return text + ")"
        case let .unexpectedAnswer(status, reason):
            var text = "IAM answered HTTP \(status) to GetRole of \(role) with something that is not an IAM response (\(LogText.oneLine(reason, limit: 256)))"
            if status != 200 && status < 500 { text += "; check that `--endpoint-url` names IAM" }
            return text
        case let .transport(error):
            return "cannot reach IAM for GetRole of \(role): \(error)"
        case let .otherRole(returnedARN):
            return "IAM answered GetRole of \(role) with role \(LogText.oneLine(returnedARN, limit: 256)): the credentials act in another account than \(account), or the role's path differs from the mapping's ARN"
        case let .unreadableTrustPolicy(reason):
            return "the trust policy of role \(role) cannot be audited: \(LogText.oneLine(reason, limit: 512))"
        }
    }

    /// Whether another attempt can help: throttling, server errors, unreadable 5xx or cut
    /// answers, and network failures; never a refusal or a policy that cannot be read.
    public var retryDecision: RetryDecision {
        switch kind {
        case let .service(status, code, _, _):
            return ["Throttling", "ThrottlingException", "RequestLimitExceeded", "ServiceFailure", "ServiceUnavailable"]
                .contains(code) || status >= 500 ? .retry : .stop
        case let .unexpectedAnswer(status, _):
            return status >= 500 || status == 200 ? .retry : .stop
        case let .transport(error):
            return error.isTransient ? .retry : .stop
        case .noSuchRole, .accessDenied, .otherRole, .unreadableTrustPolicy:
            return .stop
        }
    }
}
