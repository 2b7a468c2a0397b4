import GitLabOIDCAWSTestSupport
import Testing

@testable import GitLabOIDCAWS

/// `JobPlanner`: every decision of the hook as a pure function of the mapping, the claims,
/// the selected rules and a snapshot of the job.
private let folder = JobFolder(path: "/builds/group/project.tmp/gitlab-oidc-aws")

private func snapshot(entries: [String: String] = [:], now: Int64 = 1_800_000_000, executable: String? = "/usr/local/bin/gitlab-oidc-aws")
    -> JobSnapshot
{
    JobSnapshot(
        tokenVariable: "AWS_ID_TOKEN", token: "header.payload.signature",
        envFile: "/builds/group/project.tmp/gitlab_runner_env", envFileEntries: entries, folder: folder,
        executablePath: executable, configPath: "/etc/gitlab-runner/oidc-aws.toml", now: now)
}

private let claims = Claims(strings: [
    ("project_path", "group/project"), ("project_id", "42"), ("job_id", "1001"), ("ref", "main"),
    ("environment", "production"), ("exp", "1800003600"),
])

/// Plans `mapping` for `claims` as the hook does: rules selected in one pass.
private func plan(_ mapping: Mapping, claims: Claims = claims, job: JobSnapshot = snapshot()) throws(HookFailure)
    -> JobPlan
{
    let selection = RuleMatcher.select(
        in: mapping.rules, claims: claims, continuingPast: { JobPlanner.needsEveryMatch(after: $0, mapping: mapping) })
    return try JobPlanner.plan(mapping: mapping, claims: claims, selection: selection, job: job)
}

private func loaded(_ text: String) throws -> Mapping {
    try MappingLoader.parse(source: text, path: "mapping.toml").mapping
}

@Suite struct JobPlannerExchangeTests {
    static let chained = Rule(
        number: 1, line: 1, name: "chained", role: MappingFixtures.role("entry"),
        conditions: [MappingFixtures.condition("project_path", "group/project")], duration: 7200,
        sessionPolicy: #"{"Version":"2012-10-17"}"#, policyARNs: ["arn:aws:iam::aws:policy/ReadOnlyAccess"],
        chain: [
            ChainHop(
                role: MappingFixtures.role("target", account: "444455556666"), externalID: "ext",
                tags: [
                    SessionTagTemplate(key: "project", value: "{project_path}"),
                    SessionTagTemplate(key: "env", value: "{environment}"),
                    SessionTagTemplate(key: "tier", value: "{deployment_tier}"),
                ],
                transitiveTagKeys: ["project", "tier"], line: 5),
            ChainHop(
                role: MappingFixtures.role("last", account: "777788889999"), duration: 900, sessionName: "hop-{job_id}",
                line: 9),
        ])

