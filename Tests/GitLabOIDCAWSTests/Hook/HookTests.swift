import GitLabOIDCAWSTestSupport
import Testing

@testable import GitLabOIDCAWS

/// Every branch of `Hook.run`, in process: a fake transport (the fixtures' issuer, scripted
/// STS answers), a manual clock, a real env file and job folder in a temporary folder. Each
/// test checks the outcome, the requests sent and the env file's bytes.
private let deployRole = "arn:aws:iam::111122223333:role/deploy"
private let help = "AWS access: see https://wiki.example.com/ci-aws or #platform"

/// Rule 1 `deploy`: group/project on `main`; rule 2: other/** on protected refs.
private func mapping(_ change: (inout Mapping) -> Void = { _ in }) -> Mapping {
    var mapping = MappingFixtures.mapping([
        Rule(
            number: 1, line: 10, name: "deploy", role: MappingFixtures.role("deploy"),
            conditions: [
                MappingFixtures.condition("project_path", "group/project", line: 11),
                MappingFixtures.condition("ref", "main", line: 12),
            ]),
        Rule(
            number: 2, line: 20, name: "infra prod", role: MappingFixtures.role("infra"),
            conditions: [
                MappingFixtures.condition("project_path", "other/**", "group/project", line: 21),
                MappingFixtures.condition("ref", "feature/x", line: 22),
                MappingFixtures.condition("ref_protected", "true", line: 23),
            ]),
    ])
    change(&mapping)
    return mapping
}

private func credentialLines(serial: Int = 1, expiration: Int64, role: String = deployRole, region: String = "us-east-1")
    -> String
{
    """
    AWS_ACCESS_KEY_ID=\(STSAnswers.accessKeyID(serial))
    AWS_SECRET_ACCESS_KEY=\(STSAnswers.secretAccessKey(serial))
    AWS_SESSION_TOKEN=\(STSAnswers.sessionToken(serial))
    AWS_CREDENTIAL_EXPIRATION=\(Timestamp.format(expiration))
    AWS_REGION=\(region)
    AWS_DEFAULT_REGION=\(region)
    GITLAB_OIDC_AWS_ROLE_ARN=\(role)

    """
}

extension Result where Success == HookOutcome, Failure == HookFailure {
    fileprivate var failure: HookFailure? {
        guard case let .failure(failure) = self else { return nil }
        return failure
    }

    fileprivate var outcome: HookOutcome? {
        guard case let .success(outcome) = self else { return nil }
        return outcome
    }
}

@Suite struct HookTokenlessTests {
    @Test(arguments: [nil, ""] as [String?])
    func aJobWithoutATokenIsNeverTouched(token: String?) throws {
        let harness = HookHarness(mapping: nil, token: nil)
        if let token { harness.variables["AWS_ID_TOKEN"] = token }
        harness.configPath = "/nonexistent/oidc-aws.toml"
        var loads = 0
        var context = harness.context
        context.loadMapping = { (_) throws(ConfigError) in
            loads += 1
            throw ConfigError(diagnostics: [])
        }
        #expect(try Hook.run(context) == .skippedNoToken)
        #expect(loads == 0, "the mapping was read")
        #expect(harness.logged.isEmpty)
        #expect(harness.transport.requests.isEmpty)
        #expect(harness.envFileText == "")
    }

    @Test func aTokenInAnotherVariableMakesTheHookReadTheMapping() {
        let harness = HookHarness(mapping: nil, token: nil)
        harness.variables["OTHER_ID_TOKEN"] = TokenFixtures.main
        harness.configPath = "/nonexistent/oidc-aws.toml"
        let failure = harness.run().failure
        #expect(failure?.exitCategory == .invalidConfiguration)
        #expect(harness.logged.last?.contains("[the runner's configuration, not the pipeline's") == true)
    }

