import GitLabOIDCAWSTestSupport
import Testing

@testable import GitLabOIDCAWS

/// `--token-file`: the token verified like the hook does, the rule, and one real exchange
/// through `JobPlanner` and `Hook.apply` that writes nothing.
@Suite struct DoctorTokenTests {
    @Test func aGoodTokenIsVerifiedMatchedAndExchangedOnce() throws {
        let harness = DoctorHarness()
        let expiration = harness.clock.now + 3600
        harness.serveSTS(then: STSAnswers.credentials(role: DoctorHarness.deployRole, expiration: expiration))
        harness.giveToken()
        let report = harness.run()
        #expect(report.exitCategory == nil, "\(report.text)")
        #expect(report.names.suffix(3) == ["token", "rule", "exchange"])
        #expect(
            report.check("token")?.summary
                == "token /tmp/token.jwt: verified (iss, aud sts.amazonaws.com, expires in 59 min, RS256 signature by key \"fixture-key\"): project group/project, ref main, environment production"
        )
        #expect(
            report.check("rule")?.summary
                == "rule: rule 1 \"deploy\" matches first: role \(DoctorHarness.deployRole), region us-east-1, output env"
        )
        #expect(
            report.check("exchange")?.summary
                == "exchange: assumed \(DoctorHarness.deployRole) via rule 1 \"deploy\" as session gitlab-42-1001; credentials expire \(Timestamp.format(expiration)) (region us-east-1); account 111122223333 (any account allowed); nothing written (7 env lines kept back)"
        )
        let calls = harness.transport.requests(to: STSAnswers.defaultEndpoint)
        #expect(calls.map { $0.formField("Action") } == ["GetCallerIdentity", "AssumeRoleWithWebIdentity"])
        #expect(calls.last?.formField("WebIdentityToken") == TokenFixtures.main)
        #expect(harness.transport.requests(to: IssuerAnswers.keySetURL).count == 1, "the keys were fetched once")
        for text in [report.text, report.json.compactText, harness.logged.joined()] {
            #expect(!text.contains(TokenFixtures.main))
            #expect(!text.contains(STSAnswers.secretAccessKey(1)) && !text.contains(STSAnswers.sessionToken(1)))
            #expect(!text.contains(STSAnswers.accessKeyID(1)))
        }
    }

    @Test func anUnreadableTokenFileFails() {
        let harness = DoctorHarness()
        harness.serveSTS()
        harness.tokenFile = "/tmp/missing.jwt"
        let check = harness.run().check("token")
        #expect(check?.status == .fail)
        #expect(check?.summary == "token /tmp/missing.jwt: cannot be read: No such file or directory")
    }

    @Test(arguments: [
        (TokenFixtures.badSignature, "signature is not valid"),
        (TokenFixtures.wrongAudience, "audience (aud)"),
        ("not.a.jwt", "malformed"),
    ])
    func aTokenTheHookWouldRefuseFailsWithoutAnExchange(token: String, words: String) {
        let harness = DoctorHarness()
        harness.serveSTS()
        harness.giveToken(token)
        let report = harness.run()
        let check = report.check("token")
        #expect(check?.status == .fail)
        #expect(check?.summary.contains(words) == true, "\(check?.summary ?? "")")
        #expect(report.check("exchange") == nil && report.check("rule") == nil)
        #expect(harness.transport.requests(to: STSAnswers.defaultEndpoint).count == 1, "only the probe")
        #expect(report.exitCategory == .credentialsUnavailable)
    }

    @Test func anExpiredTokenSaysToTakeAFreshOne() {
        let harness = DoctorHarness()
        harness.clock.now = TokenFixtures.expiry + 3600
        harness.serveSTS()
        harness.giveToken()
        let check = harness.run().check("token")
        #expect(check?.summary.contains("expired") == true)
        #expect(check?.advice?.contains("fresh token") == true)
    }

    @Test func aTokenJustPastItsExpiryPassesWithinTheSkewAllowance() {
        let harness = DoctorHarness()
        harness.clock.now = TokenFixtures.expiry + 30
        harness.serveSTS(then: STSAnswers.credentials(role: DoctorHarness.deployRole, expiration: harness.clock.now + 900))
        harness.giveToken()
        let check = harness.run().check("token")
        #expect(check?.status == .ok)
        #expect(check?.summary.contains("expired 30 s ago, within the 60 s clock skew") == true)
    }

    @Test func withoutTheIssuersKeysTheTokenIsNotVerified() {
        let harness = DoctorHarness()
        harness.transport.always(IssuerAnswers.discoveryURL, .failure(.connect))
        harness.serveSTS()
        harness.giveToken()
        let check = harness.run().check("token")
        #expect(check?.status == .fail)
        #expect(check?.summary.contains("not verified") == true)
    }

    @Test func withoutATokenTheVerdictSaysHowToTryAnExchange() {
        let harness = DoctorHarness()
        harness.serveSTS()
        let report = harness.run()
        #expect(report.check("token") == nil)
        #expect(report.verdict.contains("--token-file"))
    }
}

