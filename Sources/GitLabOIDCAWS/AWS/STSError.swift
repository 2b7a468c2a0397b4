/// The STS actions the hook calls.
public enum STSAction: String, Equatable, Sendable {
    /// The first hop: the job's ID token for the rule's role (unsigned).
    case assumeRoleWithWebIdentity = "AssumeRoleWithWebIdentity"
    /// A chain hop, signed with the previous hop's credentials.
    case assumeRole = "AssumeRole"
}

/// Which call failed: the action, the role it asked for, and its place in the rule's chain.
public struct STSCall: Equatable, Sendable, CustomStringConvertible {
    public var action: STSAction
    public var roleARN: String
    /// 1-based position among the rule's hops (1 = the web-identity hop), when the rule has
    /// a chain; nil for a rule with a single role.
    public var hop: Int?

    public init(action: STSAction, roleARN: String, hop: Int? = nil) {
        self.action = action
        self.roleARN = roleARN
        self.hop = hop
    }

    /// `AssumeRole of arn:aws:iam::111122223333:role/deploy (chain hop 2)`.
    public var description: String {
        var text = "\(action.rawValue) of \(LogText.oneLine(roleARN, limit: 256))"
        if let hop { text += " (chain hop \(hop))" }
        return text
    }
}

/// STS refused the request, answered something unusable, or could not be reached.
///
/// The three plain cases are what one attempt can end in; `STS.assumeRole` reports the last
/// one wrapped in `failed(_:_:)`, which names the call (action, role, hop). Descriptions
/// never contain a secret: the server's words are cut short and kept on one line.
public enum STSError: UserFacingError, Equatable, Sendable {
    /// An `ErrorResponse` from STS.
    case service(status: Int, code: String, message: String, requestID: String?)
    /// An answer that is not STS's XML (HTML error page, truncated or malformed XML).
    case unexpectedAnswer(status: Int, reason: String)
    /// The request never got an answer.
    case transport(TransportError)
    /// One of the cases above, in `call`. Never nests: `within(_:)` replaces the call.
    indirect case failed(STSCall, STSError)

    /// This error as the outcome of `call`.
    public func within(_ call: STSCall) -> STSError { .failed(call, attemptError) }

    /// The call it happened in, when known.
    public var call: STSCall? {
        if case let .failed(call, _) = self { return call }
        return nil
    }

    /// The error without the call: what the last attempt ended in.
    public var attemptError: STSError {
        if case let .failed(_, error) = self { return error.attemptError }
        return self
    }

    /// AWS's error code, for refusals.
    public var code: String? {
        if case let .service(_, code, _, _) = attemptError { return code }
        return nil
    }

    public var exitCategory: ExitCategory { .credentialsUnavailable }

    /// An expired token is the job's (a retry gets a new one); everything else is the trust
    /// setup in AWS, the mapping, or the network between the runner and STS.
    public var responsibility: Responsibility {
        code == "ExpiredTokenException" ? .pipeline : .runnerAdministrator
    }

    /// The description for the line of a failed attempt: without the endpoint's URL, which
    /// the final error names once.
    public var attemptSummary: String {
        guard case let .transport(error) = attemptError else { return description }
        return error.attemptSummary
    }

    public var description: String {
        let call = self.call
        switch attemptError {
        case let .service(status, code, message, requestID):
            var text = "STS refused \(call.map { "\($0)" } ?? "the request"): \(LogText.oneLine(code, limit: 64)): "
            text += "\(LogText.oneLine(message, limit: 512)) (HTTP \(status)"
            if let requestID { text += ", request ID \(LogText.oneLine(requestID, limit: 64))" }
            text += ")"
            if let hint = STSError.hint(for: code, action: call?.action ?? .assumeRoleWithWebIdentity) {
                text += ". \(hint)"
            }
            return text
        case let .unexpectedAnswer(status, reason):
            var text = "STS answered HTTP \(status)\(call.map { " to \($0)" } ?? "") with something that is not an STS response (\(LogText.oneLine(reason, limit: 256)))"
            if status != 200 && status < 500 { text += "; check that `sts_endpoint` (or `region`) names an STS endpoint" }
            return text
        case let .transport(error):
            let target = call.map { "STS for \($0)" } ?? "STS"
            if case .tooLarge = error.kind { return "the answer of \(target) was refused: \(error)" }
            return "cannot reach \(target): \(error)"
        case .failed:
            return "STS failed"  // attemptError never is .failed
        }
    }

    /// What a runner administrator should check for common refusals of `action`.
    static func hint(for code: String, action: STSAction) -> String? {
        switch (code, action) {
        case ("AccessDenied", .assumeRoleWithWebIdentity):
            return "Check the role's trust policy (`gitlab-oidc-aws trust-policy` prints what it needs) and that the IAM OIDC provider for the issuer exists"
        case ("AccessDenied", .assumeRole):
            return "Check that the role's trust policy lets the previous hop's role assume it, with sts:TagSession when the hop sends tags and the sts:ExternalId condition when it sets external_id (`gitlab-oidc-aws trust-policy` prints it), and that the previous role may call sts:AssumeRole on it"
        case ("InvalidIdentityToken", _):
            return "AWS could not validate the token: check the IAM OIDC provider's URL and audience, and that AWS can reach the issuer's keys"
        case ("ExpiredTokenException", _):
            return "The job's ID token expired; retry the job"
        case ("ExpiredToken", _):
            return "The previous hop's credentials expired before this hop was signed; check the runner's clock"
        case ("InvalidClientTokenId", _):
            return "STS did not accept the previous hop's credentials: check that STS is enabled in the rule's region and that `sts_endpoint` names AWS's STS"
        case ("SignatureDoesNotMatch", _), ("IncompleteSignature", _):
            return "STS refused the request's signature: check the runner's clock (AWS allows 5 minutes of skew) and that `sts_endpoint` names STS in the rule's region"
        case ("RegionDisabledException", _):
            return "STS is not activated in this region for the account: activate it in IAM's account settings or use another `region`"
        case ("MalformedPolicyDocument", .assumeRoleWithWebIdentity), ("PackedPolicyTooLarge", .assumeRoleWithWebIdentity):
            return "Fix the rule's `session_policy` or `policy_arns`"
        case ("MalformedPolicyDocument", .assumeRole), ("PackedPolicyTooLarge", .assumeRole):
            return "Fix the hop's `session_policy` or `policy_arns`, or send fewer or shorter `tags` (they count towards the packed size)"
        case ("ValidationError", .assumeRoleWithWebIdentity):
            return "Check the rule's role ARN, duration (at most the role's maximum session duration) and session name"
        case ("ValidationError", .assumeRole):
            return "Check the hop's role ARN, duration (at most 3600 for a chained role), session name, external_id and tags"
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
    /// `ValidationError`, signature and credential refusals, other client errors) are not.
    public func retryDecision(afterAttempt attempt: Int) -> RetryDecision {
        switch attemptError {
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
        case .failed:
            return .stop
        }
    }
}
