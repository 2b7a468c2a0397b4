import GitLabOIDCAWSTestSupport
import Testing

@testable import GitLabOIDCAWS

@Suite struct STSRetryDecisionTests {
    func service(_ code: String, status: Int = 400) -> STSError {
        .service(status: status, code: code, message: "m", requestID: nil)
    }

    @Test(arguments: [
        "Throttling", "ThrottlingException", "RequestLimitExceeded", "IDPCommunicationError", "InternalFailure",
        "ServiceUnavailable",
    ])
    func retriesTemporaryRefusals(code: String) {
        #expect(service(code).retryDecision(afterAttempt: 1) == .retry)
        #expect(service(code).retryDecision(afterAttempt: 10) == .retry)
    }

    @Test(arguments: [
        "AccessDenied", "ExpiredTokenException", "MalformedPolicyDocument", "ValidationError", "PackedPolicyTooLarge",
        "IDPRejectedClaim", "RegionDisabledException", "SomethingNew",
    ])
    func neverRetriesClientErrors(code: String) {
        #expect(service(code, status: code == "AccessDenied" ? 403 : 400).retryDecision(afterAttempt: 1) == .stop)
    }

    @Test func retriesEveryServerError() {
        #expect(service("SomethingNew", status: 500).retryDecision(afterAttempt: 1) == .retry)
        #expect(service("SomethingNew", status: 503).retryDecision(afterAttempt: 4) == .retry)
    }

    @Test func retriesInvalidIdentityTokenOnlyAFewTimes() {
        let decisions = (1...5).map { service("InvalidIdentityToken").retryDecision(afterAttempt: $0) }
        #expect(decisions == [.retry, .retry, .stop, .stop, .stop])
        #expect(STSError.invalidIdentityTokenAttempts == 3)
    }

    @Test func retriesUnreadableServerPagesAndCutAnswersButNotOtherPages() {
        #expect(STSError.unexpectedAnswer(status: 500, reason: "an HTML page").retryDecision(afterAttempt: 1) == .retry)
        #expect(STSError.unexpectedAnswer(status: 200, reason: "truncated").retryDecision(afterAttempt: 1) == .retry)
        #expect(STSError.unexpectedAnswer(status: 404, reason: "an HTML page").retryDecision(afterAttempt: 1) == .stop)
    }

    @Test func retriesNetworkFailuresButNotTLSOrOversizedAnswers() {
        func transport(_ kind: TransportError.Kind) -> RetryDecision {
            STSError.transport(TransportError(kind: kind, url: "u", detail: "d")).retryDecision(afterAttempt: 1)
        }
        #expect(transport(.connect) == .retry)
        #expect(transport(.connectTimeout(seconds: 5)) == .retry)
        #expect(transport(.timeout(seconds: 15)) == .retry)
        #expect(transport(.broken) == .retry)
        #expect(transport(.proxyRefused(status: 502)) == .retry)
        #expect(transport(.proxyRefused(status: 403)) == .stop)
        #expect(transport(.proxyRefused(status: 407)) == .stop)
        #expect(transport(.tls) == .stop)
        #expect(transport(.tooLarge(limit: 1 << 20)) == .stop)
    }

    @Test func invalidIdentityTokenForeverMakesThreeAttempts() {
        let time = ManualClock()
        var retrier = Retrier(settings: RetrySettings(), clock: time.clock, log: { _ in })
        retrier.random = { 0 }
        var calls = 0
        #expect(throws: STSError.self) {
            try retrier.run(
                "STS",
                operation: { (_: Double) throws(STSError) -> Int in
                    calls += 1
                    throw .service(status: 400, code: "InvalidIdentityToken", message: "", requestID: nil)
                },
                classify: { error, attempt in error.retryDecision(afterAttempt: attempt) })
        }
        #expect(calls == 3)
    }
}

@Suite struct STSFaultAnswerTests {
    func parse(_ status: Int, _ body: String) -> Result<AWSCredentials, STSError> {
        Result { () throws(STSError) -> AWSCredentials in try STS.parseAnswer(status: status, body: Array(body.utf8)) }
    }

    func failure(_ status: Int, _ body: String) -> STSError? {
        if case let .failure(error) = parse(status, body) { return error }
        return nil
    }

    let success = """
        <AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
          <AssumeRoleWithWebIdentityResult>
            <AssumedRoleUser><Arn>arn:aws:sts::111122223333:assumed-role/r/s</Arn></AssumedRoleUser>
            <Credentials>
              <AccessKeyId>ASIAEXAMPLE</AccessKeyId>
              <SecretAccessKey>secret</SecretAccessKey>
              <SessionToken>token</SessionToken>
              <Expiration>2027-01-01T00:00:00.123456Z</Expiration>
            </Credentials>
          </AssumeRoleWithWebIdentityResult>
        </AssumeRoleWithWebIdentityResponse>
        """

    @Test func readsCredentials() throws {
        let credentials = try parse(200, success).get()
        #expect(credentials.accessKeyID == "ASIAEXAMPLE")
        #expect(credentials.expiration == Timestamp.parse("2027-01-01T00:00:00Z"))
    }

    @Test func saysWhenTheAnswerIsTruncated() {
        let cut = String(success.prefix(success.utf8.count / 2))
        let error = failure(200, cut)
        #expect(error?.description.contains("truncated XML") == true)
        #expect(error?.retryDecision(afterAttempt: 1) == .retry)
    }

    @Test func recognisesAnHTMLErrorPage() {
        let page = "<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>\n<h1>Internal Server Error</h1>\n"
        #expect(failure(500, page) == .unexpectedAnswer(status: 500, reason: "an HTML page"))
        #expect(failure(404, page)?.description.contains("sts_endpoint") == true)
    }

    @Test func malformedXMLNamesNoContent() {
        let error = failure(200, "<a><b>secret&zzq;</b></a>")
        #expect(error?.description.contains("malformed XML") == true)
        #expect(error?.description.contains("secret") == false)
        #expect(error?.description.contains("zzq") == false)
    }

    @Test func serverTextStaysOnOneBoundedLine() {
        let message = "first line\nfake: assumed arn:aws:iam::1:role/admin\r\u{2028}" + String(repeating: "x", count: 5000)
        let body = "<ErrorResponse><Error><Code>Throttling\n</Code><Message>\(message)</Message></Error><RequestId>r\nr</RequestId></ErrorResponse>"
        let text = failure(400, body)?.description ?? ""
        #expect(!text.contains("\n") && !text.contains("\r") && !text.contains("\u{2028}"))
        #expect(text.utf8.count < 1000)
        #expect(text.contains("first line fake: assumed"))
    }

    @Test func aDoctypeIsRefused() {
        #expect(failure(200, "<!DOCTYPE x [<!ENTITY a 'b'>]><x>&a;</x>")?.description.contains("document type") == true)
    }
}
