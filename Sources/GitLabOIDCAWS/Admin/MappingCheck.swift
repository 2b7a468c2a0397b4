/// The findings of `check` beyond what loading validates: conditions that can never hold
/// (values GitLab never sends, conditions that contradict each other), patterns written as
/// regular expressions, rules that an earlier rule always beats, rules that pick projects by
/// names that can change hands, rules that reach every project, rule names used twice,
/// regions AWS does not have yet, and roles outside the accounts the mapping allows.
///
/// Every finding is a warning that must be true: where a question cannot be decided, no
/// warning is given.
public enum MappingCheck {
    /// The loader's warnings and every analysis finding, ordered by line.
    public static func findings(_ loaded: LoadedMapping) -> [ConfigDiagnostic] {
        let mapping = loaded.mapping
        let rules = Array(mapping.rules)
        let found =
            loaded.warnings + conditionFindings(rules, mapping: mapping) + shadowedRules(rules, mapping: mapping)
            + mutableNames(rules, mapping: mapping) + instanceWideRules(rules, mapping: mapping)
            + duplicateNames(rules, loaded: loaded) + regionFindings(rules, loaded: loaded)
            + accountFindings(rules, mapping: mapping)
        return found.sortedByLine()
    }

    // MARK: Conditions that can never hold

    /// A warning for each pattern that matches no value GitLab sends for its claim (one per
    /// pattern: a pattern that looks like a regular expression is reported as that), and for
    /// each pair of conditions of a rule that no token can satisfy together.
    public static func conditionFindings(_ rules: [Rule], mapping: Mapping) -> [ConfigDiagnostic] {
        var result: [ConfigDiagnostic] = []
        for rule in rules {
            for condition in rule.conditions {
                for pattern in condition.patterns {
                    let written = "`\(condition.claim) = \(quoted(pattern.source))`"
                    if let hint = ClaimDomain.regularExpressionHint(pattern, claim: condition.claim) {
                        let instead = hint.suggestion.map { "; did you mean \(condition.claim) = \(quoted($0))?" } ?? ""
                        result.append(
                            warning(
                                mapping, condition.line,
                                "\(rule.label): \(written) looks like a regular expression, but patterns only know * (any run of characters except /) and ** (any run): \(hint.reason)\(instead)"
                            ))
                    } else if let reason = ClaimDomain.neverMatches(pattern, claim: condition.claim) {
                        let consequence =
                            condition.patterns.count == 1
                            ? "so this rule never matches" : "so this pattern of the list never matches"
                        result.append(
                            warning(mapping, condition.line, "\(rule.label): \(written) never matches: \(reason), \(consequence)"))
                    }
                }
            }
            result += contradictions(in: rule, mapping: mapping)
        }
        return result
    }

    /// Pairs of conditions of `rule` that no token satisfies together, through the facts that
    /// tie claims together (`ClaimDomain.implied`).
    static func contradictions(in rule: Rule, mapping: Mapping) -> [ConfigDiagnostic] {
        var result: [ConfigDiagnostic] = []
        // The later condition of each pair is the one reported; each claim is tested against the
        // conditions the others imply for it.
        for (claim, sources) in [
            ("ref_path", ["ref_type", "ref"]), ("namespace_path", ["project_path"]),
        ] {
            guard let condition = rule.condition(on: claim) else { continue }
            let others = sources.compactMap { rule.condition(on: $0) }
            guard !others.isEmpty, let implied = impliedIgnoring(claim, rule: rule) else { continue }
            let answer = PatternInclusion.check([condition.patterns, implied], in: [], pathShaped: true)
            guard answer == .included else { continue }
            let pair = ([condition] + others).sorted { $0.line < $1.line }
            let written = pair.map { "`\($0.written)`" }.joined(separator: " and ")
            let fact =
                claim == "ref_path"
                ? "a branch's ref_path is refs/heads/<ref>, a tag's refs/tags/<ref>"
                : "a project's path is its namespace's path, /, and its name"
            result.append(
                warning(
                    mapping, pair.last?.line ?? rule.line,
                    "\(rule.label): \(written) contradict each other (\(fact)), so no job matches this rule"))
        }
        return result
    }

    /// What the other conditions of `rule` imply for `claim`, ignoring its own condition on it.
    static func impliedIgnoring(_ claim: String, rule: Rule) -> [Pattern]? {
        let others = Rule(
            number: rule.number, line: rule.line, name: rule.name, conditions: rule.conditions.filter { $0.claim != claim },
            action: .skip)
        return ClaimDomain.implied(claim, by: others)
    }

