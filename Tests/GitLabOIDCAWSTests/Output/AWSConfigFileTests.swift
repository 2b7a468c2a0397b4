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
}

extension String {
    fileprivate func replacingFirst(_ target: String, with replacement: String) -> String {
        let parts = split(separator: target, maxSplits: 1, omittingEmptySubsequences: false)
        return parts.count == 2 ? parts[0] + replacement + parts[1] : self
    }
}
