/// One RSA key of the issuer's JSON Web Key Set.
public struct JSONWebKey: Equatable, Sendable {
    public let keyID: String?
    public let modulus: [UInt8]
    public let exponent: [UInt8]
    /// The `alg` the key is restricted to, when the JWK says.
    public let algorithm: String?

    /// The sizes an RSA signing key can have: 2048 to 16384 bits.
    public static let modulusBytes = 256...2048

    /// Why this key cannot be a real RSA signing key (a modulus too short, too long or even,
    /// an exponent that is even, below 3 or longer than 64 bits), or nil when it can be.
    public var problem: String? {
        if modulus.count < JSONWebKey.modulusBytes.lowerBound {
            return "the RSA modulus is shorter than 2048 bits"
        }
        if modulus.count > JSONWebKey.modulusBytes.upperBound {
            return "the RSA modulus is longer than 16384 bits"
        }
        if modulus.last.map({ $0 & 1 == 0 }) ?? true { return "the RSA modulus is even" }
        guard !exponent.isEmpty, exponent.count <= 8 else {
            return "the RSA exponent is empty or longer than 64 bits"
        }
        let value = exponent.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        if value < 3 || value & 1 == 0 { return "the RSA exponent is \(value); it must be odd and at least 3" }
        return nil
    }
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
