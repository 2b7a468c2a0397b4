import Testing

@testable import GitLabOIDCAWS

@Suite struct Base64URLTests {
    @Test func decodesWithoutPadding() {
        #expect(Base64URL.decode("") == [])
        #expect(Base64URL.decode("Zg") == Array("f".utf8))
        #expect(Base64URL.decode("Zm8") == Array("fo".utf8))
        #expect(Base64URL.decode("Zm9v") == Array("foo".utf8))
        #expect(Base64URL.decode("-_8") == [0xFB, 0xFF])
    }

    @Test func refusesPaddingStandardAlphabetAndImpossibleLengths() {
        #expect(Base64URL.decode("Zg==") == nil)
        #expect(Base64URL.decode("+/8") == nil)
        #expect(Base64URL.decode("Z") == nil)
        #expect(Base64URL.decode("Zh") == nil)  // non-zero leftover bits
        #expect(Base64URL.decode("Zm9v YmFy") == nil)
    }

    @Test func roundTrips() {
        for length in 0..<40 {
            let bytes = (0..<length).map { UInt8(($0 * 37 + 11) & 0xFF) }
            #expect(Base64URL.decode(Base64URL.encode(bytes)) == bytes)
        }
    }
}

@Suite struct JWTTests {
    static func token(header: String, payload: String = #"{"iss":"x"}"#, signature: String = "c2ln") -> String {
        "\(Base64URL.encode(Array(header.utf8))).\(Base64URL.encode(Array(payload.utf8))).\(signature)"
    }

    @Test func decodesHeaderAndClaims() throws {
        let jwt = try JWT(Vectors.rs256)
        #expect(jwt.algorithm == .rs256)
        #expect(jwt.keyID == "k1")
        #expect(jwt.claims.string("project_path") == "g/p")
        #expect(jwt.claims.string("runner_id") == "7")
        #expect(jwt.claims.seconds("exp") == Vectors.expiry)
    }

    @Test func refusesUnsignedAndSharedSecretAlgorithms() {
        #expect(throws: TokenError.algorithmNone) { try JWT(Self.token(header: #"{"alg":"none"}"#)) }
        #expect(throws: TokenError.algorithmNone) { try JWT(Self.token(header: #"{"alg":"None"}"#)) }
        #expect(throws: TokenError.symmetricAlgorithm("HS256")) { try JWT(Self.token(header: #"{"alg":"HS256"}"#)) }
        #expect(throws: TokenError.unsupportedAlgorithm("ES256")) { try JWT(Self.token(header: #"{"alg":"ES256"}"#)) }
        #expect(throws: TokenError.unsupportedAlgorithm("PS256")) { try JWT(Self.token(header: #"{"alg":"PS256"}"#)) }
    }