    @Test func theRuleSettingsAndSessionNameFeedEveryHop() throws {
        var mapping = MappingFixtures.mapping([Self.chained])
        mapping.region = "eu-west-1"
        guard case let .exchange(exchange) = try plan(mapping).action else {
            Issue.record("not an exchange")
            return
        }
        #expect(exchange.endpoint == "https://sts.eu-west-1.amazonaws.com/")
        #expect(
            exchange.webIdentity
                == WebIdentityHop(
                    role: MappingFixtures.role("entry"), sessionName: "gitlab-42-1001", duration: 7200,
                    policy: #"{"Version":"2012-10-17"}"#, policyARNs: ["arn:aws:iam::aws:policy/ReadOnlyAccess"]))
        #expect(
            exchange.chain == [
                ChainedHop(
                    number: 2, role: MappingFixtures.role("target", account: "444455556666"),
                    sessionName: "gitlab-42-1001", duration: 3600, externalID: "ext", policy: nil, policyARNs: [],
                    tags: [SessionTag(key: "project", value: "group/project"), SessionTag(key: "env", value: "production")],
                    transitiveTagKeys: ["project"]),
                ChainedHop(
                    number: 3, role: MappingFixtures.role("last", account: "777788889999"), sessionName: "hop-1001",
                    duration: 900, externalID: nil, policy: nil, policyARNs: [], tags: [], transitiveTagKeys: []),
            ])
        #expect(exchange.finalRole == MappingFixtures.role("last", account: "777788889999"))
        #expect(
            exchange.hops
                == "arn:aws:iam::111122223333:role/entry via rule 1 \"chained\" as session gitlab-42-1001, then arn:aws:iam::444455556666:role/target as session gitlab-42-1001, then arn:aws:iam::777788889999:role/last as session hop-1001"
        )
    }

    @Test func theAccountGuardLooksAtTheLastHop() throws {
        var mapping = MappingFixtures.mapping([Self.chained])
        mapping.allowedAccountIDs = ["111122223333", "444455556666"]
        #expect(
            throws: HookFailure.refused(
                .accountNotAllowed(
                    account: "777788889999", role: "arn:aws:iam::777788889999:role/last",
                    setting: "allowed_account_ids"))
        ) { try plan(mapping) }
        mapping.allowedAccountIDs = ["777788889999"]
        #expect(throws: Never.self) { try plan(mapping) }
    }

    @Test func credentialsStillGoodAreReused() throws {
        let mapping = MappingFixtures.mapping([Self.chained])
        let entries = [
            "GITLAB_OIDC_AWS_ROLE_ARN": "arn:aws:iam::777788889999:role/last", "AWS_ACCESS_KEY_ID": "A",
            "AWS_SECRET_ACCESS_KEY": "S", "AWS_SESSION_TOKEN": "T",
            "AWS_CREDENTIAL_EXPIRATION": Timestamp.format(1_800_000_000 + 901),
        ]
        guard case .reuse(_, 1_800_000_901) = try plan(mapping, job: snapshot(entries: entries)).action else {
            Issue.record("not reused")
            return
        }
        guard case .exchange = try plan(mapping, job: snapshot(entries: entries, now: 1_800_000_001)).action else {
            Issue.record("reused with 15 minutes left")
            return
        }
    }

    @Test func reuseNeedsTheSameRoleCompleteCredentialsAndFifteenMinutes() {
        let role = "arn:aws:iam::1:role/r"
        var entries = [
            "GITLAB_OIDC_AWS_ROLE_ARN": role, "AWS_ACCESS_KEY_ID": "ASIA", "AWS_SECRET_ACCESS_KEY": "s",
            "AWS_SESSION_TOKEN": "t", "AWS_CREDENTIAL_EXPIRATION": Timestamp.format(10_000 + 901),
        ]
        #expect(JobPlanner.reusableExpiration(in: entries, role: role, now: 10_000) == 10_901)
        #expect(JobPlanner.reusableExpiration(in: entries, role: role, now: 10_001) == nil)
        #expect(JobPlanner.reusableExpiration(in: entries, role: "arn:aws:iam::1:role/other", now: 10_000) == nil)
        entries["AWS_SESSION_TOKEN"] = nil
        #expect(JobPlanner.reusableExpiration(in: entries, role: role, now: 10_000) == nil)
    }
}

@Suite struct JobPlannerSkipTests {
    static let rules = [
        Rule(
            number: 1, line: 2, name: "no merge requests",
            conditions: [MappingFixtures.condition("pipeline_source", "merge_request_event")], action: .skip),
        Rule(
            number: 2, line: 5, name: "prod", role: MappingFixtures.role("prod"),
            conditions: [
                MappingFixtures.condition("project_path", "group/project"),
                MappingFixtures.condition("environment", "staging"),
            ]),
    ]

