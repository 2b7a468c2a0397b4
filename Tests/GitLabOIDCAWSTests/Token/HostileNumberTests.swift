import Testing

@testable import GitLabOIDCAWS

/// Numbers from outside at the edges of their types: range-checked where they enter, and
/// arithmetic on them that saturates instead of trapping.
@Suite struct HostileNumberTests {
    let policy = ClaimPolicy(issuer: "https://gitlab.example.com", audiences: ["sts.amazonaws.com"])

    func claims(_ dates: String) -> Claims {
        Claims(
            json: try! JSONValue.parse(#"{"iss":"https://gitlab.example.com","aud":"sts.amazonaws.com",\#(dates)}"#))!
    }

    @Test(arguments: [
        (#""exp":9223372036854775807"#, "exp", "9223372036854775807"),
        (#""exp":-9223372036854775808"#, "exp", "-9223372036854775808"),
        (#""exp":2000,"nbf":-9223372036854775808"#, "nbf", "-9223372036854775808"),
        (#""exp":2000,"nbf":9223372036854775807"#, "nbf", "9223372036854775807"),
        (#""exp":2000,"iat":-1"#, "iat", "-1"),
        (#""exp":1e300"#, "exp", "1.0"),
        (#""exp":-1e300"#, "exp", "-1.0"),
        (#""exp":9.3e18"#, "exp", "9.3"),
        (#""exp":253402300800"#, "exp", "253402300800"),
        (#""exp":"2000""#, "exp", #""2000""#),
        (#""exp":true"#, "exp", "true"),
        (#""exp":2000,"nbf":{"a":1}"#, "nbf", #"{"a":1}"#),
    ])
    func datesOutsideTheYears1970To9999AreRefusedByName(dates: String, claim: String, value: String) {
        for now: Int64 in [0, 1_800_000_000, .min, .max] {
            let error = #expect(throws: TokenError.self) { try policy.check(claims(dates), now: now) }
            guard case let .invalidDate(refused, shown)? = error else {
                Issue.record("\(String(describing: error)) is not invalidDate")
                continue
            }
            #expect(refused == claim)
            // The value as JSON; doubles with 17 digits (1e300 is 1.0000000000000001e300).
            #expect(shown.hasPrefix(value), "\(shown)")
            #expect(
                error?.description.contains("`\(claim)` claim is \(shown), not a date between 1970 and 9999") == true)
        }
    }

    @Test func datesAtTheEdgesOfTheRangeAreCompared() throws {
        try policy.check(claims(#""exp":253402300799,"nbf":0,"iat":0"#), now: 1_800_000_000)
        try policy.check(claims(#""exp":1800000000.9"#), now: 1_800_000_060)
        #expect(throws: TokenError.expired(expiredAt: 0, now: .max)) {
            try policy.check(claims(#""exp":0"#), now: .max)
        }
        #expect(throws: TokenError.notYetValid(validFrom: 253_402_300_799, now: .min)) {
            try policy.check(claims(#""exp":253402300799,"nbf":253402300799"#), now: .min)
        }
        #expect(claims(#""exp":null"#).seconds("exp") == nil)
        #expect(claims(#""exp":1e300"#).seconds("exp") == nil)
    }

    @Test func messagesAboutExtremeTimesDoNotTrap() {
        #expect(TokenError.expired(expiredAt: .min, now: .max).description.contains("9223372036854775807 seconds ago"))
        #expect(TokenError.notYetValid(validFrom: .max, now: .min).description.contains("9223372036854775807 seconds"))
    }

    @Test func timeArithmeticSaturates() {
        #expect(Timestamp.adding(60, to: .max) == .max)
        #expect(Timestamp.adding(-60, to: .min) == .min)
        #expect(Timestamp.adding(-60, to: 100) == 40)
        #expect(Timestamp.seconds(from: .min, to: .max) == .max)
        #expect(Timestamp.seconds(from: .max, to: .min) == .min)
        #expect(Timestamp.seconds(from: 10, to: 4) == -6)
    }

    @Test func timestampsCoverTheYears1To9999Only() {
        #expect(Timestamp.parse("9999-12-31T23:59:59Z") == Timestamp.latest)
        #expect(Timestamp.parse("0000-01-01T00:00:00Z") == Timestamp.earliest)
        #expect(Timestamp.parse("0001-01-01T00:00:00Z") == -62_135_596_800)
        #expect(Timestamp.format(Timestamp.latest) == "9999-12-31T23:59:59Z")
        #expect(Timestamp.format(Timestamp.earliest) == "0000-01-01T00:00:00Z")
        #expect(Timestamp.format(-1) == "1969-12-31T23:59:59Z")
        for outside in [
            "0000-01-01T00:00:00+00:01", "9999-12-31T23:59:59-00:01",
            "2026-01-01T00:00:00+24:00",
        ] {
            #expect(Timestamp.parse(outside) == nil, "\(outside)")
        }
        // Total: any Int64 formats without trapping.
        for seconds: Int64 in [.min, .max, .min + 1, Timestamp.latest + 1] {
            #expect(Timestamp.format(seconds).hasSuffix("Z"))
        }
    }

    /// STS may answer any year; the credentials keep it, and the hook writes it back exactly.
    @Test func stsExpirationsAtTheEdgesGoThroughUnchanged() throws {
        for (text, seconds) in [
            ("9999-12-31T23:59:59Z", Timestamp.latest), ("0000-01-01T00:00:00.5Z", Timestamp.earliest),
        ] {
            let body = """
                <AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials>\
                <AccessKeyId>ASIAQWERTYUIOPASDFGH</AccessKeyId><SecretAccessKey>s</SecretAccessKey><SessionToken>t</SessionToken>\
                <Expiration>\(text)</Expiration></Credentials></AssumeRoleWithWebIdentityResult>\
                </AssumeRoleWithWebIdentityResponse>
                """
            let credentials = try STS.parseAnswer(status: 200, body: Array(body.utf8))
            #expect(credentials.expiration == seconds)
            let cache = Array(CredentialProcess.cacheText(credentials, role: "r").utf8)
            #expect(CredentialProcess.cachedCredentials(cache, role: "r", now: seconds - 3600) == credentials)
            #expect(CredentialProcess.cachedCredentials(cache, role: "r", now: .max) == nil)
        }
        let beforeYearZero = """
            <AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials>\
            <AccessKeyId>ASIAQWERTYUIOPASDFGH</AccessKeyId><SecretAccessKey>s</SecretAccessKey><SessionToken>t</SessionToken>\
            <Expiration>0000-01-01T00:00:00+00:01</Expiration></Credentials></AssumeRoleWithWebIdentityResult>\
            </AssumeRoleWithWebIdentityResponse>
            """
        let error = #expect(throws: STSError.self) { try STS.parseAnswer(status: 200, body: Array(beforeYearZero.utf8)) }
        #expect(error?.description.contains("Credentials/Expiration") == true)
    }
}
