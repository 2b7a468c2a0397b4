import Testing

@testable import GitLabOIDCAWS

@Suite struct SessionTagTests {
    @Test func keepsWhatAWSAllows() {
        let allowed = "project_path:group/app=v1.2+x-y@z Ünïcødé 日本語 ٣٤ Ⅻ ½ \u{3000}\u{2028}"
        #expect(SessionTag.sanitisedValue(allowed) == allowed)
        #expect(SessionTag.sanitised(key: "team", value: "a b").key == "team")
    }

    @Test func replacesEverythingElseWithADash() {
        #expect(SessionTag.sanitisedValue("feature/#123!") == "feature/-123-")
        #expect(SessionTag.sanitisedValue("a\nb\tc\u{0}d") == "a-b-c-d")
        #expect(SessionTag.sanitisedValue("e\u{301}") == "e-")  // a combining mark is \p{M}
        #expect(SessionTag.sanitisedValue("🚀*?\"'<>&%$,;()[]{}|\\^`~") == String(repeating: "-", count: 23))
        #expect(SessionTag.sanitisedKey("aws:\u{FEFF}x") == "aws:-x")
    }

    @Test func cutsKeysAndValuesSoEitherCountingFits() {
        #expect(SessionTag.sanitisedKey(String(repeating: "k", count: 200)).count == 128)
        #expect(SessionTag.sanitisedValue(String(repeating: "v", count: 300)).count == 256)
        #expect(SessionTag.sanitisedValue(String(repeating: "v", count: 256)).count == 256)
        // U+1D400 MATHEMATICAL BOLD CAPITAL A is a letter outside the BMP: two UTF-16 units.
        let wide = SessionTag.sanitisedKey(String(repeating: "\u{1D400}", count: 100))
        #expect(wide.unicodeScalars.count == 64 && wide.utf16.count == 128)
        let mixed = SessionTag.sanitisedKey("a" + String(repeating: "\u{1D400}", count: 64))
        #expect(mixed.utf16.count == 127 && mixed.unicodeScalars.count == 64)
        #expect(SessionTag.sanitisedValue("") == "")
    }

    @Test func theLimitsAreAWSs() {
        #expect(SessionTag.maximumKeyLength == 128 && SessionTag.maximumValueLength == 256)
        #expect(SessionTag.maximumTagsPerHop == 50)
    }
}

@Suite struct AccountIDTests {
    func credentials(_ assumedRoleARN: String?) -> AWSCredentials {
        AWSCredentials(accessKeyID: "ASIA", secretAccessKey: "s", sessionToken: "t", expiration: 0, assumedRoleARN: assumedRoleARN)
    }

    @Test func comesFromTheAssumedRoleARN() {
        #expect(credentials("arn:aws:sts::222233334444:assumed-role/target/s").accountID(assumedRole: "arn:aws:iam::111122223333:role/x") == "222233334444")
        #expect(credentials("arn:aws-cn:sts::222233334444:assumed-role/a/b").accountID(assumedRole: "") == "222233334444")
        #expect(credentials("arn:aws-us-gov:sts::222233334444:assumed-role/a/b").accountID(assumedRole: "") == "222233334444")
    }

    @Test(arguments: [
        nil, "", "arn:aws:sts::2222333344445:assumed-role/a/b", "arn:aws:sts::22223333444:assumed-role/a/b",
        "arn:aws:iam::222233334444:role/a", "arn:aws:sts::22223333444x:assumed-role/a/b", "arn:aws:sts::::assumed-role/a",
        "arn:aws:sts:us-east-1:222233334444:assumed-role/a/b", "arn:aws:sts::222233334444:federated-user/x",
        "arn:aws:sts::٢٢٢٢٣٣٣٣٤٤٤٤:assumed-role/a/b", "garbage",
    ])
    func fallsBackToTheRoleARN(arn: String?) {
        #expect(credentials(arn).accountID(assumedRole: "arn:aws:iam::111122223333:role/path/x") == "111122223333")
        #expect(credentials(arn).accountID(assumedRole: "not an arn") == nil)
    }

    @Test func descriptionsNameNoSecret() {
        let secret = AWSCredentials(
            accessKeyID: "ASIAKEY", secretAccessKey: "TOPSECRET", sessionToken: "TOKENVALUE", expiration: 1_800_000_000,
            assumedRoleARN: "arn:aws:sts::222233334444:assumed-role/a/b")
        var dumped = ""
        dump(secret, to: &dumped)
        for text in ["\(secret)", String(reflecting: secret), dumped] {
            #expect(!text.contains("TOPSECRET") && !text.contains("TOKENVALUE"), "\(text)")
        }
        #expect("\(secret)" == "credentials ASIAKEY for arn:aws:sts::222233334444:assumed-role/a/b, expiring 2027-01-15T08:00:00Z")
    }
}