@Suite struct DoctorRuleTests {
    @Test func noMatchingRuleFailsNamingTheClosest() {
        let harness = DoctorHarness()
        harness.serveSTS()
        harness.giveToken(TokenFixtures.otherProject)
        let report = harness.run()
        let check = report.check("rule")
        #expect(check?.status == .fail)
        #expect(
            check?.summary.contains(
                "closest: rule 1 \"deploy\" wants project_path = \"group/project\"; this job has \"other/project\"")
                == true,
            "\(check?.summary ?? "")")
        #expect(check?.advice?.contains("explain") == true)
        #expect(report.check("exchange") == nil)
    }

    @Test func onNoMatchFailSaysSoToo() {
        let harness = DoctorHarness(mapping: DoctorHarness.mapping { $0.onNoMatch = .fail })
        harness.serveSTS()
        harness.giveToken(TokenFixtures.otherProject)
        let check = harness.run().check("rule")
        #expect(check?.status == .fail)
        #expect(check?.summary.contains("on_no_match = \"fail\"") == true)
    }

    @Test func aSkipRuleWarnsAndExchangesNothing() {
        let base = DoctorHarness.mapping().rules[0]
        let harness = DoctorHarness(
            mapping: DoctorHarness.mapping {
                $0.rules.insert(
                    Rule(number: 1, line: 5, name: "no MRs", conditions: base.conditions, action: .skip), at: 0)
            })
        harness.serveSTS()
        harness.giveToken()
        let report = harness.run()
        #expect(report.check("rule")?.status == .warn)
        #expect(report.check("rule")?.summary.contains("rule 1 \"no MRs\" matches first and says skip = true") == true)
        #expect(report.check("exchange") == nil)
        #expect(report.exitCategory == nil)
    }
}

@Suite struct DoctorExchangeTests {
    static let target = "arn:aws:iam::444455556666:role/target"

    static func chained(_ change: (inout Mapping) -> Void = { _ in }) -> Mapping {
        DoctorHarness.mapping {
            let first = $0.rules[0]
            $0.rules[0] = Rule(
                number: 1, line: 10, name: "deploy", role: MappingFixtures.role("deploy"),
                conditions: first.conditions,
                chain: [ChainHop(role: RoleARN(target)!, externalID: "ext-42", sessionName: "hop-{job_id}", line: 15)])
            change(&$0)
        }
    }

