/// A token whose signature and claims were checked.
public struct VerifiedToken: Sendable {
    public let raw: String
    public let claims: Claims
}

/// Verifies an ID token the way `hook` and `explain --token-file` both need: structure and
/// algorithm, then `iss`/`aud`/`exp`/`nbf`, then the RSA signature with the issuer's key
/// (refetching the key set once when the `kid` is unknown, for key rotation). RS384 and
/// RS512 are accepted with the same RSA keys as RS256, even when the JWK says `alg: RS256`.
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
        var keySet: JSONWebKeySet
        do throws(KeySetError) {
            keySet = try keys.keySet(refresh: false)
            if keySet.key(for: jwt.keyID) == nil {
                keySet = try keys.keySet(refresh: true)
            }
        } catch {
            throw .keySetUnavailable(error)
        }
        guard let key = keySet.key(for: jwt.keyID) else {
            if let keyID = jwt.keyID { throw .unknownKeyID(keyID, keySetURL: keys.keySetURL) }
            throw .missingKeyID(keySetURL: keys.keySetURL)
        }
        let publicKey: RSAPublicKey
        do {
            publicKey = try RSAPublicKey(modulus: key.modulus, exponent: key.exponent)
        } catch {
            throw .unusableKey(keyID: key.keyID ?? "?", reason: error.description)
        }
        guard publicKey.verify(signature: jwt.signature, message: jwt.signingInput, algorithm: jwt.algorithm) else {
            throw .badSignature
        }
        return VerifiedToken(raw: token, claims: jwt.claims)
    }
}
