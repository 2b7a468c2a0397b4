/// The findings of `check` beyond what loading validates: rules that can never match, rules
/// that pick projects by names that can change hands, rules that reach every project, and
/// rule names used twice.
///
/// Every finding is a warning that must be true: where a question cannot be decided, no
/// warning is given.
public enum MappingCheck {
    /// The loader's warnings and every analysis finding, ordered by line.
    public static func findings(_ loaded: LoadedMapping) -> [ConfigDiagnostic] {
        let mapping = loaded.mapping
        let found =
            loaded.warnings + shadowedRules(mapping) + mutableNames(mapping) + instanceWideRules(mapping)
            + duplicateNames(loaded)
        return found.sortedByLine()
    }

    // MARK: Shadowing

    /// Whether `earlier` matches every token that `later` matches, so that `later`, tried
    /// after it, can never win.
    ///
    /// Each condition of `earlier` must be implied by `later`: `later` restricts the same
    /// claim to values `earlier` accepts, or the claim is one every token carries and
    /// `earlier` accepts all of its possible values.
    public static func covers(_ earlier: Rule, _ later: Rule) -> Bool {
        earlier.conditions.allSatisfy { wanted in
            var given: [[Pattern]] = []
            if let condition = later.condition(on: wanted.claim) {
                given.append(condition.patterns)
            } else if !ClaimDomain.alwaysPresent.contains(wanted.claim) {
                return false
            }
            return ClaimDomain.inclusion(of: wanted.claim, given: given, in: wanted.patterns) == .included
        }
    }

    /// A warning for each rule that an earlier rule always beats. A rule that names a
    /// `profile` with output `profile` is never dead: every matching rule of that kind becomes
    /// a profile of the job, first match or not.
    static func shadowedRules(_ mapping: Mapping) -> [ConfigDiagnostic] {
        var result: [ConfigDiagnostic] = []
        for (index, later) in mapping.rules.enumerated() {
            if let assumption = later.assumption, assumption.profile != nil,
                EffectiveSettings(assumption, of: later, mapping: mapping).output == .profile
            {
                continue
            }
            guard let earlier = mapping.rules[..<index].first(where: { covers($0, later) }) else { continue }
            let consequence: String
            switch (earlier.action, later.action) {
            case (.skip, .skip):
                consequence = "it is redundant (both skip); remove it"
            case (_, .skip):
                consequence = "its skip never applies; move it above \(earlier.label) or narrow \(earlier.label)"
            case let (_, .assume(assumption)) where earlier.role == assumption.role:
                consequence = "it is redundant (both assume \(assumption.role.name)); remove it"
            case let (_, .assume(assumption)):
                consequence =
                    "its role \(assumption.role.name) is never assumed through it; move it above \(earlier.label) or narrow \(earlier.label)"
            }
            result.append(
                warning(
                    mapping, later.line,
                    "\(later.label) can never match: \(earlier.reference) comes first and matches every token it matches; \(consequence)"
                ))
        }
        return result
    }

    // MARK: Mutable names

    /// A warning for each rule that picks projects only by `project_path` / `namespace_path`
    /// where ids could say the same: exact project paths (`project_id`), exact namespace paths
    /// or every project directly in one (`<namespace>/*`: `namespace_id`). Paths with other
    /// wildcards (`platform/**`) have no id equivalent and get no warning.
    static func mutableNames(_ mapping: Mapping) -> [ConfigDiagnostic] {
        mapping.rules.compactMap { rule in
            // A skip rule hands out nothing, so a path that changes hands gains nothing through it.
            guard let role = rule.role,
                !rule.conditions.contains(where: { ClaimDomain.immutableProjectClaims.contains($0.claim) })
            else {
                return nil
            }
            let byName = rule.conditions.compactMap { condition in
                idAlternative(condition).map { (condition, $0) }
            }
            guard let (first, _) = byName.first else { return nil }
            let names = byName.map { "`\($0.0.written)`" }.joined(separator: " and ")
            var ids: [String] = []
            for (_, alternative) in byName where !ids.contains(alternative) { ids.append(alternative) }
            return warning(
                mapping, first.line,
                "\(rule.label) picks projects by path only (\(names)); after a rename or transfer another project can take the path and get \(role.name). Ids never change hands: add \(ids.map { "\($0) = <id>" }.joined(separator: " or ")) to the match"
            )
        }
    }

