import GitLabOIDCAWSTestSupport
import Testing

@testable import GitLabOIDCAWS

@Suite struct STSAssumeRoleTests {
    static let role = "arn:aws:iam::222233334444:role/target"
    let previous = SigV4.Credentials(accessKeyID: "ASIAPREVIOUSHOP0001", secretAccessKey: "hop1/secret+", sessionToken: "hop1token")

    func request(tags: [SessionTag] = [], transitive: [String] = []) -> STS.AssumeRoleRequest {
        STS.AssumeRoleRequest(
            roleARN: Self.role, sessionName: "gitlab-42-1001", duration: 900, externalID: "ext-id",
            policy: "{\"Version\":\"2012-10-17\"}", policyARNs: ["arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:b"],
            tags: tags, transitiveTagKeys: transitive)
    }

    @Test func theFormBodyHasEveryParameterInAWSsNames() {
        let body = request(
            tags: [SessionTag(key: "project", value: "group/app"), SessionTag(key: "ref", value: "a b+c")],
            transitive: ["project"]
        ).formBody
        #expect(
            body
                == "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A222233334444%3Arole%2Ftarget"
                + "&RoleSessionName=gitlab-42-1001&DurationSeconds=900&ExternalId=ext-id"
                + "&Policy=%7B%22Version%22%3A%222012-10-17%22%7D"
                + "&PolicyArns.member.1.arn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FReadOnlyAccess&PolicyArns.member.2.arn=arn%3Ab"
                + "&Tags.member.1.Key=project&Tags.member.1.Value=group%2Fapp&Tags.member.2.Key=ref"
                + "&Tags.member.2.Value=a%20b%2Bc&TransitiveTagKeys.member.1=project")
        let minimal = STS.AssumeRoleRequest(roleARN: Self.role, sessionName: "s1").formBody
        #expect(minimal == "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A222233334444%3Arole%2Ftarget&RoleSessionName=s1")
    }

    @Test func aHopIsSignedWithThePreviousCredentialsForSTSInTheRegion() throws {
        let transport = FakeTransport([.response(200, STSDocuments.success())])
        let time = ManualClock.atStart()
        let credentials = try STS.assumeRole(
            request(), hop: 2, endpoint: "https://sts.eu-west-1.amazonaws.com/", region: "eu-west-1",
            credentials: previous, transport: transport, settings: TransportSettings(), retrier: time.retrier())
        #expect(credentials.accessKeyID == "ASIAQWERTYUIOPASDFGH")
        #expect(credentials.secretAccessKey == "hop2secret/+=")
        #expect(credentials.assumedRoleARN == "arn:aws:sts::222233334444:assumed-role/target/hop-2")
        let sent = try #require(transport.requests.first)
        #expect(sent.method == .post && sent.url == "https://sts.eu-west-1.amazonaws.com/")
        #expect(String(decoding: sent.body, as: UTF8.self) == request().formBody)
        #expect(header("Host", in: sent) == "sts.eu-west-1.amazonaws.com")
        #expect(header("X-Amz-Security-Token", in: sent) == "hop1token")
        #expect(header("X-Amz-Date", in: sent) == SigV4.timestamp(startTime))
        #expect(header("Content-Type", in: sent) == "application/x-www-form-urlencoded; charset=utf-8")
        // The signature is the signer's over exactly what was sent.
        let expected = SigV4.sign(
            HTTPRequest(url: sent.url, method: .post, headers: STS.formHeaders, body: sent.body), credentials: previous,
            region: "eu-west-1", service: "sts", time: startTime)
        #expect(header("Authorization", in: sent) == header("Authorization", in: expected))
        #expect(header("Authorization", in: sent)?.contains("/eu-west-1/sts/aws4_request") == true)
    }

    @Test func everyAttemptIsSignedAnewAndThrottlingIsRetried() throws {
        let transport = FakeTransport([
            .response(400, STSDocuments.error("Throttling", message: "Rate exceeded")), .failure(.broken),
            .response(503, STSDocuments.error("ServiceUnavailable")), .response(200, STSDocuments.success()),
        ])
        let time = ManualClock.atStart()
        var lines: [String] = []
        let credentials = try STS.assumeRole(
            request(), hop: 3, endpoint: "https://sts.us-east-1.amazonaws.com/", region: "us-east-1",
            credentials: previous, transport: transport, settings: TransportSettings(),
            retrier: time.retrier(log: { lines.append($0) }))
        #expect(credentials.sessionToken == "hop2token")
        #expect(transport.requests.count == 4)
        let dates = transport.requests.map { header("X-Amz-Date", in: $0) }
        #expect(dates == [0, 1, 3, 7].map { SigV4.timestamp(startTime + $0) })  // after waits of 1, 2 and 4 s
        #expect(lines.count == 4 && lines.allSatisfy { $0.hasPrefix("STS AssumeRole (chain hop 3): attempt ") })
        #expect(lines[0].contains("STS refused the request: Throttling: Rate exceeded"))
    }

    @Test(arguments: [
        "AccessDenied", "ValidationError", "ExpiredToken", "InvalidClientTokenId", "SignatureDoesNotMatch",
        "IncompleteSignature", "MalformedPolicyDocument", "PackedPolicyTooLarge", "RegionDisabledException",
    ])
    func refusalsStopAtOnceAndNameTheHopAndRole(code: String) {
        let transport = FakeTransport([.response(code == "AccessDenied" ? 403 : 400, STSDocuments.error(code, message: "AWS says no"))])
        #expect {
            try STS.assumeRole(
                request(), hop: 2, endpoint: "https://sts.us-east-1.amazonaws.com/", region: "us-east-1",
                credentials: previous, transport: transport, settings: TransportSettings(),
                retrier: ManualClock.atStart().retrier())
        } throws: { error in
            guard let error = error as? STSError else { return false }
            let text = "\(error)"
            return error.code == code && error.call == STSCall(action: .assumeRole, roleARN: Self.role, hop: 2)
                && text.hasPrefix("STS refused AssumeRole of \(Self.role) (chain hop 2): \(code): AWS says no (HTTP ")
                && STSError.hint(for: code, action: .assumeRole) != nil && text.contains(STSError.hint(for: code, action: .assumeRole)!)
                && !text.contains("hop1") && !text.contains("secret")
        }
        #expect(transport.requests.count == 1)
    }

    @Test func theHintsForAChainHopAreNotTheWebIdentityOnes() {
        #expect(STSError.hint(for: "AccessDenied", action: .assumeRole)?.contains("previous hop") == true)
        #expect(STSError.hint(for: "AccessDenied", action: .assumeRoleWithWebIdentity)?.contains("OIDC provider") == true)
        #expect(STSError.hint(for: "ValidationError", action: .assumeRole)?.contains("3600") == true)
    }

    @Test func networkFailuresNameTheCallAfterTheLastAttempt() {
        let transport = FakeTransport([.failure(.connect), .failure(.connect)])
        do {
            _ = try STS.assumeRole(
                request(), endpoint: "https://sts.us-east-1.amazonaws.com/", region: "us-east-1", credentials: previous,
                transport: transport, settings: TransportSettings(), retrier: ManualClock.atStart().retrier(maxAttempts: 2))
            Issue.record("no error")
        } catch {
            #expect(error.attemptError == .transport(TransportError(kind: .connect, url: "https://sts.us-east-1.amazonaws.com/", detail: "scripted failure")))
            #expect("\(error)".hasPrefix("cannot reach STS for AssumeRole of \(Self.role): "))
            #expect(error.retryDecision(afterAttempt: 1) == .retry)
        }
    }

    @Test func theWebIdentityCallReportsItsRoleToo() {
        let transport = FakeTransport([.response(500, "<html><body>oops</body></html>")])
        do {
            _ = try STS.assumeRole(
                STS.Request(roleARN: Self.role, sessionName: "s1", token: "a.b.c"), hop: 1,
                endpoint: "https://sts.us-east-1.amazonaws.com/", transport: transport, settings: TransportSettings(),
                retrier: ManualClock.atStart().retrier(maxAttempts: 1))
            Issue.record("no error")
        } catch {
            #expect(error.call == STSCall(action: .assumeRoleWithWebIdentity, roleARN: Self.role, hop: 1))
            #expect(
                "\(error)"
                    == "STS answered HTTP 500 to AssumeRoleWithWebIdentity of \(Self.role) (chain hop 1) with something that is not an STS response (an HTML page)"
            )
            #expect(header("Authorization", in: transport.requests[0]) == nil)
        }
    }

    @Test func wrappingNeverNests() {
        let call = STSCall(action: .assumeRole, roleARN: Self.role, hop: 2)
        let inner = STSError.service(status: 400, code: "Throttling", message: "m", requestID: nil)
        let twice = inner.within(STSCall(action: .assumeRole, roleARN: "x")).within(call)
        #expect(twice == .failed(call, inner))
        #expect(twice.attemptError == inner && twice.code == "Throttling")
        #expect(twice.retryDecision(afterAttempt: 1) == .retry)
    }
}

