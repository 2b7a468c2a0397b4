import GitLabOIDCAWSTestSupport
import Testing

@testable import GitLabOIDCAWS

enum IAMDocuments {
    static let role = "arn:aws:iam::123456789012:role/ci/deploy+prod"

    /// moto's answer shape: the policy percent-encoded with `/` left as it is, `+` as `%2B`
    /// and spaces as `%20`.
    static func getRole(arn: String = role, policy: String) -> String {
        """
        <GetRoleResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><GetRoleResult><Role>\
        <Path>/ci/</Path><RoleName>deploy+prod</RoleName><RoleId>AROARZPUZDIKMYIFV6GGI</RoleId><Arn>\(arn)</Arn>\
        <CreateDate>2026-12-06T03:16:50.638910Z</CreateDate><AssumeRolePolicyDocument>\(policy)</AssumeRolePolicyDocument>\
        <MaxSessionDuration>3600</MaxSessionDuration><RoleLastUsed/></Role></GetRoleResult>\
        <ResponseMetadata><RequestId>4Gi9lbiq</RequestId></ResponseMetadata></GetRoleResponse>
        """
    }

    static func error(_ code: String, message: String = "nope") -> String {
        """
        <ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type>\
        <Code>\(code)</Code><Message>\(message)</Message></Error><RequestId>r-1</RequestId></ErrorResponse>
        """
    }

    /// `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS":
    /// "arn:aws:iam::111122223333:role/a+b"}, "Action": ["sts:AssumeRole", "sts:TagSession"],
    /// "Condition": {"StringEquals": {"sts:ExternalId": "x y+z&%\u00e9"}}}]}`, as moto sent it.
    static let chainedPolicy =
        "%7B%0A%20%20%22Version%22%3A%20%222012-10-17%22%2C%0A%20%20%22Statement%22%3A%20%5B%0A%20%20%20%20%7B%0A"
        + "%20%20%20%20%20%20%22Effect%22%3A%20%22Allow%22%2C%0A%20%20%20%20%20%20%22Principal%22%3A%20%7B%0A"
        + "%20%20%20%20%20%20%20%20%22AWS%22%3A%20%22arn%3Aaws%3Aiam%3A%3A111122223333%3Arole/a%2Bb%22%0A"
        + "%20%20%20%20%20%20%7D%2C%0A%20%20%20%20%20%20%22Action%22%3A%20%5B%0A%20%20%20%20%20%20%20%20"
        + "%22sts%3AAssumeRole%22%2C%0A%20%20%20%20%20%20%20%20%22sts%3ATagSession%22%0A%20%20%20%20%20%20%5D%2C%0A"
        + "%20%20%20%20%20%20%22Condition%22%3A%20%7B%0A%20%20%20%20%20%20%20%20%22StringEquals%22%3A%20%7B%0A"
        + "%20%20%20%20%20%20%20%20%20%20%22sts%3AExternalId%22%3A%20%22x%20y%2Bz%26%25%5Cu00e9%22%0A"
        + "%20%20%20%20%20%20%20%20%7D%0A%20%20%20%20%20%20%7D%0A%20%20%20%20%7D%0A%20%20%5D%0A%7D"
}

@Suite struct IAMGetRoleTests {
    func parse(_ body: String, status: Int = 200) throws(IAMError) -> IAM.Role {
        try IAM.parseGetRoleAnswer(status: status, body: Array(body.utf8), roleARN: IAMDocuments.role)
    }

    func kind(_ body: String, status: Int = 200) -> IAMError.Kind? {
        do {
            _ = try parse(body, status: status)
            return nil
        } catch {
            return error.kind
        }
    }

    @Test func theEndpointIsThePartitionsGlobalOne() {
        #expect(IAM.endpoint(partition: "aws", override: nil) == ("https://iam.amazonaws.com/", "us-east-1"))
        #expect(IAM.endpoint(partition: "aws-cn", override: nil) == ("https://iam.cn-north-1.amazonaws.com.cn/", "cn-north-1"))
        #expect(IAM.endpoint(partition: "aws-us-gov", override: "") == ("https://iam.us-gov.amazonaws.com/", "us-gov-west-1"))
        #expect(IAM.endpoint(partition: "aws", override: "http://127.0.0.1:5000") == ("http://127.0.0.1:5000", "us-east-1"))
    }

    @Test func theBodyNamesTheRoleWithoutItsPath() throws {
        let arn = try #require(RoleARN(IAMDocuments.role))
        #expect(IAM.getRoleBody(roleName: arn.name) == "Action=GetRole&Version=2010-05-08&RoleName=deploy%2Bprod")
    }