    @Test func onNoTokenSkipIsSilentAndFailNamesTheFix() {
        let harness = HookHarness(mapping: mapping(), token: nil)
        harness.variables["OTHER_ID_TOKEN"] = TokenFixtures.main
        #expect(harness.run().outcome == .skippedNoToken)
        #expect(harness.logged.isEmpty)

        let failing = HookHarness(mapping: mapping { $0.onNoToken = .fail; $0.help = help }, token: nil)
        failing.variables["OTHER_ID_TOKEN"] = TokenFixtures.main
        let failure = failing.run().failure
        #expect(failure == .refused(.noToken(variables: ["AWS_ID_TOKEN"])))
        #expect(failure?.exitCategory == .credentialsUnavailable)
        #expect(failing.logged.count == 1)
        #expect(failing.logged[0].hasPrefix("error: the job has no ID token in AWS_ID_TOKEN"))
        #expect(failing.logged[0].hasSuffix("[the pipeline's to fix, not the runner's] \(help)"))
        #expect(failing.transport.requests.isEmpty && failing.envFileText == "")
    }

    @Test func aValueThatIsNoJWTIsATokenThatFails() {
        let harness = HookHarness(mapping: mapping(), token: "not-a-jwt")
        guard case .token(.malformed)? = harness.run().failure else {
            Issue.record("not refused as a malformed token: \(harness.logged)")
            return
        }
        #expect(harness.transport.requests.isEmpty)
        #expect(harness.envFileText == "")
    }
}

@Suite struct HookConfigurationTests {
    @Test func aBrokenMappingIsTheRunnersProblem() throws {
        let harness = HookHarness(mapping: nil)
        harness.configPath = harness.directory.write("oidc-aws.toml", "issuer = \"https://gitlab.example.com\"\ncolour = \"red\"\n")
        let failure = try #require(harness.run().failure)
        guard case .configuration = failure else {
            Issue.record("not a configuration failure: \(failure)")
            return
        }
        #expect(failure.exitCategory == .invalidConfiguration)
        #expect(harness.logged.first?.hasPrefix("\(harness.configPath):2: error: unknown key `colour`") == true, "\(harness.logged)")
        #expect(
            harness.logged.last
                == "error: the runner's mapping file \(harness.configPath) cannot be used, so this job gets no AWS credentials [the runner's configuration, not the pipeline's: tell the runner administrator]"
        )
        #expect(harness.transport.requests.isEmpty && harness.envFileText == "")
    }

    @Test func aMappingFileIsReadByTheRealLoader() throws {
        let harness = HookHarness(mapping: nil)
        harness.configPath = harness.directory.write(
            "oidc-aws.toml",
            """
            issuer = "https://gitlab.example.com"
            region = "eu-west-1"

            [[rule]]
            role = "\(deployRole)"
            match = { project_path = "group/project" }
            """)
        let sts = "https://sts.eu-west-1.amazonaws.com/"
        harness.transport.queue(sts, .response(STSAnswers.credentials(role: deployRole, expiration: 1_800_010_000)))
        #expect(harness.run().outcome == .wrote(roles: [deployRole], rule: "rule 1 (line 4)", sessionName: "gitlab-42-1001"))
        #expect(harness.envFileText == credentialLines(expiration: 1_800_010_000, region: "eu-west-1"))
    }

    @Test func withoutAnEnvFileTheRunnerIsTooOld() {
        let harness = HookHarness(mapping: mapping())
        harness.variables["GITLAB_ENV"] = nil
        let failure = harness.run().failure
        #expect(failure == .output(.noEnvFile))
        #expect(failure?.exitCategory == .invalidConfiguration)
        #expect(harness.logged.first?.contains("16.4 or newer") == true)
        #expect(harness.transport.requests.isEmpty)
    }
}