    @Test func refusesMalformedTokens() {
        let cases = [
            "abc", "a.b", "a.b.c.d", "!!.e30.c2ln", Self.token(header: "not json"),
            Self.token(header: #"{"alg":"RS256"}"#, payload: "[1]"), Self.token(header: #"{"alg":"RS256"}"#, signature: ""),
            Self.token(header: #"{"alg":"RS256"}"#, payload: #"{"a":1,"a":2}"#), Self.token(header: #"{"kid":"x"}"#),
        ]
        for token in cases {
            #expect(throws: TokenError.self) { try JWT(token) }
        }
    }

    @Test func refusesTokensLongerThanSTSAccepts() {
        let long = String(repeating: "a", count: 20001)
        #expect(throws: TokenError.tooLong(length: 20001)) { try JWT(long) }
    }
}

@Suite struct SignatureTests {
    @Test func verifiesEveryRSAAlgorithm() throws {
        let key = try Vectors.key
        for token in [Vectors.rs256, Vectors.rs384, Vectors.rs512] {
            let jwt = try JWT(token)
            #expect(key.verify(signature: jwt.signature, message: jwt.signingInput, algorithm: jwt.algorithm))
        }
    }

    @Test func rejectsAChangedPayloadOrSignature() throws {
        let key = try Vectors.key
        let parts = Vectors.rs256.split(separator: ".")
        let forgedPayload = Base64URL.encode(Array(#"{"iss":"https://gitlab.example.com","project_path":"admin/secrets"}"#.utf8))
        let forged = try JWT("\(parts[0]).\(forgedPayload).\(parts[2])")
        #expect(!key.verify(signature: forged.signature, message: forged.signingInput, algorithm: .rs256))
        var signature = try JWT(Vectors.rs256).signature
        signature[10] ^= 1
        #expect(!key.verify(signature: signature, message: try JWT(Vectors.rs256).signingInput, algorithm: .rs256))
        // The right signature checked with the wrong hash.
        let jwt = try JWT(Vectors.rs256)
        #expect(!key.verify(signature: jwt.signature, message: jwt.signingInput, algorithm: .rs512))
    }

    @Test func refusesWeakOrBrokenKeys() {
        #expect(throws: CryptoError.self) { try RSAPublicKey(modulus: [UInt8](repeating: 0xC3, count: 128), exponent: [1, 0, 1]) }
        #expect(throws: CryptoError.self) { try RSAPublicKey(modulus: [UInt8](repeating: 0xC3, count: 256), exponent: []) }
    }

    @Test func readsKeySets() throws {
        let document = try JSONValue.parse(
            #"{"keys":[{"kty":"EC","kid":"ec"},{"kty":"RSA","kid":"enc","use":"enc","n":"AQAB","e":"AQAB"},{"kty":"RSA","kid":"k1","use":"sig","alg":"RS256","n":"\#(Vectors.modulus)","e":"AQAB"}]}"#)
        let keySet = try JSONWebKeySet.parse(document).get()
        #expect(keySet.keys.count == 1)
        #expect(keySet.key(for: "k1")?.algorithm == "RS256")
        #expect(keySet.key(for: "k2") == nil)
        #expect(keySet.key(for: nil)?.keyID == "k1")
        #expect(throws: KeySetDocumentProblem.self) { try JSONWebKeySet.parse(.object([])).get() }
    }
}

@Suite struct ClaimPolicyTests {
    let policy = ClaimPolicy(issuer: "https://gitlab.example.com/", audiences: ["sts.amazonaws.com", "other"])

    func claims(_ json: String) -> Claims { Claims(json: try! JSONValue.parse(json))! }

    @Test func acceptsAValidTokenWithinTheSkew() throws {
        let valid = claims(#"{"iss":"https://gitlab.example.com","aud":"sts.amazonaws.com","exp":1000,"nbf":900}"#)
        try policy.check(valid, now: 950)
        try policy.check(valid, now: 1060)
        try policy.check(valid, now: 840)
        let listAudience = claims(#"{"iss":"https://gitlab.example.com","aud":["x","other"],"exp":1000}"#)
        try policy.check(listAudience, now: 950)
    }

    @Test func rejectsEachBadClaim() {
        #expect(throws: TokenError.expired(expiredAt: 1000, now: 1061)) {
            try policy.check(claims(#"{"iss":"https://gitlab.example.com","aud":"sts.amazonaws.com","exp":1000}"#), now: 1061)
        }
        #expect(throws: TokenError.notYetValid(validFrom: 1000, now: 939)) {
            try policy.check(
                claims(#"{"iss":"https://gitlab.example.com","aud":"sts.amazonaws.com","exp":2000,"nbf":1000}"#), now: 939)
        }
        #expect(throws: TokenError.wrongIssuer(found: "https://gitlab.example.com.evil", expected: policy.issuer)) {
            try policy.check(claims(#"{"iss":"https://gitlab.example.com.evil","aud":"sts.amazonaws.com","exp":2000}"#), now: 1)
        }
        #expect(throws: TokenError.wrongIssuer(found: nil, expected: policy.issuer)) {
            try policy.check(claims(#"{"aud":"sts.amazonaws.com","exp":2000}"#), now: 1)
        }
        #expect(throws: TokenError.wrongAudience(found: ["sts.amazonaws.com.evil"], accepted: policy.audiences)) {
            try policy.check(claims(#"{"iss":"https://gitlab.example.com","aud":"sts.amazonaws.com.evil","exp":2000}"#), now: 1)
        }
        #expect(throws: TokenError.missingTime("exp")) {
            try policy.check(claims(#"{"iss":"https://gitlab.example.com","aud":"sts.amazonaws.com"}"#), now: 1)
        }
    }

    @Test func comparesTheIssuerExactlyAfterOneTrailingSlash() throws {
        let exact = ClaimPolicy(issuer: "https://gitlab.example.com", audiences: ["a"])
        try exact.check(claims(#"{"iss":"https://gitlab.example.com/","aud":"a","exp":9}"#), now: 1)
        #expect(throws: TokenError.self) {
            try exact.check(claims(#"{"iss":"https://gitlab.example.com//","aud":"a","exp":9}"#), now: 1)
        }
        #expect(throws: TokenError.self) {
            try exact.check(claims(#"{"iss":"https://GitLab.example.com","aud":"a","exp":9}"#), now: 1)
        }
    }
}