    @Test func readsMotosAnswerAndDecodesThePolicyLikeBotocore() throws {
        let role = try parse(IAMDocuments.getRole(policy: IAMDocuments.chainedPolicy))
        #expect(role.arn == IAMDocuments.role && role.name == "deploy+prod" && role.path == "/ci/")
        #expect(role.maxSessionDuration == 3600)
        #expect(role.trustPolicyText.contains("\"arn:aws:iam::111122223333:role/a+b\""))
        #expect(role.trustPolicyText.contains("\"x y+z&%\\u00e9\""))
        let statement = try #require(role.trustPolicy.statements.first)
        #expect(role.trustPolicy.version == "2012-10-17")
        #expect(statement.principals.aws == ["arn:aws:iam::111122223333:role/a+b"])
        #expect(statement.actions == ["sts:AssumeRole", "sts:TagSession"])
        #expect(statement.conditions == [.init(test: .stringEquals, key: "sts:ExternalId", values: ["x y+z&%é"])])
    }

    @Test func decodingKeepsPlusSignsAndOddEscapes() {
        #expect(IAM.decodePolicyDocument("a+b%20c%2Bd") == "a+b c+d")
        #expect(IAM.decodePolicyDocument("100%") == "100%")
        #expect(IAM.decodePolicyDocument("%C3%A9%e2%82%ac") == "é€")
        #expect(IAM.decodePolicyDocument("%FF%FE") == nil)
        #expect(IAM.decodePolicyDocument("%C3") == nil)
    }

    @Test func refusalsAreTyped() {
        #expect(kind(IAMDocuments.error("NoSuchEntity", message: "The role with name deploy+prod cannot be found."), status: 404)
            == .noSuchRole(message: "The role with name deploy+prod cannot be found."))
        #expect(kind(IAMDocuments.error("AccessDenied"), status: 403) == .accessDenied(message: "nope"))
        #expect(kind(IAMDocuments.error("Throttling"), status: 400) == .service(status: 400, code: "Throttling", message: "nope", requestID: "r-1"))
        #expect(kind("<html>bad gateway</html>", status: 502) == .unexpectedAnswer(status: 502, reason: "an HTML page"))
    }

    @Test func messagesNameTheRoleAndItsAccount() {
        func text(_ kind: IAMError.Kind) -> String { "\(IAMError(roleARN: IAMDocuments.role, kind: kind))" }
        #expect(text(.accessDenied(message: "User: arn:aws:sts::1:assumed-role/a/b is not authorized")).contains("iam:GetRole in account 123456789012"))
        #expect(text(.noSuchRole(message: "m")).hasPrefix("role \(IAMDocuments.role) does not exist in account 123456789012"))
        #expect(text(.otherRole(returnedARN: "arn:aws:iam::999999999999:role/ci/deploy+prod")).contains("another account than 123456789012"))
        #expect(text(.unreadableTrustPolicy(reason: "r")).contains("cannot be audited: r"))
        #expect(!text(.service(status: 400, code: "X\nY", message: "a\nb", requestID: nil)).contains("\n"))
    }

    @Test func anAnswerAboutAnotherRoleIsRefused() {
        let other = IAMDocuments.getRole(arn: "arn:aws:iam::999999999999:role/ci/deploy+prod", policy: "%7B%7D")
        #expect(kind(other) == .otherRole(returnedARN: "arn:aws:iam::999999999999:role/ci/deploy+prod"))
        let otherPath = IAMDocuments.getRole(arn: "arn:aws:iam::123456789012:role/deploy+prod", policy: "%7B%7D")
        #expect(kind(otherPath) == .otherRole(returnedARN: "arn:aws:iam::123456789012:role/deploy+prod"))
    }

    @Test func hostileAnswersAreClearErrors() {
        #expect(kind(IAMDocuments.getRole(policy: "%FF")) == .unreadableTrustPolicy(reason: "AssumeRolePolicyDocument is not URL-encoded UTF-8 text"))
        #expect(kind(IAMDocuments.getRole(policy: "")) == .unexpectedAnswer(status: 200, reason: "Role/AssumeRolePolicyDocument is missing"))
        #expect(kind(IAMDocuments.getRole(policy: "%7B&#10;%7D")) == .unexpectedAnswer(status: 200, reason: "Role/AssumeRolePolicyDocument contains control characters"))
        guard case .unreadableTrustPolicy? = kind(IAMDocuments.getRole(policy: "%7Bnot%20json")) else {
            Issue.record("not JSON was accepted")
            return
        }
        let deep = String(repeating: "%5B", count: 100_000)
        guard case .unreadableTrustPolicy? = kind(IAMDocuments.getRole(policy: deep)) else {
            Issue.record("a deeply nested policy was accepted")
            return
        }
        #expect(kind("<GetRoleResponse/>") == .unexpectedAnswer(status: 200, reason: "no GetRoleResult/Role in <GetRoleResponse>"))
        #expect(kind("", status: 200) == .unexpectedAnswer(status: 200, reason: "an empty body"))
    }

    @Test func retriesOnlyWhatCanPass() {
        #expect(IAMError(roleARN: "r", kind: .service(status: 400, code: "Throttling", message: "", requestID: nil)).retryDecision == .retry)
        #expect(IAMError(roleARN: "r", kind: .service(status: 500, code: "ServiceFailure", message: "", requestID: nil)).retryDecision == .retry)
        #expect(IAMError(roleARN: "r", kind: .service(status: 400, code: "InvalidInput", message: "", requestID: nil)).retryDecision == .stop)
        #expect(IAMError(roleARN: "r", kind: .accessDenied(message: "")).retryDecision == .stop)
        #expect(IAMError(roleARN: "r", kind: .noSuchRole(message: "")).retryDecision == .stop)
        #expect(IAMError(roleARN: "r", kind: .transport(TransportError(kind: .timeout(seconds: 1), url: "u", detail: ""))).retryDecision == .retry)
    }

    @Test func getRoleSignsForIAMInThePartitionsRegionAndRetries() throws {
        let arn = try #require(RoleARN(IAMDocuments.role))
        let transport = FakeTransport([
            .response(400, IAMDocuments.error("Throttling")), .response(200, IAMDocuments.getRole(policy: IAMDocuments.chainedPolicy)),
        ])
        let credentials = SigV4.Credentials(accessKeyID: "AKIAAUDITOR", secretAccessKey: "auditor-secret")
        let role = try IAM.getRole(
            arn, endpoint: "https://iam.amazonaws.com/", region: "us-east-1", credentials: credentials, transport: transport,
            settings: TransportSettings(), retrier: ManualClock.atStart().retrier())
        #expect(role.trustPolicy.statements.count == 1)
        #expect(transport.requests.count == 2)
        let sent = transport.requests[1]
        #expect(String(decoding: sent.body, as: UTF8.self) == "Action=GetRole&Version=2010-05-08&RoleName=deploy%2Bprod")
        #expect(header("Authorization", in: sent)?.contains("Credential=AKIAAUDITOR/") == true)
        #expect(header("Authorization", in: sent)?.contains("/us-east-1/iam/aws4_request, SignedHeaders=accept;content-type;host;x-amz-date, ") == true)
        #expect(header("X-Amz-Security-Token", in: sent) == nil)
    }
}

