/// A token whose signature and claims were checked.
public struct VerifiedToken: Sendable {
    public let raw: String
    public let claims: Claims
}

/// Verifies an ID token the way `hook` and `explain --token-file` both need: structure and
/// algorithm, then `iss`/`aud`/`exp`/`nbf`, then the RSA signature with the issuer's key.
/// RS384 and RS512 are accepted with the same RSA keys as RS256, even when the JWK says
/// `alg: RS256`.
///
/// The key set is fetched once more, bypassing the cache, when the first try fails and
/// another may succeed: always when the keys came from the cache (which a job on a shell
/// executor may have rewritten: a swapped key, a missing one), and when a freshly fetched set
/// lacks the token's `kid` (the issuer rotated its keys). Never more than once per token.
public struct TokenVerifier {
    public let policy: ClaimPolicy
    public let keys: KeySetSource
    public let clock: Clock

    public init(policy: ClaimPolicy, keys: KeySetSource, clock: Clock) {
        self.policy = policy
        self.keys = keys
        self.clock = clock
    }

    /// Returns the token with its claims once every check passed.
    public func verify(_ token: String) throws(TokenError) -> VerifiedToken {
        let jwt = try JWT(token)
        try policy.check(jwt.claims, now: clock.now())
        let first = try keySet(bypassingCache: false)
        do {
            try checkSignature(jwt, keySet: first.keys)
        } catch {
            guard first.origin == .cache || error.isMissingKey else { throw error }
            try checkSignature(jwt, keySet: try keySet(bypassingCache: true).keys)
        }
        return VerifiedToken(raw: token, claims: jwt.claims)
    }

    private func keySet(bypassingCache: Bool) throws(TokenError) -> (keys: JSONWebKeySet, origin: KeySetOrigin) {
        do throws(KeySetError) {
            return try keys.keySetWithOrigin(bypassingCache: bypassingCache)
        } catch {
            throw .keySetUnavailable(error)
        }
    }

    /// Throws unless `keySet` holds the token's key and it verifies the signature.
    private func checkSignature(_ jwt: JWT, keySet: JSONWebKeySet) throws(TokenError) {
        guard let key = keySet.key(for: jwt.keyID) else {
            if let keyID = jwt.keyID { throw .unknownKeyID(keyID, keySetURL: keys.keySetURL) }
            throw .missingKeyID(keySetURL: keys.keySetURL)
        }
        if let problem = key.problem { throw .unusableKey(keyID: key.keyID ?? "?", reason: problem) }
        let publicKey: RSAPublicKey
        do {
            publicKey = try RSAPublicKey(modulus: key.modulus, exponent: key.exponent)
        } catch {
            throw .unusableKey(keyID: key.keyID ?? "?", reason: error.description)
        }
        guard publicKey.verify(signature: jwt.signature, message: jwt.signingInput, algorithm: jwt.algorithm) else {
            throw .badSignature
        }
    }
}

extension TokenError {
    /// The key set does not have the token's key (an unknown `kid`, or no `kid` and several keys).
    var isMissingKey: Bool {
        switch self {
        case .unknownKeyID, .missingKeyID: return true
        default: return false
        }
    }
}
