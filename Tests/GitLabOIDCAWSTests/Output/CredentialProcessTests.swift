import GitLabOIDCAWSTestSupport
import Testing

@testable import GitLabOIDCAWS

@Suite("credential-process answer and cache")
struct CredentialProcessTests {
    let credentials = AWSCredentials(
        accessKeyID: "ASIAEXAMPLE", secretAccessKey: "secret/+=", sessionToken: "token\"quoted",
        expiration: 1_800_000_000, assumedRoleARN: "arn:aws:sts::1:assumed-role/r/s")
    let role = "arn:aws:iam::111122223333:role/deploy"

    @Test func answerIsVersion1JSONWithExpiration() throws {
        let text = CredentialProcess.render(credentials)
        #expect(
            text
                == #"{"Version":1,"AccessKeyId":"ASIAEXAMPLE","SecretAccessKey":"secret/+=","SessionToken":"token\"quoted","Expiration":"2027-01-15T08:00:00Z"}"#
        )
        #expect(!text.contains("\n"))
    }

    @Test func cacheIsReusedUntilFiveMinutesBeforeExpiry() {
        let cache = Array(CredentialProcess.cacheText(credentials, role: role).utf8)
        let reused = CredentialProcess.cachedCredentials(cache, role: role, now: 1_800_000_000 - 301)
        #expect(reused?.accessKeyID == "ASIAEXAMPLE")
        #expect(reused?.sessionToken == "token\"quoted")
        #expect(reused?.expiration == 1_800_000_000)
        #expect(CredentialProcess.cachedCredentials(cache, role: role, now: 1_800_000_000 - 300) == nil)
        #expect(CredentialProcess.cachedCredentials(cache, role: role + "x", now: 0) == nil)
    }

    @Test func brokenCachesAreIgnored() {
        for text in [
            "", "{", "[]", #"{"Version":2}"#,
            #"{"Version":1,"AccessKeyId":"A","SecretAccessKey":"S","Expiration":"2099-01-01T00:00:00Z","RoleArn":"R"}"#,
            #"{"Version":1,"AccessKeyId":"A","SecretAccessKey":"S","SessionToken":"T","Expiration":"soon","RoleArn":"R"}"#,
        ] {
            #expect(CredentialProcess.cachedCredentials(Array(text.utf8), role: "R", now: 0) == nil)
        }
        let complete =
            #"{"Version":1,"AccessKeyId":"A","SecretAccessKey":"S","SessionToken":"T","Expiration":"2099-01-01T00:00:00Z","RoleArn":"R"}"#
        #expect(CredentialProcess.cachedCredentials(Array(complete.utf8), role: "R", now: 0) != nil)
    }
}

/// `CredentialProcess.run` in process: the mapping file and the token file in a temporary
/// folder, STS answered by the fake transport.
@Suite struct CredentialProcessRunTests {
    let directory = TemporaryDirectory()
    let transport = FakeTransport()
    let clock = ManualClock()
    let sts = "https://sts.eu-west-1.amazonaws.com/"
    let role = "arn:aws:iam::111122223333:role/deploy"

    func context(rule: Int = 1, token: String = TokenFixtures.main, cache: Bool = true) -> CredentialProcessContext {
        let config = directory.write(
            "oidc-aws.toml",
            """
            issuer = "\(TokenFixtures.issuer)"
            output = "profile"
            region = "eu-west-1"

            [[rule]]
            role = "\(role)"
            match = { project_path = "group/project" }
            """)
        return CredentialProcessContext(
            configPath: config, tokenFile: directory.write("AWS_ID_TOKEN.jwt", token + "\n"), rule: rule,
            cacheFile: cache ? directory.file("cache-rule-\(rule).json") : nil, environment: { _ in nil },
            clock: clock.clock, transport: transport, log: { _ in })
    }

    @Test func printsCredentialsAndCachesThem() throws {
        transport.queue(sts, .response(STSAnswers.credentials(role: role, expiration: clock.now + 3600)))
        let answer = try CredentialProcess.run(context())
        #expect(answer.hasPrefix(#"{"Version":1,"AccessKeyId":"\#(STSAnswers.accessKeyID(1))","#))
        #expect(transport.requests(to: sts).first?.formField("WebIdentityToken") == TokenFixtures.main)
        #expect(try CredentialProcess.run(context()) == answer)
        #expect(transport.requests(to: sts).count == 1, "the second answer came from the cache")
    }

    @Test func aRuleThatNoLongerMatchesGivesNothing() {
        #expect(
            throws: HookFailure.credentialProcess(
                .ruleDoesNotMatch(rule: "rule 1 (line 5)", claim: "project_path", path: directory.file("oidc-aws.toml")))
        ) { try CredentialProcess.run(context(token: TokenFixtures.otherProject, cache: false)) }
        #expect(transport.requests.isEmpty)
    }

    @Test func aMissingRuleOrTokenFileIsSaidPlainly() {
        #expect(
            throws: HookFailure.credentialProcess(.noSuchRule(number: 2, count: 1, path: directory.file("oidc-aws.toml")))
        ) { try CredentialProcess.run(context(rule: 2)) }
        var missing = context(cache: false)
        missing.tokenFile = directory.file("nope.jwt")
        #expect(throws: HookFailure.credentialProcess(.unreadableToken(path: directory.file("nope.jwt")))) {
            try CredentialProcess.run(missing)
        }
    }
}
