import GitLabOIDCAWSTestSupport
import Testing

@testable import GitLabOIDCAWS

@Suite struct AdminCheckTests {
    func messages(_ rules: String) throws -> [String] {
        MappingCheck.findings(try MappingFixtures.load(rules)).map(\.message)
    }

    @Test func aCarefulMappingHasNoFindings() throws {
        let found = try messages(
            MappingFixtures.rule(#"project_id = 42, project_path = "platform/infra", ref = "main""#, name: "infra")
                + MappingFixtures.rule(#"namespace_id = 7, namespace_path = "platform""#, role: "read", name: "read"))
        #expect(found.isEmpty, "\(found)")
    }

    @Test func pathsWithoutIdsAreWarnedAbout() throws {
        let byProject = try messages(MappingFixtures.rule(#"project_path = "g/p""#))
        #expect(byProject.count == 1)
        #expect(byProject[0].contains(#"by path only (`project_path = "g/p"`)"#) && byProject[0].contains("add project_id = <id>"))

        let byNamespace = try messages(MappingFixtures.rule(#"namespace_path = ["g", "h"]"#))
        #expect(byNamespace.count == 1)
        #expect(byNamespace[0].contains("add namespace_id = <id>"))

        let directChildren = try messages(MappingFixtures.rule(#"project_path = "g/*""#))
        #expect(directChildren.count == 1 && directChildren[0].contains("add namespace_id = <id>"))

        #expect(try messages(MappingFixtures.rule(#"project_path = "g/p", namespace_id = 3"#)).isEmpty)
        #expect(try messages(MappingFixtures.rule(#"project_path = "g/p", project_id = 3"#)).isEmpty)
    }

    @Test func pathsNoIdCanReplaceAreNotWarnedAbout() throws {
        for match in [
            #"namespace_path = ["platform", "platform/**"]"#, #"project_path = "g/**""#, #"project_path = "g/app-*""#,
            #"project_path = ["g/p", "h/**"]"#,
        ] {
            #expect(try messages(MappingFixtures.rule(match)).isEmpty, "\(match)")
        }
    }

    @Test func idAlternatives() throws {
        func alternative(_ match: String) throws -> String? {
            MappingCheck.idAlternative(try MappingFixtures.parsedRule(match).conditions[0])
        }
        #expect(try alternative(#"project_path = ["g/p", "h/q"]"#) == "project_id")
        #expect(try alternative(#"project_path = ["g/*", "h/*"]"#) == "namespace_id")
        #expect(try alternative(#"project_path = ["g/p", "h/*"]"#) == "project_id or namespace_id")
        #expect(try alternative(#"project_path = "g/*/p""#) == nil)
        #expect(try alternative(#"namespace_path = "g/sub""#) == "namespace_id")
        #expect(try alternative(#"namespace_path = "g/*""#) == nil)
        #expect(try alternative(#"ref = "main""#) == nil)
    }

    @Test func theMutableNameWarningPointsAtTheCondition() throws {
        let loaded = try MappingFixtures.load(
            """
            [[rule]]
            role = "arn:aws:iam::111122223333:role/r"
            [rule.match]
            ref = "main"
            project_path = "g/p"
            """)
        let finding = try #require(MappingCheck.findings(loaded).first)
        #expect(finding.line == loaded.mapping.rules[0].condition(on: "project_path")!.line)
        #expect(finding.description.hasPrefix("mapping.toml:\(finding.line): warning: rule 1 (line "))
    }

    @Test func rulesForEveryProjectAreWarnedAbout() throws {
        for match in [
            #"ref = "main""#, #"project_path = "**""#, #"project_path = "*/**""#, #"project_id = "*""#,
            #"namespace_path = "**", ref_protected = true"#, #"user_login = "deploy-bot""#,
        ] {
            let found = try messages(MappingFixtures.rule(match))
            #expect(found.contains { $0.contains("every project on the instance") }, "\(match): \(found)")
            #expect(!found.contains { $0.contains("by path only") }, "\(match): \(found)")
        }
    }

    @Test func rulesThatNameProjectsAreNotInstanceWide() throws {
        for match in [
            #"project_path = "g/*""#, #"project_id = "4*""#, #"namespace_path = "g/**""#,
            #"sub = "project_path:g/p:ref_type:branch:ref:main""#,
            // No project path lacks a slash: "*" accepts none, which is not "every project".
            #"project_path = "*""#,
        ] {
            #expect(try !messages(MappingFixtures.rule(match)).contains { $0.contains("every project") }, "\(match)")
        }
    }

    @Test func duplicateNamesAreWarnedAboutAtTheSecondName() throws {
        let loaded = try MappingFixtures.load(
            MappingFixtures.rule(#"project_id = 1"#, name: "deploy") + MappingFixtures.rule(#"project_id = 2"#, role: "b", name: "deploy"))
        let duplicate = try #require(MappingCheck.findings(loaded).first { $0.message.contains("also the name") })
        #expect(duplicate.line == loaded.line(ofKey: "name", inRule: 2))
        #expect(duplicate.message.contains("rule 1 (line \(loaded.mapping.rules[0].line))"))
    }

    @Test func findingsIncludeTheLoaderWarningsInLineOrder() throws {
        let loaded = try MappingFixtures.load(
            MappingFixtures.rule(#"project_path = "**""#) + MappingFixtures.rule(#"project_id = 1, job_stage = "deploy""#))
        let findings = MappingCheck.findings(loaded)
        #expect(findings.map(\.line) == findings.map(\.line).sorted())
        #expect(findings.contains { $0.message.contains("`match.job_stage` is not a claim") })
        #expect(findings.contains { $0.message.contains("can never match") })
        #expect(findings.allSatisfy { $0.severity == .warning && $0.file == "mapping.toml" })
    }

    @Test func projectScopeNamesTheBroadConditions() throws {
        #expect(MappingCheck.projectScope(of: try MappingFixtures.parsedRule(#"project_path = "g/p""#)) == .narrowed)
        guard case let .everyProject(broad) = MappingCheck.projectScope(of: try MappingFixtures.parsedRule(#"project_path = "**", ref = "x""#))
        else {
            Issue.record("expected every project")
            return
        }
        #expect(broad.map(\.claim) == ["project_path"])
    }
}