    @Test func noMatchSkipsWithTheClosestRuleOrFails() throws {
        var mapping = MappingFixtures.mapping(Self.rules)
        mapping.blockInstanceMetadata = true
        let skip = try plan(mapping)
        guard case let .skip(.noMatch("group/project", "main", closest?)) = skip.action else {
            Issue.record("not a no-match skip")
            return
        }
        #expect(closest.description == #"rule 2 "prod" wants environment = "staging"; this job has "production""#)
        #expect(skip.envEntries([]) == [EnvEntry("AWS_EC2_METADATA_DISABLED", "true")])
        mapping.onNoMatch = .fail
        #expect(throws: HookFailure.refused(.noMatchingRule(project: "group/project", ref: "main", closest: closest))) {
            try plan(mapping)
        }
    }

    @Test func aSkipRuleIsAPlanOfItsOwn() throws {
        let mergeRequest = Claims(strings: [("pipeline_source", "merge_request_event"), ("project_path", "group/project")])
        let skip = try plan(MappingFixtures.mapping(Self.rules), claims: mergeRequest)
        #expect(skip.action == .skip(.rule(Self.rules[0])))
        #expect(skip.envEntries([]) == [])
    }

    @Test func shadowModeDescribesEveryShape() throws {
        var mapping = MappingFixtures.mapping([JobPlannerExchangeTests.chained])
        mapping.mode = .shadow
        #expect(try plan(mapping).shadowLine.hasPrefix("shadow mode: would assume arn:aws:iam::111122223333:role/entry via rule 1 \"chained\" as session gitlab-42-1001, then "))
        var skipping = MappingFixtures.mapping(Self.rules)
        skipping.mode = .shadow
        #expect(
            try plan(skipping).shadowLine.hasPrefix(
                "shadow mode: would give this job nothing: no AWS credentials for this job: no rule of the mapping matches it"))
    }
}

@Suite struct JobPlannerWebIdentityTests {
    let mapping = """
        issuer = "https://gitlab.example.com"
        output = "web-identity"

        [[rule]]
        role = "arn:aws:iam::111122223333:role/deploy"
        region = "eu-central-1"
        match = { project_path = "group/project" }
        """

    func placement(_ text: String) throws -> Placement {
        guard case let .place(placement) = try plan(try loaded(text)).action else {
            throw HookFailure.refused(.unknownExecutablePath)
        }
        return placement
    }

    @Test func writesTheTokenFileAndTheSDKVariables() throws {
        let placement = try placement(mapping)
        #expect(
            placement.files == [
                JobFile(path: folder.tokenFile(variable: "AWS_ID_TOKEN"), contents: Array("header.payload.signature".utf8))
            ])
        #expect(
            placement.entries.map(\.description) == [
                "AWS_ROLE_ARN=arn:aws:iam::111122223333:role/deploy",
                "AWS_WEB_IDENTITY_TOKEN_FILE=/builds/group/project.tmp/gitlab-oidc-aws/AWS_ID_TOKEN.jwt",
                "AWS_ROLE_SESSION_NAME=gitlab-42-1001",
                "AWS_REGION=eu-central-1",
                "AWS_DEFAULT_REGION=eu-central-1",
                "GITLAB_OIDC_AWS_ROLE_ARN=arn:aws:iam::111122223333:role/deploy",
            ])
    }

    @Test func namesTheSTSEndpointWhenTheMappingSetsOne() throws {
        let custom = try placement(mapping.replacingFirst("output", with: "sts_endpoint = \"http://127.0.0.1:9/\"\noutput"))
        #expect(custom.entries.contains(EnvEntry("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9/")))
        let fips = try placement(
            mapping.replacingFirst("output", with: "sts_fips = true\noutput").replacingFirst("eu-central-1", with: "us-west-2"))
        #expect(fips.entries.contains(EnvEntry("AWS_ENDPOINT_URL_STS", "https://sts-fips.us-west-2.amazonaws.com/")))
    }

    @Test func theRoleHandedToTheJobMustBeInAnAllowedAccount() throws {
        var mapping = try loaded(mapping)
        mapping.allowedAccountIDs = ["444455556666"]
        #expect(
            throws: HookFailure.refused(
                .accountNotAllowed(
                    account: "111122223333", role: "arn:aws:iam::111122223333:role/deploy",
                    setting: "allowed_account_ids"))
        ) { try plan(mapping) }
    }
}