@Suite struct HookExchangeTests {
    @Test func credentialsAreAppendedAndTheRunLogsOneLine() throws {
        let harness = HookHarness(mapping: mapping())
        harness.directory.write("builds/group/project.tmp/gitlab_runner_env", "EXISTING=1\nLAST=no newline")
        let expiration = harness.clock.now + 3600
        harness.transport.queue(
            STSAnswers.defaultEndpoint, .response(STSAnswers.credentials(role: deployRole, expiration: expiration)))

        #expect(
            harness.run().outcome
                == .wrote(roles: [deployRole], rule: "rule 1 \"deploy\"", sessionName: "gitlab-42-1001"))
        #expect(harness.envFileText == "EXISTING=1\nLAST=no newline\n" + credentialLines(expiration: expiration))
        #expect(
            harness.transport.requests.map { "\($0.method.rawValue) \($0.url)" } == [
                "GET \(IssuerAnswers.discoveryURL)", "GET \(IssuerAnswers.keySetURL)",
                "POST \(STSAnswers.defaultEndpoint)",
            ])
        let sts = try #require(harness.stsRequests().first)
        #expect(
            sts.formFields.map { "\($0.0)=\($0.1)" } == [
                "Action=AssumeRoleWithWebIdentity", "Version=2011-06-15", "RoleArn=\(deployRole)",
                "RoleSessionName=gitlab-42-1001", "WebIdentityToken=\(TokenFixtures.main)", "DurationSeconds=3600",
            ])
        #expect(
            harness.logged == [
                "assumed \(deployRole) via rule 1 \"deploy\" as session gitlab-42-1001; credentials expire \(Timestamp.format(expiration)) (region us-east-1)"
            ])
    }

    @Test func aLaterRunReusesCredentialsThatStillHoldLongEnough() {
        let harness = HookHarness(mapping: mapping())
        let expiration = harness.clock.now + 3600
        harness.transport.queue(
            STSAnswers.defaultEndpoint, .response(STSAnswers.credentials(role: deployRole, expiration: expiration)))
        _ = harness.run()
        let written = harness.envFileText
        #expect(harness.run().outcome == .reused(role: deployRole))
        #expect(harness.envFileText == written)
        #expect(harness.stsRequests().count == 1)
        #expect(harness.logged.last?.hasPrefix("reusing credentials for \(deployRole) written earlier in this job") == true)

        harness.clock.advance(3600 - 15 * 60)
        harness.transport.queue(
            STSAnswers.defaultEndpoint,
            .response(STSAnswers.credentials(role: deployRole, expiration: harness.clock.now + 3600, serial: 2)))
        #expect(harness.run().outcome == .wrote(roles: [deployRole], rule: "rule 1 \"deploy\"", sessionName: "gitlab-42-1001"))
        #expect(harness.stsRequests().count == 2)
    }

    @Test func aRefusalWritesNothingAndSaysWhoseProblemItIs() {
        let harness = HookHarness(mapping: mapping { $0.help = help })
        harness.transport.always(
            STSAnswers.defaultEndpoint, .response(STSAnswers.error("AccessDenied", message: "Not authorized", status: 403)))
        let failure = harness.run().failure
        guard case let .sts(error)? = failure, error.code == "AccessDenied" else {
            Issue.record("not AccessDenied: \(String(describing: failure))")
            return
        }
        #expect(error.call == STSCall(action: .assumeRoleWithWebIdentity, roleARN: deployRole))
        #expect(harness.stsRequests().count == 1, "AccessDenied is not worth retrying")
        #expect(harness.envFileText == "")
        #expect(
            harness.logged.last?.hasPrefix("error: STS refused AssumeRoleWithWebIdentity of \(deployRole): AccessDenied")
                == true)
        #expect(
            harness.logged.last?.hasSuffix(
                "[the runner's configuration, not the pipeline's: tell the runner administrator] \(help)") == true)
    }

    @Test func throttlingIsRiddenOutWithOneLinePerAttempt() {
        let harness = HookHarness(mapping: mapping())
        let expiration = harness.clock.now + 3600
        harness.transport.queue(
            STSAnswers.defaultEndpoint, .response(STSAnswers.error("Throttling", message: "Rate exceeded")),
            .response(STSAnswers.error("Throttling", message: "Rate exceeded")),
            .response(STSAnswers.credentials(role: deployRole, expiration: expiration)))
        #expect(harness.run().outcome != nil)
        #expect(harness.stsRequests().count == 3)
        #expect(harness.clock.sleeps.count == 2)
        let attempts = harness.logged.filter { $0.hasPrefix("STS AssumeRoleWithWebIdentity: attempt") }
        #expect(attempts.count == 3)
        #expect(attempts.last == "STS AssumeRoleWithWebIdentity: attempt 3 of 5 succeeded (\(Retrier.format(harness.clock.sleeps.reduce(0, +))) s)")
        #expect(harness.envFileText == credentialLines(expiration: expiration))
    }

    @Test func aNetworkFailureNamesTheURLOnce() {
        let harness = HookHarness(mapping: mapping { $0.retry.maxAttempts = 3 })
        harness.transport.always(STSAnswers.defaultEndpoint, .failure(.connect))
        #expect(harness.run().failure?.exitCategory == .credentialsUnavailable)
        #expect(harness.stsRequests().count == 3)
        #expect(harness.logged.count == 4, "one line per attempt, then the error")
        #expect(harness.logged.filter { $0.contains(STSAnswers.defaultEndpoint) }.count == 1)
        #expect(
            harness.logged.last?.hasPrefix(
                "error: cannot reach STS for AssumeRoleWithWebIdentity of \(deployRole): cannot connect to \(STSAnswers.defaultEndpoint)"
            ) == true)
        #expect(harness.envFileText == "")
    }

    @Test func blockInstanceMetadataEndsTheCredentials() {
        let harness = HookHarness(mapping: mapping { $0.blockInstanceMetadata = true })
        let expiration = harness.clock.now + 3600
        harness.transport.queue(
            STSAnswers.defaultEndpoint, .response(STSAnswers.credentials(role: deployRole, expiration: expiration)))
        _ = harness.run()
        #expect(harness.envFileText == credentialLines(expiration: expiration) + "AWS_EC2_METADATA_DISABLED=true\n")
    }

    @Test func anEnvFileThatCannotBeWrittenFailsAfterTheExchange() {
        let harness = HookHarness(mapping: mapping())
        harness.files = FailingFiles(failAppend: true)
        harness.transport.queue(
            STSAnswers.defaultEndpoint, .response(STSAnswers.credentials(role: deployRole, expiration: 1_800_010_000)))
        let failure = harness.run().failure
        guard case .output(.unwritable)? = failure else {
            Issue.record("not an env-file failure: \(String(describing: failure))")
            return
        }
        #expect(failure?.exitCategory == .credentialsUnavailable)
        #expect(harness.envFileText == "")
        #expect(!harness.logged.contains { $0.hasPrefix("assumed") })
    }
}