@Suite struct STSAssumeRoleAnswerTests {
    func parse(_ body: String, status: Int = 200, action: STSAction = .assumeRole) throws(STSError) -> AWSCredentials {
        try STS.parseAnswer(status: status, body: Array(body.utf8), action: action)
    }

    func reason(_ body: String, status: Int = 200, action: STSAction = .assumeRole) -> String? {
        do {
            _ = try parse(body, status: status, action: action)
            return nil
        } catch {
            if case let .unexpectedAnswer(_, reason) = error { return reason }
            return "\(error)"
        }
    }

    @Test func bothActionsShareTheParserButNotTheirDocuments() throws {
        #expect(try parse(STSDocuments.success()).accessKeyID == "ASIAQWERTYUIOPASDFGH")
        #expect(try parse(STSDocuments.success(action: "AssumeRoleWithWebIdentity"), action: .assumeRoleWithWebIdentity).sessionToken == "hop2token")
        #expect(reason(STSDocuments.success(action: "AssumeRoleWithWebIdentity")) == "no AssumeRoleResult/Credentials in <AssumeRoleWithWebIdentityResponse>")
        #expect(reason(STSDocuments.success(), action: .assumeRoleWithWebIdentity) == "no AssumeRoleWithWebIdentityResult/Credentials in <AssumeRoleResponse>")
    }