@Suite struct TrustPolicyDocumentTests {
    func parse(_ text: String) throws(IAMError) -> TrustPolicyDocument {
        try TrustPolicyDocument.parse(text, roleARN: IAMDocuments.role)
    }

    func reason(_ text: String) -> String? {
        do {
            _ = try parse(text)
            return nil
        } catch {
            if case let .unreadableTrustPolicy(reason) = error.kind { return reason }
            return "\(error)"
        }
    }

    @Test func readsAGitLabTrustPolicyInEveryAllowedShape() throws {
        let document = try parse(
            """
            {"Version": "2012-10-17", "Id": "x", "Statement": {"Sid": "GitLab", "Effect": "Allow",
              "Principal": {"Federated": "arn:aws:iam::111122223333:oidc-provider/gitlab.example.com"},
              "Action": "sts:AssumeRoleWithWebIdentity",
              "Condition": {"StringEquals": {"gitlab.example.com:aud": "sts.amazonaws.com"},
                            "StringLike": {"gitlab.example.com:sub": ["project_path:g/*:ref_type:branch:ref:main", "x"]},
                            "ForAnyValue:StringLike": {"gitlab.example.com:sub": "y"}}}}
            """)
        #expect(document.version == "2012-10-17")
        let statement = try #require(document.statements.first)
        #expect(statement.sid == "GitLab" && statement.effect == .allow && statement.label(index: 0) == "statement 1 (\"GitLab\")")
        #expect(statement.principals.federated == ["arn:aws:iam::111122223333:oidc-provider/gitlab.example.com"])
        #expect(statement.actions == ["sts:AssumeRoleWithWebIdentity"])
        #expect(
            statement.conditions == [
                .init(test: .stringEquals, key: "gitlab.example.com:aud", values: ["sts.amazonaws.com"]),
                .init(test: .stringLike, key: "gitlab.example.com:sub", values: ["project_path:g/*:ref_type:branch:ref:main", "x"]),
                .init(test: .forAnyValueStringLike, key: "gitlab.example.com:sub", values: ["y"]),
            ])
    }

    @Test func readsPrincipalsOfEveryKindAndDenyStatements() throws {
        let document = try parse(
            """
            {"Statement": [{"Effect": "Deny", "Principal": "*", "Action": ["sts:AssumeRole"]},
                           {"Effect": "Allow", "Principal": {"AWS": ["123456789012", "arn:aws:iam::1:root"], "Service": "ec2.amazonaws.com"},
                            "Action": "sts:AssumeRole"}]}
            """)
        #expect(document.version == nil && document.statements.count == 2)
        #expect(document.statements[0].effect == .deny && document.statements[0].principals.anyone)
        #expect(document.statements[1].principals.aws == ["123456789012", "arn:aws:iam::1:root"])
        #expect(document.statements[1].principals.service == ["ec2.amazonaws.com"])
        #expect(document.statements[1].label(index: 1) == "statement 2")
    }

    @Test(arguments: [
        ("[]", "the document is not a JSON object"),
        ("{\"Version\": \"2012-10-17\"}", "no Statement"),
        ("{\"Statement\": 3}", "Statement is neither an object nor a list"),
        ("{\"Statement\": [], \"Extra\": 1}", "unexpected top-level key \"Extra\""),
        ("{\"Statement\": [{\"Principal\": \"*\", \"Action\": \"a\"}]}", "statement 1 has no Effect"),
        ("{\"Statement\": [{\"Effect\": \"allow\", \"Principal\": \"*\", \"Action\": \"a\"}]}", "statement 1: Effect must be \"Allow\" or \"Deny\""),
        ("{\"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"a\"}]}", "statement 1 has no Principal"),
        ("{\"Statement\": [{\"Effect\": \"Allow\", \"Principal\": \"*\"}]}", "statement 1 has no Action"),
        ("{\"Statement\": [{\"Sid\": \"s\", \"Effect\": \"Allow\", \"NotPrincipal\": \"*\", \"Action\": \"a\"}]}",
         "statement 1 (\"s\"): \"NotPrincipal\" is not something audit understands (it reads Sid, Effect, Principal, Action and Condition)"),
        ("{\"Statement\": [{\"Effect\": \"Allow\", \"Principal\": {\"CanonicalUser\": \"x\"}, \"Action\": \"a\"}]}",
         "statement 1: principal type \"CanonicalUser\" is not one audit understands (AWS, Federated, Service)"),
        ("{\"Statement\": [{\"Effect\": \"Allow\", \"Principal\": \"someone\", \"Action\": \"a\"}]}",
         "statement 1: Principal must be \"*\" or an object of principal types"),
        ("{\"Statement\": [{\"Effect\": \"Allow\", \"Principal\": \"*\", \"Action\": []}]}",
         "statement 1: Action must be a string or a non-empty list of strings"),
        ("{\"Statement\": [{\"Effect\": \"Allow\", \"Principal\": \"*\", \"Action\": [\"a\", 1]}]}",
         "statement 1: Action holds something that is not a string"),
        ("{\"Statement\": [{\"Effect\": \"Allow\", \"Principal\": \"*\", \"Action\": \"a\", \"Condition\": {\"Bool\": {\"aws:SecureTransport\": \"true\"}}}]}",
         "statement 1: condition operator \"Bool\" is not one audit understands (StringEquals, StringLike, ForAnyValue:StringLike)"),
        ("{\"Statement\": [{\"Effect\": \"Allow\", \"Principal\": \"*\", \"Action\": \"a\", \"Condition\": {\"StringLike\": {\"k\": 5}}}]}",
         "statement 1: Condition StringLike \"k\" must be a string or a non-empty list of strings"),
        ("{\"Statement\": [{\"Effect\": \"Allow\", \"Principal\": \"*\", \"Action\": \"a\", \"Condition\": []}]}",
         "statement 1: Condition is not an object"),
    ])
    func refusesWhatItDoesNotModelWithTheReason(text: String, expected: String) {
        #expect(reason(text) == expected)
    }

    @Test func duplicateKeysAndBrokenJSONAreRefused() {
        #expect(reason("{\"Statement\": [], \"Statement\": []}")?.hasPrefix("not JSON: duplicate object key") == true)
        #expect(reason("{")?.hasPrefix("not JSON: ") == true)
        #expect(reason(String(repeating: "[", count: 5000))?.hasPrefix("not JSON: ") == true)
    }
}