    @Test func everyHopIsNamedWithTheAccountOfTheLast() {
        let harness = DoctorHarness(mapping: Self.chained())
        let expiration = harness.clock.now + 3600
        harness.serveSTS(
            then: STSAnswers.credentials(role: DoctorHarness.deployRole, expiration: expiration + 600),
            STSAnswers.credentials(
                role: Self.target, session: "hop-1001", expiration: expiration, serial: 2, action: "AssumeRole"))
        harness.giveToken()
        let report = harness.run()
        #expect(report.exitCategory == nil, "\(report.text)")
        #expect(report.check("rule")?.summary.contains("then 1 chain hop") == true)
        #expect(
            report.check("exchange")?.summary
                == "exchange: assumed \(DoctorHarness.deployRole) via rule 1 \"deploy\" as session gitlab-42-1001, then \(Self.target) as session hop-1001; credentials expire \(Timestamp.format(expiration)) (region us-east-1); account 444455556666 (any account allowed); nothing written (7 env lines kept back)"
        )
        let hop = harness.transport.requests(to: STSAnswers.defaultEndpoint).last
        #expect(hop?.formField("Action") == "AssumeRole")
        #expect(hop?.headers.contains { $0.hasPrefix("Authorization: AWS4-HMAC-SHA256") } == true)
    }

    @Test func aRefusedHopFailsAndPointsAtItsTrustPolicy() {
        let harness = DoctorHarness(mapping: Self.chained())
        harness.serveSTS(
            then: STSAnswers.credentials(role: DoctorHarness.deployRole, expiration: harness.clock.now + 3600),
            STSAnswers.error("AccessDenied", message: "not trusted by target", status: 403))
        harness.giveToken()
        let report = harness.run()
        let check = report.check("exchange")
        #expect(check?.status == .fail)
        #expect(check?.summary.contains("AssumeRole of \(Self.target) (chain hop 2)") == true)
        #expect(check?.summary.contains("not trusted by target") == true)
        #expect(
            check?.advice
                == "the role's trust policy does not admit this caller (the previous hop's role): `gitlab-oidc-aws trust-policy --role \(Self.target)` prints what it needs"
        )
        #expect(report.exitCategory == .credentialsUnavailable)
    }

    @Test func aRefusedTokenPointsAtTheOIDCProvider() {
        let harness = DoctorHarness()
        harness.serveSTS()
        harness.transport.always(
            STSAnswers.defaultEndpoint,
            .response(STSAnswers.error("InvalidIdentityToken", message: "No OpenIDConnect provider found")))
        harness.giveToken()
        let check = harness.run().check("exchange")
        #expect(check?.summary.contains("No OpenIDConnect provider found") == true)
        #expect(check?.status == .fail)
        #expect(check?.advice?.contains("IAM OIDC identity provider for https://gitlab.example.com") == true)
    }

    @Test func theAccountGuardRefusesAtPlanTimeOrAfterTheCalls() {
        let planned = DoctorHarness(mapping: Self.chained { $0.allowedAccountIDs = ["111122223333"] })
        planned.serveSTS()
        planned.giveToken()
        let refused = planned.run()
        #expect(refused.check("rule")?.status == .fail)
        #expect(
            refused.check("rule")?.summary.contains("its account 444455556666 is not in allowed_account_ids") == true)
        #expect(planned.transport.requests(to: STSAnswers.defaultEndpoint).count == 1, "only the probe")

        let allowed = DoctorHarness(mapping: Self.chained { $0.allowedAccountIDs = ["444455556666"] })
        let expiration = allowed.clock.now + 3600
        allowed.serveSTS(
            then: STSAnswers.credentials(role: DoctorHarness.deployRole, expiration: expiration),
            STSAnswers.credentials(role: Self.target, expiration: expiration, serial: 2, action: "AssumeRole"))
        allowed.giveToken()
        #expect(
            allowed.run().check("exchange")?.summary.contains("account 444455556666 (in allowed_account_ids)") == true)

        let elsewhere = DoctorHarness(mapping: DoctorHarness.mapping { $0.allowedAccountIDs = ["111122223333"] })
        elsewhere.serveSTS(
            then: STSAnswers.credentials(
                role: "arn:aws:iam::999999999999:role/deploy", expiration: elsewhere.clock.now + 3600))
        elsewhere.giveToken()
        let check = elsewhere.run().check("exchange")
        #expect(check?.status == .fail)
        #expect(check?.summary.contains("its account 999999999999 is not in allowed_account_ids") == true)
    }

    @Test func shadowModeStillExchangesAndSaysTheHookWouldNot() {
        let harness = DoctorHarness(mapping: DoctorHarness.mapping { $0.mode = .shadow })
        harness.serveSTS(
            then: STSAnswers.credentials(role: DoctorHarness.deployRole, expiration: harness.clock.now + 3600))
        harness.giveToken()
        let report = harness.run()
        #expect(report.check("exchange")?.status == .ok)
        #expect(
            report.check("exchange")?.summary.hasSuffix("with mode = \"shadow\" the hook itself would not call STS")
                == true)
        #expect(harness.transport.requests(to: STSAnswers.defaultEndpoint).count == 2)
    }

    @Test(arguments: [(OutputMode.webIdentity, "6 env lines, 1 job file"), (.profile, "4 env lines, 3 job files")])
    func placementsAreDescribedAndTheSDKsExchangeIsMade(output: OutputMode, keptBack: String) {
        let harness = DoctorHarness(mapping: DoctorHarness.mapping { $0.output = output })
        harness.variables["RUNNER_TEMP_PROJECT_DIR"] = "/builds/group/project.tmp"
        let expiration = harness.clock.now + 3600
        harness.serveSTS(then: STSAnswers.credentials(role: DoctorHarness.deployRole, expiration: expiration))
        harness.giveToken()
        let report = harness.run()
        #expect(report.exitCategory == nil, "\(report.text)")
        let checks = report.all("exchange")
        #expect(checks.count == 2)
        #expect(checks.first?.summary.hasPrefix("put in place: ") == true)
        #expect(checks.first?.summary.hasSuffix("nothing written (\(keptBack) kept back)") == true)
        if output == .profile {
            #expect(checks.first?.summary.contains("/builds/group/project.tmp/gitlab-oidc-aws/config") == true)
        }
        #expect(
            checks.last?.summary.contains(
                "as an AWS SDK would make it: assumed \(DoctorHarness.deployRole) via rule 1 \"deploy\" as session gitlab-42-1001; credentials expire \(Timestamp.format(expiration)); account 111122223333"
            ) == true, "\(checks.last?.summary ?? "")")
    }

    @Test func nothingIsWrittenAnywhere() throws {
        for output in OutputMode.allCases {
            let directory = TemporaryDirectory()
            let envFile = directory.write("gitlab_runner_env", "EARLIER=1\n")
            let harness = DoctorHarness(
                mapping: DoctorHarness.mapping {
                    $0.output = output
                    $0.cacheDirectory = directory.path + "/cache"
                })
            harness.variables["GITLAB_ENV"] = envFile
            harness.variables["RUNNER_TEMP_PROJECT_DIR"] = directory.path
            harness.serveSTS(
                then: STSAnswers.credentials(role: DoctorHarness.deployRole, expiration: harness.clock.now + 3600))
            harness.giveToken()
            var context = harness.context
            context.files = LocalFilesWithToken(token: TokenFixtures.main)
            let report = Doctor.run(context)
            #expect(report.exitCategory == nil, "\(output): \(report.text)")
            #expect(TemporaryDirectory.read(envFile) == "EARLIER=1\n", "\(output): the env file changed")
            #expect(TemporaryDirectory.read(directory.path + "/gitlab-oidc-aws") == nil, "\(output): a job folder")
            #expect(TemporaryDirectory.read(directory.path + "/cache") == nil, "\(output): a cache folder")
        }
    }
}