@Suite struct HookTokenTests {
    @Test func aTokenForAnotherAudienceIsThePipelines() {
        let harness = HookHarness(mapping: mapping(), token: TokenFixtures.wrongAudience)
        let failure = harness.run().failure
        #expect(failure == .token(.wrongAudience(found: ["https://gitlab.example.com"], accepted: ["sts.amazonaws.com"])))
        #expect(failure?.responsibility == .pipeline)
        #expect(harness.transport.requests.isEmpty, "claims are checked before the keys are fetched")
    }

    @Test func anExpiredTokenIsRefused() {
        let harness = HookHarness(mapping: mapping())
        harness.clock.now = TokenFixtures.expiry + 61
        guard case .token(.expired)? = harness.run().failure else {
            Issue.record("not expired")
            return
        }
        #expect(harness.envFileText == "")
    }

    @Test func anUnknownKeyIsLookedUpOnceMoreThenRefused() {
        let harness = HookHarness(mapping: mapping(), token: TokenFixtures.unknownKey)
        let failure = harness.run().failure
        #expect(failure == .token(.unknownKeyID("rotated-away", keySetURL: IssuerAnswers.keySetURL)))
        #expect(failure?.responsibility == .runnerAdministrator)
        #expect(harness.transport.requests(to: IssuerAnswers.keySetURL).count == 2)
        #expect(harness.stsRequests().isEmpty)
    }

    @Test func aBadSignatureIsRefused() {
        let harness = HookHarness(mapping: mapping(), token: TokenFixtures.badSignature)
        #expect(harness.run().failure == .token(.badSignature))
        #expect(harness.stsRequests().isEmpty && harness.envFileText == "")
    }