@Suite struct JobPlannerProfileTests {
    static let text = """
        issuer = "https://gitlab.example.com"
        output = "profile"
        region = "eu-west-1"

        [[rule]]
        name = "deploy"
        role = "arn:aws:iam::111122223333:role/deploy"
        match = { project_path = "group/project" }

        [[rule]]
        role = "arn:aws:iam::111122223333:role/other"
        profile = "infra"
        match = { project_path = "other/project" }

        [[rule]]
        role = "arn:aws:iam::111122223333:role/infra"
        profile = "infra"
        region = "us-west-2"
        match = { project_path = "group/**" }

        [[rule]]
        role = "arn:aws:iam::111122223333:role/infra-shadowed"
        profile = "infra"
        match = { project_path = "group/*" }

        [[rule]]
        role = "arn:aws:iam::444455556666:role/dns"
        profile = "dns"
        match = { ref = "main" }
        """

    @Test func rendersOneSectionPerProfile() throws {
        guard case let .place(placement) = try plan(try loaded(Self.text)).action else {
            Issue.record("not a placement")
            return
        }
        let config = try #require(placement.files.first { $0.path == folder.configFile })
        let process =
            "/usr/local/bin/gitlab-oidc-aws credential-process --config /etc/gitlab-runner/oidc-aws.toml --token-file /builds/group/project.tmp/gitlab-oidc-aws/AWS_ID_TOKEN.jwt"
        #expect(
            String(decoding: config.contents, as: UTF8.self) == """
                # AWS config of this CI job, written by gitlab-oidc-aws. Each profile runs
                # credential_process to get (and later refresh) credentials for its IAM role from
                # the job's ID token. Deleted with the job.

                [default]
                credential_process = \(process) --rule 1 --cache /builds/group/project.tmp/gitlab-oidc-aws/cache-rule-1.json
                region = eu-west-1

                [profile infra]
                credential_process = \(process) --rule 3 --cache /builds/group/project.tmp/gitlab-oidc-aws/cache-rule-3.json
                region = us-west-2

                [profile dns]
                credential_process = \(process) --rule 5 --cache /builds/group/project.tmp/gitlab-oidc-aws/cache-rule-5.json
                region = eu-west-1

                """)
        #expect(placement.files.map(\.path) == [folder.tokenFile(variable: "AWS_ID_TOKEN"), folder.configFile, folder.credentialsFile])
        #expect(placement.files[0].contents == Array("header.payload.signature".utf8))
        #expect(
            placement.entries.map(\.description) == [
                "AWS_CONFIG_FILE=/builds/group/project.tmp/gitlab-oidc-aws/config",
                "AWS_SHARED_CREDENTIALS_FILE=/builds/group/project.tmp/gitlab-oidc-aws/credentials",
                "AWS_PROFILE=default",
                "GITLAB_OIDC_AWS_ROLE_ARN=arn:aws:iam::111122223333:role/deploy",
            ])
        #expect(placement.grants.map(\.profile) == ["default", "infra", "dns"])
    }

    @Test func everyProfilesRoleMustBeInAnAllowedAccount() throws {
        var mapping = try loaded(Self.text)
        mapping.allowedAccountIDs = ["111122223333"]
        #expect(
            throws: HookFailure.refused(
                .accountNotAllowed(
                    account: "444455556666", role: "arn:aws:iam::444455556666:role/dns", setting: "allowed_account_ids"))
        ) { try plan(mapping) }
    }

    @Test func blockInstanceMetadataAddsItsLineLast() throws {
        var mapping = try loaded(Self.text)
        mapping.blockInstanceMetadata = true
        let planned = try plan(mapping)
        guard case let .place(placement) = planned.action else {
            Issue.record("not a placement")
            return
        }
        #expect(planned.envEntries(placement.entries).last == EnvEntry("AWS_EC2_METADATA_DISABLED", "true"))
    }

    @Test func withoutThisProgramsPathThereIsNoProfile() throws {
        #expect(throws: HookFailure.refused(.unknownExecutablePath)) {
            try plan(try loaded(Self.text), job: snapshot(executable: nil))
        }
    }
}

extension String {
    fileprivate func replacingFirst(_ target: String, with replacement: String) -> String {
        let parts = split(separator: target, maxSplits: 1, omittingEmptySubsequences: false)
        return parts.count == 2 ? parts[0] + replacement + parts[1] : self
    }
}
