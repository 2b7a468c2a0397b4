import Testing

@testable import GitLabOIDCAWS

/// A mapping with three rules for `group/project`: the first (no profile name), `infra`
/// and `dns`, plus one for another project.
private let profileMapping = """
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

private func load(_ text: String) throws -> Mapping {
    try MappingLoader.parse(source: text, path: "mapping.toml").mapping
}

private let groupProject = Claims(strings: [("project_path", "group/project"), ("ref", "main")])

private let folder = JobFolder(path: "/builds/group/project.tmp/gitlab-oidc-aws")

@Suite("job folder")
struct JobFolderTests {
    @Test func takesRunnerTempProjectDir() {
        let located = JobFolder.locate(
            runnerTempProjectDir: "/builds/g/p.tmp/", envFile: "/elsewhere/env", workingDirectory: "/w")
        #expect(located.path == "/builds/g/p.tmp/gitlab-oidc-aws")
        #expect(located.tokenFile(variable: "AWS_ID_TOKEN") == "/builds/g/p.tmp/gitlab-oidc-aws/AWS_ID_TOKEN.jwt")
        #expect(located.configFile == "/builds/g/p.tmp/gitlab-oidc-aws/config")
        #expect(located.credentialsFile == "/builds/g/p.tmp/gitlab-oidc-aws/credentials")
        #expect(located.cacheFile(rule: 3) == "/builds/g/p.tmp/gitlab-oidc-aws/cache-rule-3.json")
    }

    @Test func fallsBackToTheEnvFilesFolder() {
        #expect(
            JobFolder.locate(runnerTempProjectDir: nil, envFile: "/b/p.tmp/gitlab_runner_env", workingDirectory: "/w")
                .path == "/b/p.tmp/gitlab-oidc-aws")
        #expect(
            JobFolder.locate(runnerTempProjectDir: "", envFile: "env", workingDirectory: "/w").path
                == "/w/./gitlab-oidc-aws")
        #expect(
            JobFolder.locate(runnerTempProjectDir: nil, envFile: "tmp/env", workingDirectory: "/w/").path
                == "/w/tmp/gitlab-oidc-aws")
        #expect(JobFolder.locate(runnerTempProjectDir: nil, envFile: "/env", workingDirectory: "/w").path == "/gitlab-oidc-aws")
    }
}

@Suite("profiles of a job")
struct JobProfilesTests {
    @Test func firstMatchIsDefaultThenEveryNamedMatchInFileOrder() throws {
        let profiles = JobProfiles.resolve(mapping: try load(profileMapping), claims: groupProject)
        #expect(profiles.map(\.name) == ["default", "infra", "dns"])
        #expect(profiles.map(\.rule.number) == [1, 3, 5])
    }

    @Test func firstMatchWithAProfileNameAppearsTwice() throws {
        let profiles = JobProfiles.resolve(
            mapping: try load(profileMapping), claims: Claims(strings: [("project_path", "group/sub/x")]))
        #expect(profiles.map(\.name) == ["default", "infra"])
        #expect(profiles.map(\.rule.number) == [3, 3])
    }

    @Test func nothingWhenTheWinnerIsNotProfileOutput() throws {
        let mapping = try load(profileMapping.replacingFirst("output = \"profile\"", with: "output = \"env\""))
        #expect(JobProfiles.resolve(mapping: mapping, claims: groupProject).isEmpty)
        #expect(JobProfiles.resolve(mapping: try load(profileMapping), claims: Claims(strings: [])).isEmpty)
    }

    @Test func rulesWithAnotherOutputAreLeftOut() throws {
        let mapping = try load(
            profileMapping.replacingFirst("profile = \"dns\"", with: "profile = \"dns\"\noutput = \"env\""))
        #expect(JobProfiles.resolve(mapping: mapping, claims: groupProject).map(\.name) == ["default", "infra"])
    }

    @Test func explainListsEveryProfile() throws {
        let text = Explanation(mapping: try load(profileMapping), claims: groupProject).text
        #expect(text.contains("profile default: arn:aws:iam::111122223333:role/deploy (rule 1 \"deploy\")"))
        #expect(text.contains("profile infra: arn:aws:iam::111122223333:role/infra (rule 3 (line"))
        #expect(text.contains("profile dns: arn:aws:iam::444455556666:role/dns (rule 5 (line"))
        #expect(!text.contains("infra-shadowed"))
    }
}

@Suite("AWS config file")
struct AWSConfigFileTests {
    @Test func rendersOneSectionPerProfile() throws {
        let mapping = try load(profileMapping)
        let plan = try OutputPlan.profiles(
            JobProfiles.resolve(mapping: mapping, claims: groupProject), mapping: mapping,
            configPath: "/etc/gitlab-runner/oidc-aws.toml", executable: "/usr/local/bin/gitlab-oidc-aws",
            folder: folder, variable: "AWS_ID_TOKEN", token: "header.payload.signature")
        let config = try #require(plan.files.first { $0.path == folder.configFile })
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
        #expect(plan.files.map(\.path) == [folder.tokenFile(variable: "AWS_ID_TOKEN"), folder.configFile, folder.credentialsFile])
        #expect(plan.files[0].contents == Array("header.payload.signature".utf8))
        #expect(
            plan.entries.map { "\($0.0)=\($0.1)" } == [
                "AWS_CONFIG_FILE=/builds/group/project.tmp/gitlab-oidc-aws/config",
                "AWS_SHARED_CREDENTIALS_FILE=/builds/group/project.tmp/gitlab-oidc-aws/credentials",
                "AWS_PROFILE=default",
                "GITLAB_OIDC_AWS_ROLE_ARN=arn:aws:iam::111122223333:role/deploy",
            ])
    }

    @Test func quotesArgumentsForTheShell() throws {
        let invocation = CredentialProcessInvocation(
            executable: "/opt/gitlab oidc/bin/gitlab-oidc-aws", configPath: "/etc/it's.toml",
            tokenFile: "/b/p.tmp/gitlab-oidc-aws/T.jwt", rule: 2, cacheFile: "/b/$HOME/c.json")
        #expect(
            try invocation.commandLine()
                == "'/opt/gitlab oidc/bin/gitlab-oidc-aws' credential-process --config '/etc/it'\\''s.toml' --token-file /b/p.tmp/gitlab-oidc-aws/T.jwt --rule 2 --cache '/b/$HOME/c.json'"
        )
    }

    @Test func refusesLineBreaksInPaths() {
        let invocation = CredentialProcessInvocation(
            executable: "/bin/x", configPath: "/etc/a\nb.toml", tokenFile: "/t", rule: 1, cacheFile: "/c")
        #expect(throws: OutputError.unsafePath("/etc/a\nb.toml")) { try invocation.commandLine() }
    }

    @Test func blockInstanceMetadataAddsItsLine() throws {
        let mapping = try load(profileMapping + "\n").with { $0.blockInstanceMetadata = true }
        let plan = try OutputPlan.profiles(
            JobProfiles.resolve(mapping: mapping, claims: groupProject), mapping: mapping, configPath: "/m",
            executable: "/x", folder: folder, variable: "V", token: "t")
        #expect(plan.entries.last.map { "\($0.0)=\($0.1)" } == "AWS_EC2_METADATA_DISABLED=true")
    }
}

@Suite("web-identity output")
struct WebIdentityTests {
    let mapping = """
        issuer = "https://gitlab.example.com"
        output = "web-identity"

        [[rule]]
        role = "arn:aws:iam::111122223333:role/deploy"
        region = "eu-central-1"
        match = { project_path = "group/project" }
        """

    func plan(_ text: String) throws -> OutputPlan {
        let mapping = try load(text)
        return OutputPlan.webIdentity(
            rule: mapping.rules[0], assumption: try #require(mapping.rules[0].assumption), mapping: mapping,
            sessionName: "gitlab-42-1001", folder: folder,
            variable: "AWS_ID_TOKEN", token: "a.b.c")
    }

    @Test func writesTheTokenFileAndTheSDKVariables() throws {
        let plan = try plan(mapping)
        #expect(plan.files == [OutputPlan.File(path: folder.tokenFile(variable: "AWS_ID_TOKEN"), contents: Array("a.b.c".utf8))])
        #expect(
            plan.entries.map { "\($0.0)=\($0.1)" } == [
                "AWS_ROLE_ARN=arn:aws:iam::111122223333:role/deploy",
                "AWS_WEB_IDENTITY_TOKEN_FILE=/builds/group/project.tmp/gitlab-oidc-aws/AWS_ID_TOKEN.jwt",
                "AWS_ROLE_SESSION_NAME=gitlab-42-1001",
                "AWS_REGION=eu-central-1",
                "AWS_DEFAULT_REGION=eu-central-1",
                "GITLAB_OIDC_AWS_ROLE_ARN=arn:aws:iam::111122223333:role/deploy",
            ])
        #expect(!plan.entries.contains { $0.0.hasPrefix("AWS_ACCESS_KEY") || $0.0 == "AWS_SECRET_ACCESS_KEY" })
    }

    @Test func namesTheSTSEndpointWhenTheMappingSetsOne() throws {
        let custom = try plan(mapping.replacingFirst("output", with: "sts_endpoint = \"http://127.0.0.1:9/\"\noutput"))
        #expect(custom.entries.contains { $0 == ("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9/") })
        let fips = try plan(
            mapping.replacingFirst("output", with: "sts_fips = true\noutput").replacingFirst("eu-central-1", with: "us-west-2"))
        #expect(fips.entries.contains { $0 == ("AWS_ENDPOINT_URL_STS", "https://sts-fips.us-west-2.amazonaws.com/") })
    }

    @Test func sessionPoliciesAreRefusedAndDurationWarned() throws {
        let text = mapping.replacingFirst(
            "region =", with: "session_policy = { Version = \"2012-10-17\" }\npolicy_arns = [\"arn:aws:iam::aws:policy/ReadOnlyAccess\"]\nduration = 900\nregion =")
        let error = try #require(throws: ConfigError.self) { try load(text) }
        #expect(error.errors.map(\.message).allSatisfy { $0.contains("web-identity") })
        #expect(error.errors.count == 2)
        #expect(error.diagnostics.contains { $0.severity == .warning && $0.message.contains("`duration`") })
    }

    @Test func aProfileNameOutsideProfileOutputIsWarned() throws {
        let loaded = try MappingLoader.parse(
            source: mapping.replacingFirst("region =", with: "profile = \"x\"\nregion ="), path: "m")
        #expect(loaded.warnings.contains { $0.message.contains("`profile` only applies") })
    }
}

@Suite("what a later hook run writes")
struct ReuseTests {
    let plan = OutputPlan(
        folder: "/f", files: [.init(path: "/f/t", contents: [1, 2]), .init(path: "/f/c", contents: [3])],
        entries: [("A", "1"), ("B", "2")])

    @Test func onlyFilesThatDiffer() {
        let current: [String: [UInt8]] = ["/f/t": [1, 2], "/f/c": [4]]
        #expect(plan.filesToWrite(current: { current[$0] }).map(\.path) == ["/f/c"])
        #expect(plan.filesToWrite(current: { _ in nil }).map(\.path) == ["/f/t", "/f/c"])
    }

    @Test func envFileIsCurrentWhenEveryValueIsThere() {
        #expect(plan.envFileIsCurrent(["A": "1", "B": "2", "OTHER": "x"]))
        #expect(!plan.envFileIsCurrent(["A": "1"]))
        #expect(!plan.envFileIsCurrent(["A": "1", "B": "3"]))
    }

    @Test func envCredentialsAreReusedWhileMoreThan15MinutesRemain() {
        let role = "arn:aws:iam::1:role/r"
        var entries = [
            "GITLAB_OIDC_AWS_ROLE_ARN": role, "AWS_ACCESS_KEY_ID": "ASIA", "AWS_SECRET_ACCESS_KEY": "s",
            "AWS_SESSION_TOKEN": "t", "AWS_CREDENTIAL_EXPIRATION": Timestamp.format(10_000 + 901),
        ]
        #expect(Hook.reusableExpiration(in: entries, role: role, now: 10_000) == 10_901)
        #expect(Hook.reusableExpiration(in: entries, role: role, now: 10_001) == nil)
        #expect(Hook.reusableExpiration(in: entries, role: "arn:aws:iam::1:role/other", now: 10_000) == nil)
        entries["AWS_SESSION_TOKEN"] = nil
        #expect(Hook.reusableExpiration(in: entries, role: role, now: 10_000) == nil)
    }
}

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

extension String {
    fileprivate func replacingFirst(_ target: String, with replacement: String) -> String {
        let parts = split(separator: target, maxSplits: 1, omittingEmptySubsequences: false)
        return parts.count == 2 ? parts[0] + replacement + parts[1] : self
    }
}

extension Mapping {
    fileprivate func with(_ change: (inout Mapping) -> Void) -> Mapping {
        var copy = self
        change(&copy)
        return copy
    }
}