    @Test func anUnreachableKeySetIsTheRunnersProblem() {
        let harness = HookHarness(mapping: mapping { $0.retry.maxAttempts = 2 })
        harness.transport.always(IssuerAnswers.discoveryURL, .failure(.connect))
        let failure = harness.run().failure
        guard case .token(.keySetUnavailable(.unreachable))? = failure else {
            Issue.record("not an unreachable key set: \(String(describing: failure))")
            return
        }
        #expect(failure?.responsibility == .runnerAdministrator)
        #expect(harness.logged.filter { $0.contains(IssuerAnswers.discoveryURL) }.count == 1)
    }
}

@Suite struct HookSkipTests {
    @Test func noMatchNamesTheClosestRuleAndItsFirstFailingCondition() {
        let harness = HookHarness(mapping: mapping { $0.help = help }, token: TokenFixtures.feature)
        let outcome = harness.run().outcome
        guard case let .skippedNoMatch(closest?)? = outcome else {
            Issue.record("not a no-match skip: \(String(describing: outcome))")
            return
        }
        #expect(closest.rule.number == 2)
        #expect(
            harness.logged == [
                "no AWS credentials for this job: no rule of the mapping matches it (project group/project, ref feature/x); closest: rule 2 \"infra prod\" wants ref_protected = true; this job has false. \(help)"
            ])
        #expect(harness.stsRequests().isEmpty && harness.envFileText == "")
    }

    @Test func noMatchFailsWhenTheMappingSaysSo() {
        let harness = HookHarness(mapping: mapping { $0.onNoMatch = .fail }, token: TokenFixtures.otherProject)
        let failure = harness.run().failure
        guard case let .refused(.noMatchingRule("other/project", "main", closest?))? = failure else {
            Issue.record("not a no-match failure: \(String(describing: failure))")
            return
        }
        #expect(closest.description == "rule 2 \"infra prod\" wants ref = \"feature/x\"; this job has \"main\"")
        #expect(failure?.exitCategory == .credentialsUnavailable)
        #expect(harness.envFileText == "")
    }

    @Test func aSkipRuleGivesNothingAndSaysSoOnce() {
        let skip = Rule(
            number: 1, line: 3, name: "merge requests get nothing",
            conditions: [MappingFixtures.condition("pipeline_source", "merge_request_event")], action: .skip)
        let harness = HookHarness(
            mapping: mapping { $0.rules.insert(skip, at: 0) }, token: TokenFixtures.mergeRequest)
        #expect(harness.run().outcome == .skippedByRule(rule: "rule 1 \"merge requests get nothing\""))
        #expect(
            harness.logged == [
                "no AWS credentials for this job: rule 1 \"merge requests get nothing\" matches it first and says skip = true"
            ])
        #expect(harness.stsRequests().isEmpty && harness.envFileText == "")
    }

    @Test func blockInstanceMetadataAlsoGuardsASkippedJobOnce() {
        let harness = HookHarness(mapping: mapping { $0.blockInstanceMetadata = true }, token: TokenFixtures.otherProject)
        for _ in 1...2 {
            guard case .skippedNoMatch? = harness.run().outcome else {
                Issue.record("not skipped")
                return
            }
        }
        #expect(harness.envFileText == "AWS_EC2_METADATA_DISABLED=true\n", "written once, not again by a later run")
        #expect(harness.stsRequests().isEmpty)
    }
}

@Suite struct HookShadowTests {
    @Test func shadowModeSaysWhatItWouldAssumeAndDoesNothing() {
        let harness = HookHarness(mapping: mapping { $0.mode = .shadow })
        let line =
            "shadow mode: would assume \(deployRole) via rule 1 \"deploy\" as session gitlab-42-1001; nothing was called or written (mode = \"shadow\")"
        #expect(harness.run().outcome == .shadowed(line))
        #expect(harness.logged == [line])
        #expect(harness.stsRequests().isEmpty)
        #expect(harness.envFileText == "")
    }