    // MARK: Shadowing

    /// What `later` says about `claim`: its condition's patterns, or what its other conditions
    /// imply (see `ClaimDomain.implied`); nil when it says nothing.
    static func given(_ claim: String, by later: Rule) -> [Pattern]? {
        later.condition(on: claim)?.patterns ?? ClaimDomain.implied(claim, by: later)
    }

    /// Whether `earlier` matches every token that `later` matches, so that `later`, tried
    /// after it, can never win.
    ///
    /// Each condition of `earlier` must be implied by `later`: `later` restricts the same
    /// claim (itself, or through a claim tied to it: a project path names its namespace) to
    /// values `earlier` accepts, or the claim is one every token carries and `earlier`
    /// accepts all of its possible values.
    public static func covers(_ earlier: Rule, _ later: Rule) -> Bool {
        earlier.conditions.allSatisfy { wanted in
            var known: [[Pattern]] = []
            if let patterns = given(wanted.claim, by: later) {
                known.append(patterns)
            } else if !ClaimDomain.alwaysPresent.contains(wanted.claim) {
                return false
            }
            return ClaimDomain.inclusion(of: wanted.claim, given: known, in: wanted.patterns) == .included
        }
    }

    /// A warning for each rule that an earlier rule always beats. A rule that names a
    /// `profile` with output `profile` is never dead: every matching rule of that kind becomes
    /// a profile of the job, first match or not.
    ///
    /// Candidates are found through `ShadowIndex`, not by comparing every pair, so that large
    /// mappings are checked in about linear time.
    public static func shadowedRules(_ rules: [Rule], mapping: Mapping) -> [ConfigDiagnostic] {
        var result: [ConfigDiagnostic] = []
        var index = ShadowIndex()
        for (position, later) in rules.enumerated() {
            defer { index.add(later, at: position) }
            if let assumption = later.assumption, assumption.profile != nil,
                EffectiveSettings(assumption, of: later, mapping: mapping).output == .profile
            {
                continue
            }
            guard let earlier = index.candidates(for: later).lazy.map({ rules[$0] }).first(where: { covers($0, later) })
            else { continue }
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
    static func mutableNames(_ rules: [Rule], mapping: Mapping) -> [ConfigDiagnostic] {
        rules.compactMap { rule in
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
            let pieces = pattern.pieces
            guard pieces.count == 2, case let .literal(bytes) = pieces[0], bytes.last == UInt8(ascii: "/") else {
                return false
            }
            return pieces[1] == .segmentWildcard
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
    static func instanceWideRules(_ rules: [Rule], mapping: Mapping) -> [ConfigDiagnostic] {
        rules.compactMap { rule in
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

    // MARK: Names, regions, accounts

    /// A warning for each rule whose name an earlier rule already has.
    static func duplicateNames(_ rules: [Rule], loaded: LoadedMapping) -> [ConfigDiagnostic] {
        var first: [String: Rule] = [:]
        var result: [ConfigDiagnostic] = []
        for rule in rules {
            guard let name = rule.name else { continue }
            guard let earlier = first[name] else {
                first[name] = rule
                continue
            }
            result.append(
                warning(
                    loaded.mapping, loaded.line(ofKey: "name", inRule: rule.number) ?? rule.line,
                    "rule \(rule.number): the name \"\(name)\" is also the name of rule \(earlier.number) (line \(earlier.line)); logs and explain could not tell them apart"
                ))
        }
        return result
    }

    /// A warning for each region that AWS did not have when this version was made: new
    /// regions work, but a typo such as `eu-west-4` would fail every job of the rule.
    static func regionFindings(_ rules: [Rule], loaded: LoadedMapping) -> [ConfigDiagnostic] {
        let mapping = loaded.mapping
        var found: [(line: Int, region: String)] = []
        if !AWSRegion.isKnown(mapping.region) {
            found.append((loaded.line(ofSetting: "region") ?? 1, mapping.region))
        }
        for rule in rules {
            guard let region = rule.assumption?.region, !AWSRegion.isKnown(region) else { continue }
            found.append((loaded.line(ofKey: "region", inRule: rule.number) ?? rule.line, region))
        }
        return found.map { line, region in
            var message =
                "region \"\(region)\" is not one of the regions AWS had when this version was made; if it is new, ignore this warning, else correct it"
            if let suggestion = Suggestion.closest(to: region, among: AWSRegion.known) {
                message += " (did you mean \"\(suggestion)\"?)"
            }
            return warning(mapping, line, message)
        }
    }

    /// A warning for each rule whose roles can never be handed out because their account is
    /// not in the rule's `allowed_account_ids` (or the top-level list): every job it matches
    /// fails.
    static func accountFindings(_ rules: [Rule], mapping: Mapping) -> [ConfigDiagnostic] {
        rules.compactMap { rule in
            guard let assumption = rule.assumption,
                let allowed = EffectiveSettings(assumption, of: rule, mapping: mapping).allowedAccounts,
                !allowed.allows(account: assumption.finalRole.account)
            else { return nil }
            return warning(
                mapping, rule.line,
                "\(rule.label) assumes \(assumption.finalRole) in account \(assumption.finalRole.account), which \(allowed.setting) does not list, so every job it matches fails"
            )
        }
    }

    static func warning(_ mapping: Mapping, _ line: Int, _ message: String) -> ConfigDiagnostic {
        ConfigDiagnostic(file: mapping.path, line: line, severity: .warning, message: message)
    }
}

/// The earlier rules that may cover a later one, found without comparing every pair.
///
/// A rule is indexed under one condition whose patterns all begin (or all end) with literal
/// text, the longest such text winning, on a claim whose values can begin and end with
/// anything. Such a rule can only cover a later rule whose values for that claim (its own
/// condition's, or the ones its other conditions imply) all begin (end) with one of those
/// texts: so the candidates for a later rule are the rules indexed under a prefix (suffix) of
/// its first pattern's literal text, plus the few rules that could not be indexed
/// (catch-alls such as `project_path = "**"`). Candidates are then checked exactly
/// (`MappingCheck.covers`).
struct ShadowIndex {
    /// Whether a rule is indexed by the start or the end of its patterns.
    enum End: Character {
        case start = "<"
        case end = ">"
    }

    /// `claim`, the end, then the literal text -> positions of the rules indexed under it,
    /// ascending.
    private var byText: [String: [Int]] = [:]
    /// The claims rules are indexed under, and by which end.
    private var claims: Set<String> = []
    /// Positions of the rules without an indexable condition, ascending.
    private var unindexed: [Int] = []

    static func key(_ claim: String, _ end: End, _ text: some Collection<UInt8>) -> String {
        claim + String(end.rawValue) + String(decoding: Array(text), as: UTF8.self)
    }

    /// The literal text at one end of `pattern`: before its first or after its last `*`.
    static func literal(_ pattern: Pattern, _ end: End) -> [UInt8] {
        let bytes = Array(pattern.source.utf8)
        switch end {
        case .start: return Array(bytes.prefix { $0 != Pattern.star })
        case .end: return Array(bytes.reversed().prefix { $0 != Pattern.star }.reversed())
        }
    }

    mutating func add(_ rule: Rule, at position: Int) {
        var best: (condition: Condition, end: End, length: Int)?
        for condition in rule.conditions where ClaimDomain.enumerated[condition.claim] == nil {
            for end in [End.start, .end] {
                let shortest = condition.patterns.map { Self.literal($0, end).count }.min() ?? 0
                if shortest > 0, shortest > (best?.length ?? 0) { best = (condition, end, shortest) }
            }
        }
        guard let (condition, end, _) = best else {
            unindexed.append(position)
            return
        }
        claims.insert(Self.key(condition.claim, end, []))
        for pattern in condition.patterns {
            let key = Self.key(condition.claim, end, Self.literal(pattern, end))
            if byText[key]?.last != position { byText[key, default: []].append(position) }
        }
    }

    /// The positions of earlier rules that may cover `rule`, ascending.
    func candidates(for rule: Rule) -> [Int] {
        var found = Set(unindexed)
        for indexed in claims {
            let end = End(rawValue: indexed.last!)!
            let claim = String(indexed.dropLast())
            guard let patterns = MappingCheck.given(claim, by: rule), let first = patterns.first else { continue }
            // Every value must begin (end) with an indexed text; the first pattern's literal
            // text bounds which texts can do for all of them.
            let text = Self.literal(first, end)
            for length in 0..<text.count {
                let part = end == .start ? text[...length] : text[(text.count - 1 - length)...]
                if let positions = byText[Self.key(claim, end, part)] { found.formUnion(positions) }
            }
        }
        return found.sorted()
    }
}
