import Testing

@testable import GitLabOIDCAWS

@Suite struct STSAnswerTests {
    static func success(expiration: String) -> [UInt8] {
        Array(
            """
            <?xml version="1.0" encoding="UTF-8"?>
            <AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
              <AssumeRoleWithWebIdentityResult>
                <SubjectFromWebIdentityToken>project_path:g/p:ref_type:branch:ref:main</SubjectFromWebIdentityToken>
                <Audience>sts.amazonaws.com</Audience>
                <AssumedRoleUser>
                  <Arn>arn:aws:sts::111122223333:assumed-role/deploy/gitlab-42-1001</Arn>
                  <AssumedRoleId>AROA3XFRBF535PLBIFPI4:gitlab-42-1001</AssumedRoleId>
                </AssumedRoleUser>
                <Credentials>
                  <SessionToken>FwoGZXIvYXdzE&amp;Token/+=</SessionToken>
                  <SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>
                  <Expiration>\(expiration)</Expiration>
                  <AccessKeyId>ASIAIOSFODNN7EXAMPLE</AccessKeyId>
                </Credentials>
                <Provider>gitlab.example.com</Provider>
              </AssumeRoleWithWebIdentityResult>
              <ResponseMetadata><RequestId>ad4156e9-bce1-11e2-82e6-6b6efEXAMPLE</RequestId></ResponseMetadata>
            </AssumeRoleWithWebIdentityResponse>
            """.utf8)
    }

    @Test func parsesCredentials() throws {
        let credentials = try STS.parseAnswer(status: 200, body: Self.success(expiration: "2026-11-27T07:08:51Z"))
        #expect(credentials.accessKeyID == "ASIAIOSFODNN7EXAMPLE")
        #expect(credentials.secretAccessKey == "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY")
        #expect(credentials.sessionToken == "FwoGZXIvYXdzE&Token/+=")
        #expect(Timestamp.format(credentials.expiration) == "2026-11-27T07:08:51Z")
        #expect(credentials.assumedRoleARN == "arn:aws:sts::111122223333:assumed-role/deploy/gitlab-42-1001")
    }

    @Test func acceptsFractionalSecondsAndOffsets() throws {
        let moto = try STS.parseAnswer(status: 200, body: Self.success(expiration: "2026-11-27T07:08:51.123456Z"))
        #expect(Timestamp.format(moto.expiration) == "2026-11-27T07:08:51Z")
        let offset = try STS.parseAnswer(status: 200, body: Self.success(expiration: "2026-11-27T08:08:51+01:00"))
        #expect(offset.expiration == moto.expiration)
    }

    @Test func parsesErrorResponses() {
        let body = Array(
            """
            <ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
              <Error><Type>Sender</Type><Code>AccessDenied</Code><Message>Not authorized to perform sts:AssumeRoleWithWebIdentity</Message></Error>
              <RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId>
            </ErrorResponse>
            """.utf8)
        #expect(throws: STSError.service(
            status: 403, code: "AccessDenied", message: "Not authorized to perform sts:AssumeRoleWithWebIdentity",
            requestID: "c6104cbe-af31-11e0-8154-cbc7ccf896c7")) {
            try STS.parseAnswer(status: 403, body: body)
        }
    }

    @Test func refusesHTMLTruncatedAndMalformedAnswers() {
        let html = Array("<!DOCTYPE html><html><body><h1>Internal Server Error</h1></body></html>".utf8)
        #expect(throws: STSError.unexpectedAnswer(status: 500, reason: "an HTML page")) {
            try STS.parseAnswer(status: 500, body: html)
        }
        let truncated = Array(Self.success(expiration: "2026-11-27T07:08:51Z").prefix(300))
        do {
            _ = try STS.parseAnswer(status: 200, body: truncated)
            Issue.record("a truncated answer was accepted")
        } catch {
            guard case let .unexpectedAnswer(200, reason) = error else { Issue.record("\(error)"); return }
            #expect(reason.hasPrefix("truncated XML"))
        }
        #expect(throws: STSError.self) { try STS.parseAnswer(status: 200, body: []) }
        #expect(throws: STSError.self) {
            try STS.parseAnswer(status: 200, body: Array("<AssumeRoleWithWebIdentityResponse/>".utf8))
        }
    }

    @Test func refusesAMissingOrBadExpiration() {
        #expect(throws: STSError.self) {
            try STS.parseAnswer(status: 200, body: Self.success(expiration: "tomorrow"))
        }
    }

    @Test func classifiesRetries() {
        #expect(STSError.service(status: 400, code: "Throttling", message: "", requestID: nil).retryDecision(afterAttempt: 1) == .retry)
        #expect(STSError.service(status: 400, code: "IDPCommunicationError", message: "", requestID: nil).retryDecision(afterAttempt: 1) == .retry)
        #expect(STSError.service(status: 503, code: "ServiceUnavailable", message: "", requestID: nil).retryDecision(afterAttempt: 1) == .retry)
        for code in ["AccessDenied", "ExpiredTokenException", "MalformedPolicyDocument", "ValidationError"] {
            #expect(STSError.service(status: 400, code: code, message: "", requestID: nil).retryDecision(afterAttempt: 1) == .stop)
        }
        #expect(STSError.unexpectedAnswer(status: 500, reason: "an HTML page").retryDecision(afterAttempt: 1) == .retry)
        #expect(STSError.unexpectedAnswer(status: 404, reason: "x").retryDecision(afterAttempt: 1) == .stop)
    }

    @Test func buildsTheFormBody() {
        let request = STS.Request(
            roleARN: "arn:aws:iam::111122223333:role/deploy", sessionName: "gitlab-42-1001", token: "a.b.c",
            duration: 900, policy: "{\"Version\":\"2012-10-17\"}", policyARNs: ["arn:aws:iam::aws:policy/ReadOnlyAccess"])
        #expect(
            request.formBody
                == "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2Fdeploy&RoleSessionName=gitlab-42-1001&WebIdentityToken=a.b.c&DurationSeconds=900&Policy=%7B%22Version%22%3A%222012-10-17%22%7D&PolicyArns.member.1.arn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FReadOnlyAccess"
        )
    }

    @Test func picksRegionalEndpoints() {
        #expect(STS.endpoint(region: "eu-west-1", fips: false, override: nil) == "https://sts.eu-west-1.amazonaws.com/")
        #expect(STS.endpoint(region: "cn-north-1", fips: false, override: nil) == "https://sts.cn-north-1.amazonaws.com.cn/")
        #expect(STS.endpoint(region: "us-east-2", fips: true, override: nil) == "https://sts-fips.us-east-2.amazonaws.com/")
        #expect(STS.endpoint(region: "us-east-2", fips: false, override: "https://vpce.example/") == "https://vpce.example/")
        #expect(STS.endpoint(region: "us-east-2", fips: false, override: "") == "https://sts.us-east-2.amazonaws.com/")
    }
}
