/// One RSA key of the issuer's JSON Web Key Set.
public struct JSONWebKey: Equatable, Sendable {
    public let keyID: String?
    public let modulus: [UInt8]
    public let exponent: [UInt8]
    /// The `alg` the key is restricted to, when the JWK says.
    public let algorithm: String?
}

/// The issuer's JSON Web Key Set, RSA signing keys only (others are ignored).
public struct JSONWebKeySet: Equatable, Sendable {
    public let keys: [JSONWebKey]

    /// Reads a JWKS document; fails when it is not one.
    public static func parse(_ json: JSONValue) -> Result<JSONWebKeySet, KeySetDocumentProblem> {
        guard case let .array(items)? = json["keys"] else { return .failure(KeySetDocumentProblem(reason: "it has no \"keys\" list")) }
        var keys: [JSONWebKey] = []
        for item in items {
            guard item["kty"]?.stringValue == "RSA" else { continue }
            if let use = item["use"]?.stringValue, use != "sig" { continue }
            guard let n = item["n"]?.stringValue.flatMap(Base64URL.decode), let e = item["e"]?.stringValue.flatMap(Base64URL.decode)
            else { continue }
            keys.append(
                JSONWebKey(
                    keyID: item["kid"]?.stringValue, modulus: Array(n.drop { $0 == 0 }), exponent: Array(e.drop { $0 == 0 }),
                    algorithm: item["alg"]?.stringValue))
        }
        return .success(JSONWebKeySet(keys: keys))
    }

    /// The key for a token's `kid`; with no `kid`, the only key if there is exactly one.
    public func key(for keyID: String?) -> JSONWebKey? {
        guard let keyID else { return keys.count == 1 ? keys[0] : nil }
        return keys.first { $0.keyID == keyID }
    }
}

/// Why a document is not a usable JSON Web Key Set.
public struct KeySetDocumentProblem: Error, Equatable, Sendable, CustomStringConvertible {
    public let reason: String
    public var description: String { reason }
}

/// The issuer's keys could not be obtained.
public enum KeySetError: Error, Equatable, Sendable, CustomStringConvertible {
    case unreachable(url: String, cause: TransportError)
    case httpStatus(url: String, status: Int)
    case invalidDocument(url: String, reason: String)

    public var description: String {
        switch self {
        case let .unreachable(url, cause):
            return "cannot fetch the issuer's signing keys from \(url): \(cause.attemptSummary); check that the runner can reach the GitLab instance (proxy settings, `ca_file` for a private CA)"
        case let .httpStatus(url, status):
            return "cannot fetch the issuer's signing keys: \(url) answered HTTP \(status); check `issuer` (and `jwks_url` if set)"
        case let .invalidDocument(url, reason):
            return "the document at \(url) is not usable: \(reason); check `issuer` (and `jwks_url` if set)"
        }
    }

    /// The description for the line of a failed attempt, without the URL that the final
    /// error names once.
    var attemptSummary: String {
        switch self {
        case let .unreachable(_, cause): return cause.attemptSummary
        case let .httpStatus(_, status): return "HTTP \(status)"
        case let .invalidDocument(_, reason): return reason
        }
    }

    var retryDecision: RetryDecision {
        switch self {
        case let .unreachable(_, cause): return cause.isTransient ? .retry : .stop
        case let .httpStatus(_, status): return status >= 500 || status == 429 ? .retry : .stop
        case .invalidDocument: return .stop
        }
    }
}
