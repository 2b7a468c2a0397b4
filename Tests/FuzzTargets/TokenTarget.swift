import GitLabOIDCAWS

extension FuzzTargets {
    /// The whole path of a job's token: decoding (`JWT`), the claim checks, the signature
    /// with a local key set (the seed tokens in the corpus are signed with its key, by Python's
    /// `cryptography`), then what the hook derives from the claims: rule matching and the
    /// session name (for any token that decodes, so that mutated claims reach them too).
    public static func token(_ input: [UInt8]) {
        let text = String(decoding: input, as: UTF8.self)
        let issuer = LocalIssuer(document: LocalIssuer.seedDocument)
        do {
            let verified = try issuer.verifier().verify(text)
            let claims = verified.claims
            precondition(claims.string("iss") == FuzzTargets.issuer, "a token of another issuer verified")
            precondition(claims.audiences.contains("sts.amazonaws.com"), "a token for another audience verified")
            guard let expiry = claims.seconds("exp") else { preconditionFailure("a token without exp verified") }
            precondition(Claims.dateRange.contains(expiry), "exp outside the dates verified")
            precondition(FuzzTargets.now <= expiry + ClaimPolicy.clockSkew, "an expired token verified")
            if let notBefore = claims.seconds("nbf") {
                precondition(FuzzTargets.now >= notBefore - ClaimPolicy.clockSkew, "a token not yet valid verified")
            }
            _ = Timestamp.format(expiry)
        } catch {
            if case let .keySetUnavailable(failure) = error { preconditionFailure("the local key set failed: \(failure)") }
            checkMessage(error.description)
        }
        precondition(issuer.requests <= 2, "\(issuer.requests) key-set fetches for one token")

        guard let jwt = try? JWT(text) else { return }
        precondition(text.utf8.count <= JWT.maximumLength, "an over-long token was accepted")
        precondition(text.utf8.starts(with: jwt.signingInput), "the signing input is not a prefix of the token")
        precondition(!jwt.signature.isEmpty, "an empty signature was accepted")
        for name in ["exp", "nbf", "iat"] {
            if let seconds = jwt.claims.seconds(name) { precondition(Claims.dateRange.contains(seconds)) }
        }
        _ = RuleMatcher.firstMatch(in: sampleRules, claims: jwt.claims)
        checkSessionName(SessionName.render("gitlab-{project_id}-{job_id}-{ref}", claims: jwt.claims))
    }
}
