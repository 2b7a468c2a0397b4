/// The signature algorithms the hook accepts: RSASSA-PKCS1-v1_5 with SHA-2.
public enum SignatureAlgorithm: String, Sendable, CaseIterable {
    case rs256 = "RS256"
    case rs384 = "RS384"
    case rs512 = "RS512"
}

/// A compact JWS (`header.payload.signature`) split and decoded, not yet verified.
public struct JWT: Sendable {
    /// STS refuses longer tokens; so does the hook, before doing any work.
    public static let maximumLength = 20000

    public let header: JSONValue
    public let claims: Claims
    /// `header.payload`, the bytes the signature covers.
    public let signingInput: [UInt8]
    public let signature: [UInt8]
    public let algorithm: SignatureAlgorithm
    public let keyID: String?

    /// Splits and decodes `token`, refusing unsigned and shared-secret algorithms.
    public init(_ token: String) throws(TokenError) {
        let length = token.utf8.count
        if length > JWT.maximumLength { throw .tooLong(length: length) }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else {
            throw .malformed("expected three base64url parts separated by dots, found \(parts.count)")
        }
        guard let headerBytes = Base64URL.decode(parts[0]) else { throw .malformed("the header is not base64url") }
        guard let payloadBytes = Base64URL.decode(parts[1]) else { throw .malformed("the payload is not base64url") }
        guard let signature = Base64URL.decode(parts[2]) else { throw .malformed("the signature is not base64url") }
        let header: JSONValue
        do { header = try JSONValue.parse(headerBytes) } catch { throw .malformed("the header is not JSON (\(error))") }
        guard header.objectMembers != nil else { throw .malformed("the header is not a JSON object") }
        guard let alg = header["alg"]?.stringValue else { throw .malformed("the header has no `alg`") }
        if alg.lowercased() == "none" { throw .algorithmNone }
        if alg.uppercased().hasPrefix("HS") { throw .symmetricAlgorithm(alg) }
        guard let algorithm = SignatureAlgorithm(rawValue: alg) else { throw .unsupportedAlgorithm(alg) }
        let payload: JSONValue
        do { payload = try JSONValue.parse(payloadBytes) } catch { throw .malformed("the payload is not JSON (\(error))") }
        guard let claims = Claims(json: payload) else { throw .malformed("the payload is not a JSON object") }
        if signature.isEmpty { throw .malformed("the signature is empty") }
        self.header = header
        self.claims = claims
        self.signature = signature
        self.algorithm = algorithm
        self.keyID = header["kid"]?.stringValue
        self.signingInput = Array(token.utf8[..<parts[1].endIndex])
    }
}

/// The checks on `iss`, `aud`, `exp` and `nbf`, as pure functions of the claims and a clock.
public struct ClaimPolicy: Sendable {
    /// Allowed difference between the runner's clock and GitLab's, in seconds.
    public static let clockSkew: Int64 = 60

    public let issuer: String
    public let audiences: [String]

    public init(issuer: String, audiences: [String]) {
        self.issuer = issuer
        self.audiences = audiences
    }

    /// Throws the first failed check, in the order iss, aud, then the dates (`exp`, `nbf`,
    /// `iat` must be numbers between 1970 and 9999), then `exp` and `nbf` against `now`.
    public func check(_ claims: Claims, now: Int64) throws(TokenError) {
        let found = claims.string("iss")
        guard let found, ClaimPolicy.trimSlash(found) == ClaimPolicy.trimSlash(issuer) else {
            throw .wrongIssuer(found: found, expected: issuer)
        }
        let tokenAudiences = claims.audiences
        guard tokenAudiences.contains(where: audiences.contains) else {
            throw .wrongAudience(found: tokenAudiences, accepted: audiences)
        }
        // Every date is range-checked before any arithmetic (`Claims.date`), and the
        // arithmetic saturates: no value a token can carry traps.
        guard let expiry = try claims.date("exp") else { throw .missingTime("exp") }
        let notBefore = try claims.date("nbf")
        _ = try claims.date("iat")
        if now > Timestamp.adding(ClaimPolicy.clockSkew, to: expiry) { throw .expired(expiredAt: expiry, now: now) }
        if let notBefore, now < Timestamp.adding(-ClaimPolicy.clockSkew, to: notBefore) {
            throw .notYetValid(validFrom: notBefore, now: now)
        }
    }

    /// Removes one trailing `/`.
    static func trimSlash(_ text: String) -> Substring {
        text.hasSuffix("/") ? text.dropLast() : Substring(text)
    }
}
