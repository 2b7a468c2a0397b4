/// Why the job's ID token was not accepted. The hook exits 1 and writes nothing.
public enum TokenError: UserFacingError, Equatable, Sendable {
    case tooLong(length: Int)
    case malformed(String)
    case algorithmNone
    case symmetricAlgorithm(String)
    case unsupportedAlgorithm(String)
    case missingKeyID(keySetURL: String)
    case unknownKeyID(String, keySetURL: String)
    case unusableKey(keyID: String, reason: String)
    case badSignature
    case wrongIssuer(found: String?, expected: String)
    case wrongAudience(found: [String], accepted: [String])
    case expired(expiredAt: Int64, now: Int64)
    case notYetValid(validFrom: Int64, now: Int64)
    case missingTime(String)
    /// The issuer's keys, needed to check the signature, could not be obtained.
    case keySetUnavailable(KeySetError)

    public var exitCategory: ExitCategory { .credentialsUnavailable }

    /// A token the pipeline can fix (its `id_tokens`, a retry) or a runner that does not trust
    /// the token's issuer, cannot reach its keys or runs with a wrong clock.
    public var responsibility: Responsibility {
        switch self {
        case .tooLong, .malformed, .algorithmNone, .symmetricAlgorithm, .unsupportedAlgorithm, .badSignature,
            .wrongAudience, .expired, .missingTime:
            return .pipeline
        case .missingKeyID, .unknownKeyID, .unusableKey, .wrongIssuer, .notYetValid, .keySetUnavailable:
            return .runnerAdministrator
        }
    }

    public var description: String {
        switch self {
        case let .tooLong(length):
            return "the ID token is \(length) characters long; tokens longer than 20000 characters are refused (STS's limit). Check that the variable holds only the token"
        case let .malformed(reason):
            return "the ID token is malformed: \(reason). Check that the job's id_tokens variable holds the token GitLab issued, unchanged"
        case .algorithmNone:
            return "the ID token is unsigned (alg \"none\"); only RS256, RS384 and RS512 tokens are accepted"
        case let .symmetricAlgorithm(alg):
            return "the ID token uses \(alg), a shared-secret algorithm that GitLab never uses; refused (only RS256, RS384 and RS512 are accepted)"
        case let .unsupportedAlgorithm(alg):
            return "the ID token uses the unsupported signature algorithm \"\(alg)\"; only RS256, RS384 and RS512 are accepted"
        case let .missingKeyID(url):
            return "the ID token names no key (`kid`) and the issuer's key set at \(url) has more than one key"
        case let .unknownKeyID(kid, url):
            return "the ID token was signed with key \"\(kid)\", which is not in the issuer's key set at \(url) (even after fetching it again); the token was not issued by the configured issuer, or the issuer rotated its keys"
        case let .unusableKey(kid, reason):
            return "the issuer's key \"\(kid)\" cannot be used: \(reason)"
        case .badSignature:
            return "the ID token's signature is not valid for the issuer's key: the token was altered or not issued by the configured issuer"
        case let .wrongIssuer(found, expected):
            return "the ID token's issuer (iss) is \(found.map { "\"\($0)\"" } ?? "missing") but the mapping accepts only \"\(expected)\"; set `issuer` to your GitLab URL (the job's CI_SERVER_URL)"
        case let .wrongAudience(found, accepted):
            let list = accepted.map { "\"\($0)\"" }.joined(separator: ", ")
            let got = found.isEmpty ? "missing" : found.map { "\"\($0)\"" }.joined(separator: ", ")
            return "the ID token's audience (aud) is \(got) but the mapping accepts \(list); set `aud: \(accepted.first ?? "sts.amazonaws.com")` in the job's id_tokens"
        case let .expired(expiredAt, now):
            return "the ID token expired \(now - expiredAt) seconds ago (exp \(expiredAt), allowed clock skew 60 s); GitLab tokens live as long as the job timeout. Retry the job"
        case let .notYetValid(validFrom, now):
            return "the ID token is not yet valid: nbf is \(validFrom - now) seconds in the future (allowed clock skew 60 s); check the runner's clock"
        case let .missingTime(claim):
            return "the ID token has no numeric `\(claim)` claim"
        case let .keySetUnavailable(error):
            return error.description
        }
    }
}