    @Test func expirationsAtTheEdgesNeverTrap() throws {
        #expect(try parse(STSDocuments.success(expiration: "9999-12-31T23:59:59.999999999Z")).expiration == 253_402_300_799)
        #expect(try parse(STSDocuments.success(expiration: "0000-01-01T00:00:00Z")).expiration == -62_167_219_200)
        #expect(try parse(STSDocuments.success(expiration: "1970-01-01T00:00:00-23:59")).expiration == 86340)
        for bad in ["99999-01-01T00:00:00Z", "-001-01-01T00:00:00Z", "2026-13-01T00:00:00Z", "2026-01-01T24:00:00Z",
                    "9223372036854775807", "2026-01-01T00:00:00+99:99x", String(repeating: "9", count: 5000)] {
            #expect(reason(STSDocuments.success(expiration: bad))?.contains("is not a timestamp") == true, "\(bad)")
        }
    }

    @Test func hostileCredentialFieldsAreRefused() {
        let document = STSDocuments.success()
        let cases: [(String, String, String)] = [
            ("ASIAQWERTYUIOPASDFGH", "ASIA&#10;FORGED=1", "Credentials/AccessKeyId contains control characters"),
            ("ASIAQWERTYUIOPASDFGH", "ASIA QWERTY", "Credentials/AccessKeyId is not an access key ID"),
            ("ASIAQWERTYUIOPASDFGH", String(repeating: "A", count: 129), "Credentials/AccessKeyId is not an access key ID"),
            ("hop2token", "tok&#x1b;[31m", "Credentials/SessionToken contains control characters"),
            ("hop2secret/+=", "", "Credentials/SecretAccessKey is missing"),
            ("arn:aws:sts::222233334444:assumed-role/target/hop-2", "arn&#13;x", "AssumedRoleUser/Arn contains control characters"),
        ]
        for (original, replacement, expected) in cases {
            #expect(reason(document.replacingFirstOccurrence(of: original, with: replacement)) == expected, "\(replacement)")
        }
    }

    @Test func aHugeOddDocumentIsAClearErrorNotACrash() {
        let deep = String(repeating: "<a>", count: 100_000)
        #expect(reason(deep)?.contains("nested too deeply") == true)
        let wide = "<AssumeRoleResponse>" + String(repeating: "<x>\u{10FFFF}</x>", count: 50_000) + "</AssumeRoleResponse>"
        #expect(reason(wide) == "no AssumeRoleResult/Credentials in <AssumeRoleResponse>")
        let longCode = STSDocuments.error(String(repeating: "C", count: 100_000), message: String(repeating: "m\n", count: 100_000))
        do {
            _ = try parse(longCode, status: 400)
        } catch {
            let text = "\(error)"
            #expect(text.utf8.count < 1200 && !text.contains("\n"))
        }
    }
}

extension String {
    fileprivate func replacingFirstOccurrence(of target: String, with replacement: String) -> String {
        let parts = split(separator: target, maxSplits: 1, omittingEmptySubsequences: false)
        return parts.count == 2 ? parts[0] + replacement + parts[1] : self
    }
}