    @Test func shadowModeExitsZeroWhereEnforcingWouldFail() {
        let refusing = HookHarness(mapping: mapping { $0.mode = .shadow; $0.onNoMatch = .fail }, token: TokenFixtures.otherProject)
        guard case let .shadowed(line)? = refusing.run().outcome else {
            Issue.record("shadow mode failed the job")
            return
        }
        #expect(line.hasPrefix("shadow mode: would fail this job: no rule of the mapping matches this job"))

        let forged = HookHarness(mapping: mapping { $0.mode = .shadow }, token: TokenFixtures.badSignature)
        #expect(forged.run().outcome.map { if case .shadowed = $0 { true } else { false } } == true)
        #expect(forged.logged.last?.contains("signature is not valid") == true)

        let skipped = HookHarness(mapping: mapping { $0.mode = .shadow; $0.blockInstanceMetadata = true }, token: TokenFixtures.otherProject)
        #expect(skipped.run().outcome.map { if case .shadowed = $0 { true } else { false } } == true)
        #expect(skipped.envFileText == "")
    }
}

@Suite struct HookAccountGuardTests {
    @Test func aRoleOutsideTheAllowedAccountsIsNeverAssumed() {
        let harness = HookHarness(mapping: mapping { $0.allowedAccountIDs = ["444455556666"] })
        let failure = harness.run().failure
        #expect(
            failure
                == .refused(.accountNotAllowed(account: "111122223333", role: deployRole, setting: "allowed_account_ids")))
        #expect(harness.stsRequests().isEmpty && harness.envFileText == "")
        #expect(harness.logged.last?.contains("its account 111122223333 is not in allowed_account_ids") == true)
    }

    @Test func aRulesListReplacesTheTopLevelOne() {
        var rule = mapping().rules[0]
        rule = Rule(
            number: 1, line: 10, name: "deploy", role: MappingFixtures.role("deploy"), conditions: rule.conditions,
            allowedAccountIDs: ["111122223333"])
        let harness = HookHarness(mapping: mapping { $0.allowedAccountIDs = ["444455556666"]; $0.rules[0] = rule })
        harness.transport.queue(
            STSAnswers.defaultEndpoint, .response(STSAnswers.credentials(role: deployRole, expiration: 1_800_010_000)))
        #expect(harness.run().outcome != nil)
    }

    @Test func credentialsOfAnotherAccountThanAskedForAreRefused() {
        let harness = HookHarness(mapping: mapping { $0.allowedAccountIDs = ["111122223333"] })
        harness.transport.queue(
            STSAnswers.defaultEndpoint,
            .response(STSAnswers.credentials(role: "arn:aws:iam::999988887777:role/deploy", expiration: 1_800_010_000)))
        #expect(
            harness.run().failure
                == .refused(.accountNotAllowed(account: "999988887777", role: deployRole, setting: "allowed_account_ids")))
        #expect(harness.envFileText == "")
    }
}

@Suite struct HookChainTests {
    static let target = "arn:aws:iam::444455556666:role/target"

    /// Rule 1 with a chain to `target`: an external id, tags from claims (one whose claim the
    /// token lacks), a transitive key.
    static func chained(_ change: (inout Mapping) -> Void = { _ in }) -> Mapping {
        let hop = ChainHop(
            role: RoleARN(target)!, externalID: "ext-42", sessionName: "hop-{job_id}",
            tags: [
                SessionTagTemplate(key: "project", value: "{project_path}"),
                SessionTagTemplate(key: "mr", value: "{merge_request_iid}"),
                SessionTagTemplate(key: "where", value: "{environment}@{ref}*"),
            ],
            transitiveTagKeys: ["project", "mr"], line: 15)
        let first = mapping().rules[0]
        return mapping {
            $0.rules[0] = Rule(
                number: 1, line: 10, name: "deploy", role: MappingFixtures.role("deploy"),
                conditions: first.conditions, chain: [hop])
            change(&$0)
        }
    }

    func scriptBothHops(_ harness: HookHarness, expiration: Int64) {
        harness.transport.queue(
            STSAnswers.defaultEndpoint,
            .response(STSAnswers.credentials(role: deployRole, expiration: expiration + 600, serial: 1)),
            .response(
                STSAnswers.credentials(
                    role: Self.target, session: "hop-1001", expiration: expiration, serial: 2, action: "AssumeRole")))
    }

