import GitLabOIDCAWSTestSupport
import Testing

@testable import GitLabOIDCAWS

/// The issuer, the clock and the STS endpoints, against the fake transport.
@Suite struct DoctorIssuerTests {
    @Test func discoveryAndKeysAreFetchedFreshAndCounted() throws {
        let harness = DoctorHarness()
        harness.serveSTS()
        let check = try #require(harness.run().check("issuer"))
        #expect(check.status == .ok)
        #expect(
            check.summary
                == "issuer https://gitlab.example.com: discovery and 1 RSA signing key at \(IssuerAnswers.keySetURL) (direct, CA /etc/ssl/certs/ca-certificates.crt)"
        )
        #expect(harness.transport.requests(to: IssuerAnswers.discoveryURL).count == 1)
        #expect(harness.transport.requests(to: IssuerAnswers.keySetURL).count == 1)
    }

    @Test func jwksURLSkipsDiscovery() {
        let harness = DoctorHarness(mapping: DoctorHarness.mapping { $0.jwksURL = IssuerAnswers.keySetURL })
        harness.serveSTS()
        let check = harness.run().check("issuer")
        #expect(
            check?.summary.contains("1 RSA signing key at jwks_url \(IssuerAnswers.keySetURL) (no discovery)") == true)
        #expect(harness.transport.requests(to: IssuerAnswers.discoveryURL).isEmpty)
    }

    @Test func theMappingsRetrySettingsAndTimeoutsApply() {
        let harness = DoctorHarness(
            mapping: DoctorHarness.mapping {
                $0.retry.maxAttempts = 2
                $0.retry.requestTimeout = 7
            })
        harness.transport.always(IssuerAnswers.discoveryURL, .failure(.connect))
        harness.serveSTS()
        let check = harness.run().check("issuer")
        #expect(check?.status == .fail)
        #expect(harness.transport.requests(to: IssuerAnswers.discoveryURL).count == 2)
        #expect(harness.transport.timeouts.first == 7)
        #expect(harness.logged.contains { $0.contains("attempt 1 of 2 failed") })
        #expect(check?.advice?.contains("reaches gitlab.example.com") == true)
    }

    @Test func anUntrustedCertificateSaysCAFile() {
        let harness = DoctorHarness()
        harness.transport.always(IssuerAnswers.discoveryURL, .failure(.tls))
        harness.serveSTS()
        let check = harness.run().check("issuer")
        #expect(check?.status == .fail)
        #expect(check?.summary.contains("TLS verification failed") == true)
        #expect(check?.advice?.contains("`ca_file`") == true)
        #expect(harness.transport.requests(to: IssuerAnswers.discoveryURL).count == 1, "a TLS failure is not retried")
    }

    @Test(arguments: [
        (
            #"{"issuer":"https://other.example.com","jwks_uri":"https://gitlab.example.com/oauth/discovery/keys"}"#,
            "names the issuer"
        ),
        (#"{"issuer":"https://gitlab.example.com","jwks_uri":"http://gitlab.example.com/keys"}"#, "jwks_uri"),
        (#"{"issuer":"https://gitlab.example.com"}"#, "no \"jwks_uri\""),
    ])
    func aDiscoveryDocumentTheHookWouldRefuseFails(document: String, words: String) {
        let harness = DoctorHarness()
        harness.transport.always(IssuerAnswers.discoveryURL, .response(200, document))
        harness.serveSTS()
        let check = harness.run().check("issuer")
        #expect(check?.status == .fail)
        #expect(check?.summary.contains(words) == true, "\(check?.summary ?? "")")
        #expect(check?.advice?.contains("CI_SERVER_URL") == true)
    }

    @Test func aKeySetWithoutRSASigningKeysFails() {
        let harness = DoctorHarness()
        harness.transport.always(
            IssuerAnswers.keySetURL, .response(200, #"{"keys":[{"kty":"EC","crv":"P-256","x":"a","y":"b"}]}"#))
        harness.serveSTS()
        let check = harness.run().check("issuer")
        #expect(check?.status == .fail)
        #expect(check?.summary.contains("no RSA signing key") == true)
    }

    @Test func anHTTPErrorNamesTheStatus() {
        let harness = DoctorHarness()
        harness.transport.always(IssuerAnswers.discoveryURL, .response(404, "not found"))
        harness.serveSTS()
        let check = harness.run().check("issuer")
        #expect(check?.summary.contains("answered HTTP 404") == true)
    }

    @Test func theKeySetCacheIsNeitherReadNorWritten() throws {
        let directory = TemporaryDirectory()
        let cache = directory.path + "/cache"
        let harness = DoctorHarness(mapping: DoctorHarness.mapping { $0.cacheDirectory = cache })
        harness.files = FakeDoctorFiles()
        harness.files.contents[DoctorHarness.systemCAFile] = DoctorHarness.pem(1)
        harness.serveSTS(then: STSAnswers.credentials(role: DoctorHarness.deployRole, expiration: TokenFixtures.expiry))
        harness.giveToken()
        var context = harness.context
        context.files = LocalFilesWithToken(token: TokenFixtures.main)
        let report = Doctor.run(context)
        #expect(report.exitCategory == nil, "\(report.text)")
        #expect(TemporaryDirectory.read(cache) == nil, "the cache folder was created")
        #expect(harness.transport.requests(to: IssuerAnswers.keySetURL).count == 1, "verifying the token fetched again")
    }
}

@Suite struct DoctorClockTests {
    func clock(date: String?, offset: Int64 = 0) -> DoctorCheck? {
        let harness = DoctorHarness()
        harness.clock.now += offset
        let headers = date.map { ["date": $0] } ?? [:]
        harness.transport.always(
            IssuerAnswers.discoveryURL,
            .response(HTTPResponse(status: 200, body: IssuerAnswers.discovery.body, headers: headers)))
        harness.serveSTS()
        return harness.run().check("clock")
    }

    /// `TokenFixtures.issuedAt + 60` (the manual clock's start) as an HTTP date.
    static let harnessNow = "Fri, 15 Jan 2027 08:01:00 GMT"

    @Test func theHarnessDateIsTheManualClocksStart() {
        #expect(HTTPDate.parse(Self.harnessNow) == TokenFixtures.issuedAt + 60)
    }

    @Test func aClockInStepPasses() {
        let check = clock(date: Self.harnessNow)
        #expect(check?.status == .ok)
        #expect(check?.summary.hasPrefix("clock: in step with https://gitlab.example.com (HTTP Date)") == true)
        #expect(clock(date: Self.harnessNow, offset: 45)?.summary.contains("45 s ahead of") == true)
        #expect(clock(date: Self.harnessNow, offset: -60)?.status == .ok)
    }

    @Test func beyondTheSkewAllowanceItWarns() {
        let ahead = clock(date: Self.harnessNow, offset: 61)
        #expect(ahead?.status == .warn)
        #expect(ahead?.summary.contains("61 s ahead of") == true)
        #expect(ahead?.summary.contains("look expired") == true)
        #expect(ahead?.advice?.contains("NTP") == true)
        let behind = clock(date: Self.harnessNow, offset: -3600)
        #expect(behind?.summary.contains("60 min behind") == true)
        #expect(behind?.summary.contains("not yet valid") == true)
    }

    @Test func withoutADateItCannotCompare() {
        let check = clock(date: nil)
        #expect(check?.status == .warn)
        #expect(check?.summary.contains("not compared") == true)
        #expect(clock(date: "yesterday")?.status == .warn)
    }

    @Test func stsDatesStandInWhenTheIssuerIsDown() {
        let harness = DoctorHarness()
        harness.transport.always(IssuerAnswers.discoveryURL, .failure(.connect))
        let refusal = STSAnswers.error("MissingAuthenticationToken", status: 403)
        harness.serveSTS(
            probe: HTTPResponse(status: 403, body: refusal.body, headers: ["date": Self.harnessNow]))
        let check = harness.run().check("clock")
        #expect(check?.summary.hasPrefix("clock: in step with https://sts.us-east-1.amazonaws.com") == true)
    }
}

@Suite struct DoctorSTSTests {
    static let euWest = "https://sts.eu-west-1.amazonaws.com/"

    @Test func everyEndpointIsCheckedOnceWithTheRulesUsingIt() {
        var mapping = DoctorHarness.mapping()
        let base = mapping.rules[0]
        mapping.rules = RuleList(Array(mapping.rules) + [
            Rule(
                number: 2, line: 20, name: nil, role: MappingFixtures.role("eu"), conditions: base.conditions,
                region: "eu-west-1"),
            Rule(
                number: 3, line: 30, name: nil, role: MappingFixtures.role("again"), conditions: base.conditions,
                chain: [ChainHop(role: MappingFixtures.role("target"), line: 32)]),
            Rule(number: 4, line: 40, name: "nothing", conditions: base.conditions, action: .skip),
        ])
        let harness = DoctorHarness(mapping: mapping)
        harness.serveSTS()
        harness.serveSTS(Self.euWest, probe: STSAnswers.error("InvalidClientTokenId", status: 403))
        let checks = harness.run().all("sts")
        #expect(checks.map(\.status) == [.ok, .ok])
        #expect(
            checks.first?.summary
                == "STS https://sts.us-east-1.amazonaws.com/ (rules 1, 3): answers like STS (HTTP 403 MissingAuthenticationToken to a GetCallerIdentity signed with AWS's example key) (direct, CA /etc/ssl/certs/ca-certificates.crt)"
        )
        #expect(
            checks.last?.summary.hasPrefix(
                "STS \(Self.euWest) (rule 2): answers like STS (HTTP 403 InvalidClientTokenId") == true)
        let probe = harness.transport.requests(to: Self.euWest)
        #expect(probe.count == 1)
        #expect(
            probe.first?.formFields.map { "\($0.0)=\($0.1)" } == ["Action=GetCallerIdentity", "Version=2011-06-15"])
        let authorization = probe.first?.headers.first { $0.hasPrefix("Authorization:") } ?? ""
        #expect(authorization.contains("Credential=AKIAIOSFODNN7EXAMPLE/20270115/eu-west-1/sts/aws4_request"))
    }

    @Test func fipsAndAnOverrideChooseTheEndpoint() {
        let fips = DoctorHarness(mapping: DoctorHarness.mapping { $0.stsFIPS = true })
        fips.serveSTS("https://sts-fips.us-east-1.amazonaws.com/")
        #expect(fips.run().check("sts")?.status == .ok)
        let vpc = "https://vpce-1.sts.us-east-1.vpce.amazonaws.com/"
        let override = DoctorHarness(mapping: DoctorHarness.mapping { $0.stsEndpoint = vpc })
        override.serveSTS(vpc)
        #expect(override.run().check("sts")?.summary.hasPrefix("STS \(vpc) (rule 1): answers like STS") == true)
    }

    @Test func anSTSLookAlikeThatAnswersUnsignedRequestsPasses() {
        let harness = DoctorHarness()
        harness.serveSTS(
            probe: HTTPResponse(
                status: 200,
                body: Array(
                    "<GetCallerIdentityResponse><GetCallerIdentityResult><Account>123456789012</Account></GetCallerIdentityResult></GetCallerIdentityResponse>"
                        .utf8)))
        #expect(harness.run().check("sts")?.status == .ok)
    }

    @Test(arguments: [
        (200, "<html><body>Welcome to the proxy</body></html>", "an HTML page"),
        (200, "{\"ok\":true}", "malformed XML"),
        (404, "<NotFound/>", "not an STS error"),
        (502, "", "an empty body"),
    ])
    func anAnswerThatIsNotSTSFails(status: Int, body: String, words: String) {
        let harness = DoctorHarness()
        harness.serveSTS(probe: HTTPResponse(status: status, body: Array(body.utf8)))
        let check = harness.run().check("sts")
        #expect(check?.status == .fail)
        #expect(check?.summary.contains("not STS: HTTP \(status) with") == true)
        #expect(check?.summary.contains(words) == true, "\(check?.summary ?? "")")
        #expect(check?.advice?.contains("sts_endpoint") == true)
    }

    @Test func anUnreachableEndpointFailsAfterTheMappingsAttempts() {
        let harness = DoctorHarness(mapping: DoctorHarness.mapping { $0.retry.maxAttempts = 3 })
        harness.transport.always(STSAnswers.defaultEndpoint, .failure(.connect))
        let report = harness.run()
        let check = report.check("sts")
        #expect(check?.status == .fail)
        #expect(check?.summary.contains("unreachable") == true)
        #expect(harness.transport.requests(to: STSAnswers.defaultEndpoint).count == 3)
        #expect(report.exitCategory == .credentialsUnavailable)
    }

    @Test func aMappingThatAssumesNothingHasNoEndpoint() {
        let base = DoctorHarness.mapping().rules[0]
        let harness = DoctorHarness(
            mapping: MappingFixtures.mapping([
                Rule(number: 1, line: 1, name: nil, conditions: base.conditions, action: .skip)
            ]))
        let check = harness.run().check("sts")
        #expect(check?.status == .warn)
        #expect(harness.transport.requests.allSatisfy { !$0.url.contains("sts") })
    }
}