    /// The id claim that could replace a path condition, when one can.
    static func idAlternative(_ condition: Condition) -> String? {
        func directChildren(_ pattern: Pattern) -> Bool {
            guard pattern.pieces.count == 2, case let .literal(bytes) = pattern.pieces[0], bytes.last == UInt8(ascii: "/")
            else { return false }
            return pattern.pieces[1] == .segmentWildcard
        }
        switch condition.claim {
        case "project_path" where condition.patterns.allSatisfy(\.isLiteral):
            return "project_id"
        case "project_path" where condition.patterns.allSatisfy({ $0.isLiteral || directChildren($0) }):
            return condition.patterns.allSatisfy(directChildren) ? "namespace_id" : "project_id or namespace_id"
        case "namespace_path" where condition.patterns.allSatisfy(\.isLiteral):
            return "namespace_id"
        default:
            return nil
        }
    }

    // MARK: Instance-wide rules

    /// Which projects a rule can apply to.
    public enum ProjectScope: Equatable {
        /// Some condition narrows the projects.
        case narrowed
        /// Every project of the instance; the conditions on project claims (possibly none)
        /// all accept every value.
        case everyProject(broadConditions: [Condition])
    }

    /// Whether a rule narrows which projects it applies to.
    public static func projectScope(of rule: Rule) -> ProjectScope {
        // A `sub` condition names the project too; unless it accepts everything, it narrows.
        if let sub = rule.condition(on: "sub"), !PatternInclusion.isIncluded([], in: sub.patterns) {
            return .narrowed
        }
        let projectConditions = rule.conditions.filter { ClaimDomain.projectClaims.contains($0.claim) }
        if projectConditions.contains(where: { !ClaimDomain.coversEveryValue(of: $0.claim, $0.patterns) }) {
            return .narrowed
        }
        return .everyProject(broadConditions: projectConditions)
    }

    /// A warning for each rule that every project of the instance can match.
    static func instanceWideRules(_ mapping: Mapping) -> [ConfigDiagnostic] {
        mapping.rules.compactMap { rule in
            // A skip rule for every project ("merge-request pipelines get nothing") is the point.
            guard let role = rule.role, case let .everyProject(broad) = projectScope(of: rule) else { return nil }
            let why =
                broad.isEmpty
                ? "nothing in its match narrows project_path, project_id, namespace_path or namespace_id"
                : broad.map { "`\($0.written)` accepts every project" }.joined(separator: " and ")
            return warning(
                mapping, broad.first?.line ?? rule.line,
                "\(rule.label) matches jobs of every project on the instance (\(why)); if only some projects should get \(role.name), add project_id, namespace_id or project_path"
            )
        }
    }

    // MARK: Duplicate names

    /// A warning for each rule whose name an earlier rule already has.
    static func duplicateNames(_ loaded: LoadedMapping) -> [ConfigDiagnostic] {
        let mapping = loaded.mapping
        var result: [ConfigDiagnostic] = []
        for (index, rule) in mapping.rules.enumerated() {
            guard let name = rule.name,
                let first = mapping.rules[..<index].first(where: { $0.name == name })
            else { continue }
            result.append(
                warning(
                    mapping, loaded.line(ofKey: "name", inRule: rule.number) ?? rule.line,
                    "rule \(rule.number): the name \"\(name)\" is also the name of rule \(first.number) (line \(first.line)); logs and explain could not tell them apart"
                ))
        }
        return result
    }

    static func warning(_ mapping: Mapping, _ line: Int, _ message: String) -> ConfigDiagnostic {
        ConfigDiagnostic(file: mapping.path, line: line, severity: .warning, message: message)
    }
}