    @Test func eachHopIsSignedWithThePreviousHopsCredentials() throws {
        let harness = HookHarness(mapping: Self.chained())
        let expiration = harness.clock.now + 3600
        scriptBothHops(harness, expiration: expiration)

        #expect(
            harness.run().outcome
                == .wrote(roles: [deployRole, Self.target], rule: "rule 1 \"deploy\"", sessionName: "gitlab-42-1001"))
        let requests = harness.stsRequests()
        #expect(requests.count == 2)
        #expect(requests[0].formField("Action") == "AssumeRoleWithWebIdentity")
        #expect(!requests[0].headers.contains { $0.lowercased().hasPrefix("authorization:") })
        let hop = try #require(requests.last)
        #expect(
            hop.formFields.map { "\($0.0)=\($0.1)" } == [
                "Action=AssumeRole", "Version=2011-06-15", "RoleArn=\(Self.target)", "RoleSessionName=hop-1001",
                "DurationSeconds=3600", "ExternalId=ext-42", "Tags.member.1.Key=project",
                "Tags.member.1.Value=group/project", "Tags.member.2.Key=where", "Tags.member.2.Value=production@main-",
                "TransitiveTagKeys.member.1=project",
            ])
        let authorization = try #require(hop.headers.first { $0.hasPrefix("Authorization:") })
        #expect(authorization.contains("Credential=\(STSAnswers.accessKeyID(1))/"))
        #expect(authorization.contains("/us-east-1/sts/aws4_request"))
        #expect(hop.headers.contains("X-Amz-Security-Token: \(STSAnswers.sessionToken(1))"))

        #expect(harness.envFileText == credentialLines(serial: 2, expiration: expiration, role: Self.target))
        #expect(
            harness.logged == [
                "assumed \(deployRole) via rule 1 \"deploy\" as session gitlab-42-1001, then \(Self.target) as session hop-1001; credentials expire \(Timestamp.format(expiration)) (region us-east-1)"
            ])
        #expect(!harness.logged.joined().contains(STSAnswers.secretAccessKey(1)))
    }

    @Test func aRefusedHopNamesItselfAndWritesNothing() {
        let harness = HookHarness(mapping: Self.chained { $0.help = help })
        harness.transport.queue(
            STSAnswers.defaultEndpoint,
            .response(STSAnswers.credentials(role: deployRole, expiration: harness.clock.now + 3600)),
            .response(STSAnswers.error("AccessDenied", message: "not trusted by target", status: 403)))
        let failure = harness.run().failure
        #expect(failure?.exitCategory == .credentialsUnavailable)
        guard case let .sts(error)? = failure else {
            Issue.record("not an STS failure: \(String(describing: failure))")
            return
        }
        #expect(error.call == STSCall(action: .assumeRole, roleARN: Self.target, hop: 2))
        #expect(error.code == "AccessDenied")
        #expect(harness.stsRequests().count == 2, "a refused hop is not retried")
        #expect(harness.envFileText == "")
        let line = harness.logged.last ?? ""
        #expect(line.contains("AssumeRole of \(Self.target) (chain hop 2)") && line.contains("not trusted by target"))
        #expect(line.hasSuffix(help))
    }

    @Test func theAccountGuardLooksAtTheLastHopsCredentials() {
        let harness = HookHarness(mapping: Self.chained { $0.allowedAccountIDs = ["111122223333"] })
        #expect(
            harness.run().failure
                == .refused(
                    .accountNotAllowed(account: "444455556666", role: Self.target, setting: "allowed_account_ids")))
        #expect(harness.stsRequests().isEmpty, "refused at plan time, before any call")

        let allowed = HookHarness(mapping: Self.chained { $0.allowedAccountIDs = ["444455556666"] })
        scriptBothHops(allowed, expiration: allowed.clock.now + 3600)
        #expect(allowed.run().outcome != nil)
    }
}

