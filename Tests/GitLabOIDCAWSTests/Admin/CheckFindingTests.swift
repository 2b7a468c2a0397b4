import GitLabOIDCAWSTestSupport
import Testing

@testable import GitLabOIDCAWS

/// `check`'s findings about conditions that can never hold, each on the line of the culprit.
@Suite struct NeverMatchingConditionTests {
    /// The findings for one rule with `match`, each as (line, message).
    func findings(_ match: String, settings: String = "") throws -> [(line: Int, message: String)] {
        let loaded = try MappingFixtures.load(MappingFixtures.rule(match + ", project_id = 1"), settings: settings)
        return MappingCheck.findings(loaded).map { ($0.line, $0.message) }
    }

    @Test(arguments: [
        (#"ref_protected = "yes""#, #"GitLab sends ref_protected "true" or "false", never "yes""#),
        (#"ref_type = "branches""#, #"never "branches" (did you mean "branch"?)"#),
        (#"ref = "refs/heads/main""#, #"(write ref = "main", or ref_path = "refs/heads/main" for the full name)"#),
        (#"namespace_id = "platform""#, "namespace_id is a number"),
        (#"project_path = "platform""#, #"a project path always has a / (group/project)"#),
        (#"namespace_path = "platform/""#, "a GitLab path never starts or ends with /"),
        (#"project_path = "my group/app""#, "a GitLab path never contains a space"),
        (#"ref_path = "main""#, "refs/heads/<branch> or refs/tags/<tag>"),
        (#"ref = "feature branch""#, "Git refuses a space in branch and tag names"),
        (#"ref = "a..b""#, "Git refuses .. and @{"),
        (#"sha = "main""#, "lowercase hexadecimal and never contains `m`"),
        (#"environment_protected = "yes""#, "environment_protected"),
        (#"project_visibility = "secret""#, #""public" or "internal" or "private""#),
    ])
    func aValueGitLabNeverSendsIsAWarning(match: String, reason: String) throws {
        let found = try findings(match)
        let finding = try #require(found.first { $0.message.contains("never matches") }, "\(found)")
        #expect(finding.line == 5)
        #expect(finding.message.contains(reason), "\(finding.message)")
        #expect(finding.message.hasSuffix("so this rule never matches"))
    }

    @Test func theProjectIdOfAPathIsCalledOut() throws {
        let found = try MappingCheck.findings(MappingFixtures.load(MappingFixtures.rule(#"project_id = "platform/infra""#)))
        #expect(found.contains { $0.message.contains("(to match the project by its path, use project_path)") })
    }

    @Test(arguments: [
        #"ref_protected = true"#, #"ref_type = ["branch", "tag"]"#, #"ref = ["main", "v*", "release/**"]"#,
        #"namespace_id = "4*""#, #"project_path = "platform/infra""#, #"project_path = "**""#,
        #"namespace_path = ["platform", "platform/**"]"#, #"ref_path = "refs/tags/v*""#, #"sha = "0123abc*""#,
        #"environment = "review/*""#, #"pipeline_source = "merge_request_event""#, #"deployment_tier = "production""#,
    ])
    func valuesGitLabSendsAreNot(match: String) throws {
        let found = try findings(match)
        #expect(found.isEmpty, "\(found)")
    }

    @Test func onePatternOfAListIsReportedAsThat() throws {
        let found = try findings(#"ref_type = ["branch", "tags"]"#)
        #expect(found.count == 1)
        #expect(found[0].message.hasSuffix("so this pattern of the list never matches"))
    }

    @Test(arguments: [
        (#"ref = "v[0-9]*""#, "brackets are literal", #"did you mean ref = "v*"?"#),
        (#"ref = "v.*""#, "`.` is a literal dot", #"did you mean ref = "v*"?"#),
        (#"ref = "^main$""#, "`^` and `$` are literal", #"did you mean ref = "main"?"#),
        (#"ref = "release-\\d+""#, "backslashes are literal", #"did you mean ref = "release-*"?"#),
        (#"environment = "(staging|production)""#, "give a list of patterns instead", ""),
        (#"ref = "v1.?""#, "`?` is literal", #"did you mean ref = "v1.*"?"#),
    ])
    func aRegularExpressionIsAWarningWithTheMeantPattern(match: String, reason: String, suggestion: String) throws {
        let found = try findings(match)
        #expect(found.count == 1, "\(found)")
        #expect(found.first?.line == 5)
        #expect(found.first?.message.contains("looks like a regular expression") == true)
        #expect(found.first?.message.contains(reason) == true, "\(found)")
        let message = found.first?.message ?? ""
        #expect(suggestion.isEmpty ? !message.contains("did you mean") : message.contains(suggestion), "\(found)")
    }

    @Test func conditionsThatContradictEachOtherAreAWarningOnTheLaterOne() throws {
        let loaded = try MappingFixtures.load(
            """
            [[rule]]
            role = "arn:aws:iam::111122223333:role/r"
            [rule.match]
            project_id = 1
            ref_type = "branch"
            ref_path = "refs/tags/*"

            [[rule]]
            role = "arn:aws:iam::111122223333:role/r"
            [rule.match]
            project_id = 2
            ref_path = "refs/heads/main"
            ref = "dev"

            [[rule]]
            role = "arn:aws:iam::111122223333:role/r"
            [rule.match]
            project_id = 3
            namespace_path = "platform"
            project_path = "apps/web"
            """)
        let found = MappingCheck.findings(loaded).filter { $0.message.contains("contradict") }
        #expect(found.map(\.line) == [8, 15, 22])
        #expect(found[0].message.contains(#"`ref_type = "branch"` and `ref_path = "refs/tags/*"` contradict each other"#))
        #expect(found[0].message.hasSuffix("so no job matches this rule"))
        #expect(found[2].message.contains("a project's path is its namespace's path, /, and its name"))
    }

    @Test func conditionsThatAgreeAreNot() throws {
        for match in [
            #"ref_type = "tag", ref_path = "refs/tags/v*""#, #"ref = "main", ref_path = "refs/heads/main""#,
            #"namespace_path = "platform", project_path = "platform/*""#,
            #"namespace_path = ["platform", "platform/**"], project_path = "platform/team/app""#,
        ] {
            let found = try findings(match).filter { $0.message.contains("contradict") }
            #expect(found.isEmpty, "\(match): \(found)")
        }
    }
}

/// Rules that an earlier rule always beats, found through the index as the pairwise
/// comparison would find them.
@Suite struct GroupShadowingTests {
    func shadowed(_ rules: String) throws -> [String] {
        MappingCheck.findings(try MappingFixtures.load(rules)).map(\.message).filter { $0.contains("can never match") }
    }

    @Test func aGroupRuleShadowsTheProjectRulesInIt() throws {
        let group = MappingFixtures.rule(#"namespace_path = ["platform", "platform/**"]"#, role: "group", name: "group")
        let found = try shadowed(group + MappingFixtures.rule(#"project_path = "platform/infra""#, name: "infra"))
        #expect(found.count == 1)
        #expect(found.first?.hasPrefix(#"rule 2 "infra" can never match: rule 1 "group" (line 3) comes first"#) == true)
        #expect(try shadowed(group + MappingFixtures.rule(#"project_path = "platform/team/*""#)).count == 1)
        let projects = MappingFixtures.rule(#"project_path = "platform/**""#, role: "group")
        #expect(try shadowed(projects + MappingFixtures.rule(#"project_path = "platform/infra", ref = "main""#)).count == 1)
    }

    @Test func subgroupsOnlyShadowTheirOwnProjects() throws {
        let subgroups = MappingFixtures.rule(#"namespace_path = "platform/**""#, role: "group")
        // platform/infra's namespace is platform, which platform/** does not match.
        #expect(try shadowed(subgroups + MappingFixtures.rule(#"project_path = "platform/infra""#)).isEmpty)
        #expect(try shadowed(subgroups + MappingFixtures.rule(#"project_path = "platform/team/infra""#)).count == 1)
        #expect(try shadowed(subgroups + MappingFixtures.rule(#"project_path = "apps/web""#)).isEmpty)
    }

    @Test func aProjectRuleShadowsItsNamespaceOnlyWhenItCoversIt() throws {
        let direct = MappingFixtures.rule(#"project_path = "platform/*""#, role: "group")
        #expect(try shadowed(direct + MappingFixtures.rule(#"namespace_path = "platform""#)).count == 1)
        #expect(try shadowed(direct + MappingFixtures.rule(#"namespace_path = "platform/team""#)).isEmpty)
    }

    @Test func refPathsAndRefsCoverEachOther() throws {
        let byPath = MappingFixtures.rule(#"project_id = 5, ref_path = "refs/heads/main""#, role: "a")
        #expect(try shadowed(byPath + MappingFixtures.rule(#"project_id = 5, ref = "main", ref_type = "branch""#)).count == 1)
        #expect(try shadowed(byPath + MappingFixtures.rule(#"project_id = 5, ref = "main""#)).isEmpty)
        let byName = MappingFixtures.rule(#"project_id = 5, ref = "v*""#, role: "a")
        #expect(try shadowed(byName + MappingFixtures.rule(#"project_id = 5, ref_path = "refs/tags/v1""#)).count == 1)
    }

    /// The index finds exactly the shadowed rules that comparing every pair finds, on random
    /// mappings.
    @Test func theIndexAgreesWithComparingEveryPair() throws {
        var generator = SeededGenerator(state: 13)
        let projects = ["platform/infra", "platform/*", "platform/**", "apps/web", "apps/*", "**", "*/web"]
        let namespaces = ["platform", "platform/**", "apps", "platform/team"]
        let refs = ["main", "v*", "release/*", "**"]
        for _ in 0..<40 {
            var text = ""
            for number in 0..<12 {
                var conditions: [String] = []
                if Bool.random(using: &generator) {
                    conditions.append("project_path = \(quoted(projects.randomElement(using: &generator)!))")
                }
                if Bool.random(using: &generator) {
                    conditions.append("namespace_path = \(quoted(namespaces.randomElement(using: &generator)!))")
                }
                if Bool.random(using: &generator) { conditions.append("ref = \(quoted(refs.randomElement(using: &generator)!))") }
                if Int.random(in: 0..<4, using: &generator) == 0 { conditions.append("ref_path = \"refs/heads/main\"") }
                if Int.random(in: 0..<4, using: &generator) == 0 { conditions.append("ref_protected = true") }
                if Int.random(in: 0..<5, using: &generator) == 0 {
                    conditions.append("project_id = \(Int.random(in: 1...3, using: &generator))")
                }
                if conditions.isEmpty { conditions.append("ref_type = \"tag\"") }
                text += MappingFixtures.rule(conditions.joined(separator: ", "), role: "r\(number)")
            }
            let loaded = try MappingFixtures.load(text)
            let rules = Array(loaded.mapping.rules)
            let indexed = MappingCheck.shadowedRules(rules, mapping: loaded.mapping).map(\.line)
            let pairwise = rules.enumerated().compactMap { position, later in
                rules[..<position].contains { MappingCheck.covers($0, later) } ? later.line : nil
            }
            #expect(indexed == pairwise, "\(text)")
        }
    }
}

@Suite struct SettingFindingTests {
    @Test func regionsAWSDoesNotHaveYetAreAWarning() throws {
        let loaded = try MappingFixtures.load(
            MappingFixtures.rule("project_id = 1") + "region = \"eu-west-4\"\n", settings: "region = \"ap-southeast-9\"")
        let found = MappingCheck.findings(loaded).filter { $0.message.contains("regions AWS had") }
        #expect(found.map(\.line) == [2, 6])
        #expect(found[1].message.contains("(did you mean \"eu-west-1\"?)"))
    }

    @Test func aRoleOutsideTheAllowedAccountsIsAWarning() throws {
        let loaded = try MappingFixtures.load(
            MappingFixtures.rule("project_id = 1") + MappingFixtures.rule("project_id = 2", role: "other"),
            settings: "allowed_account_ids = [\"444455556666\"]")
        let found = MappingCheck.findings(loaded).filter { $0.message.contains("does not list") }
        #expect(found.count == 2)
        #expect(found[0].message.contains("in account 111122223333, which allowed_account_ids does not list, so every job it matches fails"))
    }

    @Test func caFileProblemsAndALeftoverCompiledFileAreWarnings() throws {
        let directory = TemporaryDirectory()
        let mappingPath = directory.write("m.toml", "")
        func findings(_ settings: String) throws -> [ConfigDiagnostic] {
            var loaded = try MappingFixtures.load(MappingFixtures.rule("project_id = 1"), settings: settings)
            var mapping = loaded.mapping
            mapping.path = mappingPath
            loaded = LoadedMapping(mapping: mapping, warnings: [], document: loaded.document)
            return MappingFiles.findings(loaded)
        }
        #expect(try findings("ca_file = \"\(directory.path)/absent.pem\"").map(\.line) == [2])
        let notPEM = directory.write("ca.txt", "hello\n")
        #expect(try findings("ca_file = \"\(notPEM)\"").first?.message.contains("holds no PEM certificate") == true)
        let pem = directory.write("ca.pem", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
        #expect(try findings("ca_file = \"\(pem)\"").isEmpty)
        directory.write("m.toml.compiled", "old")
        let leftover = try findings("")
        #expect(leftover.count == 1 && leftover[0].line == 0)
        #expect(leftover[0].description.hasPrefix("\(mappingPath): warning: \(mappingPath).compiled is left over"))
    }
}