@Suite struct HookPlacementTests {
    @Test func webIdentityPutsTheTokenInPlaceAndCallsNoSTS() throws {
        let harness = HookHarness(mapping: mapping { $0.output = .webIdentity })
        #expect(harness.run().outcome == .wrote(roles: [deployRole], rule: "rule 1 \"deploy\"", sessionName: "gitlab-42-1001"))
        let tokenFile = harness.jobFolder + "/AWS_ID_TOKEN.jwt"
        #expect(TemporaryDirectory.read(tokenFile) == TokenFixtures.main)
        #expect(
            harness.envFileText == """
                AWS_ROLE_ARN=\(deployRole)
                AWS_WEB_IDENTITY_TOKEN_FILE=\(tokenFile)
                AWS_ROLE_SESSION_NAME=gitlab-42-1001
                AWS_REGION=us-east-1
                AWS_DEFAULT_REGION=us-east-1
                GITLAB_OIDC_AWS_ROLE_ARN=\(deployRole)

                """)
        #expect(harness.stsRequests().isEmpty)
        #expect(harness.run().outcome == .reused(role: deployRole))
        #expect(harness.logged.last?.hasPrefix("reusing the web-identity settings for \(deployRole)") == true)
    }

    @Test func webIdentityWithAChainIsAConfigurationError() {
        var rule = mapping().rules[0]
        rule = Rule(
            number: 1, line: 10, name: "deploy", role: MappingFixtures.role("deploy"), conditions: rule.conditions,
            chain: [ChainHop(role: MappingFixtures.role("target"), line: 15)])
        let harness = HookHarness(mapping: mapping { $0.output = .webIdentity; $0.rules[0] = rule })
        let failure = harness.run().failure
        #expect(failure == .refused(.webIdentityChain(rule: "rule 1 \"deploy\"")))
        #expect(failure?.exitCategory == .invalidConfiguration)
        #expect(harness.envFileText == "")
    }

    @Test func profilesNameThisProgramAndTheMappingFile() throws {
        let harness = HookHarness(mapping: mapping { $0.output = .profile })
        #expect(harness.run().outcome == .wrote(roles: [deployRole], rule: "rule 1 \"deploy\"", sessionName: "gitlab-42-1001"))
        let config = try #require(TemporaryDirectory.read(harness.jobFolder + "/config"))
        #expect(
            config.contains(
                "credential_process = /usr/local/bin/gitlab-oidc-aws credential-process --config /etc/gitlab-runner/oidc-aws.toml --token-file \(harness.jobFolder)/AWS_ID_TOKEN.jwt --rule 1 --cache \(harness.jobFolder)/cache-rule-1.json"
            ))
        #expect(harness.envFileText.hasPrefix("AWS_CONFIG_FILE=\(harness.jobFolder)/config\n"))
        #expect(harness.stsRequests().isEmpty)
    }

    @Test func profilesNeedThisProgramsPath() {
        let harness = HookHarness(mapping: mapping { $0.output = .profile })
        harness.executablePath = nil
        #expect(harness.run().failure == .refused(.unknownExecutablePath))
        #expect(harness.envFileText == "")
    }

    @Test func aJobFileThatCannotBeWrittenLeavesTheEnvFileAlone() {
        let harness = HookHarness(mapping: mapping { $0.output = .webIdentity })
        harness.files = FailingFiles(failJobFiles: true)
        guard case .output(.jobFile)? = harness.run().failure else {
            Issue.record("not a job-file failure")
            return
        }
        #expect(harness.envFileText == "")
    }
}

/// `LocalJobFiles`, with chosen operations failing as a full disk or a read-only folder would.
private struct FailingFiles: JobFileAccess {
    var failAppend = false
    var failJobFiles = false
    let local = LocalJobFiles()

    func readJobFile(_ path: String, limit: Int) -> [UInt8]? { local.readJobFile(path, limit: limit) }

    func appendToEnvFile(_ text: String, path: String) throws(OutputError) {
        if failAppend { throw .unwritable(FileError(path: path, operation: "write to", code: 28)) }
        try local.appendToEnvFile(text, path: path)
    }

    func writeJobFile(_ bytes: [UInt8], to path: String) throws(FileError) {
        if failJobFiles { throw FileError(path: path, operation: "create", code: 30) }
        try local.writeJobFile(bytes, to: path)
    }

    func makeJobFolder(_ path: String) throws(FileError) { try local.makeJobFolder(path) }
}
