/// What is known for certain about the values GitLab puts in its ID token claims, used by
/// the mapping analyses so that they never report something that cannot happen.
///
/// Every fact here must hold for every token GitLab issues: the analyses turn them into
/// warnings, and a wrong fact would make a false warning.
public enum ClaimDomain {
    /// Claims every CI/CD ID token carries. A rule that conditions one of these claims on a
    /// pattern accepting every value of the claim tests nothing.
    public static let alwaysPresent: Set<String> = [
        "iss", "sub", "jti", "namespace_id", "namespace_path", "project_id", "project_path", "pipeline_id",
        "pipeline_source", "job_id", "ref", "ref_type", "ref_protected", "sha",
    ]

    /// The claims that say which project a job belongs to.
    public static let projectClaims = ["project_path", "project_id", "namespace_path", "namespace_id"]

    /// The claims that name a project by a path, which can change hands on a rename or transfer.
    public static let mutableProjectClaims: Set<String> = ["project_path", "namespace_path"]

    /// The claims that name a project by its immutable id.
    public static let immutableProjectClaims: Set<String> = ["project_id", "namespace_id"]

    /// Patterns accepting at least every value GitLab can send in `claim` (a superset, so
    /// that "covers the domain" is never claimed wrongly): a project path always has a `/`,
    /// ids are decimal numbers, `ref_type` is `branch` or `tag`, booleans are `true`/`false`.
    public static func superset(of claim: String) -> [Pattern] {
        switch claim {
        case "project_path": return [Pattern("*/**")]
        case "project_id", "namespace_id", "pipeline_id", "job_id": return [Pattern("*")]
        case "ref_type": return [Pattern("branch"), Pattern("tag")]
        case "ref_protected": return [Pattern("true"), Pattern("false")]
        default: return [Pattern("**")]
        }
    }

    /// Claims whose values are non-empty segments separated by single `/`s: project and
    /// namespace paths, and Git ref names (Git refuses empty components and `//`).
    public static let pathShaped: Set<String> = ["project_path", "namespace_path", "ref"]

    /// Whether every value GitLab can send in `claim` that `given` also accepts (all of
    /// them when `given` is nil) is accepted by `wanted`; `.notIncluded` carries an example.
    public static func inclusion(of claim: String, given: [[Pattern]] = [], in wanted: [Pattern]) -> PatternInclusion.Answer {
        PatternInclusion.check(given + [superset(of: claim)], in: wanted, pathShaped: pathShaped.contains(claim))
    }

    /// True when `patterns` accept every value GitLab can send in `claim`.
    public static func coversEveryValue(of claim: String, _ patterns: [Pattern]) -> Bool {
        inclusion(of: claim, in: patterns) == .included
    }
    // MARK: Values GitLab sends

    /// The claims whose values are one of a few words.
    public static let enumerated: [String: [String]] = [
        "ref_type": ["branch", "tag"], "ref_protected": ["true", "false"], "environment_protected": ["true", "false"],
        "project_visibility": ["public", "internal", "private"], "runner_environment": ["gitlab-hosted", "self-hosted"],
        "deployment_tier": ["production", "staging", "testing", "development", "other"],
    ]

    /// The claims whose values are decimal numbers.
    public static let decimal: Set<String> = ["project_id", "namespace_id", "pipeline_id", "job_id", "user_id", "runner_id"]

    /// Why GitLab never sends a value of `claim` that `pattern` matches; nil when it may, or
    /// when nothing is known about the claim. Each reason is a fact about every GitLab token.
    public static func neverMatches(_ pattern: Pattern, claim: String) -> String? {
        let source = pattern.source
        if let values = enumerated[claim] {
            guard !values.contains(where: pattern.matches) else { return nil }
            var reason = "GitLab sends \(claim) \(values.map(quoted).joined(separator: " or ")), never \(quoted(source))"
            if let suggestion = Suggestion.closest(to: source, among: values) { reason += " (did you mean \(quoted(suggestion))?)" }
            return reason
        }
        if decimal.contains(claim) {
            let digitsOnly = pattern.pieces.allSatisfy { piece in
                guard case let .literal(bytes) = piece else { return true }
                return bytes.allSatisfy { $0 >= 48 && $0 <= 57 }
            }
            guard !digitsOnly || source.isEmpty else { return nil }
            var reason = "\(claim) is a number (GitLab sends digits, like \"42\"), never \(quoted(source))"
            if claim == "project_id" && source.contains("/") { reason += " (to match the project by its path, use project_path)" }
            if claim == "namespace_id" && !source.isEmpty { reason += " (to match the group by its path, use namespace_path)" }
            return reason
        }
        switch claim {
        case "project_path", "namespace_path":
            if let character = firstCharacter(of: pattern, notIn: pathCharacters) {
                return "a GitLab path never contains \(character), so \(claim) is never \(quoted(source))"
            }
            if claim == "project_path" && !source.contains("/") && !source.contains("**") {
                return
                    "a project path always has a / (group/project), so project_path is never \(quoted(source)) (for the projects of a group use namespace_path = \(quoted(source)) or project_path = \(quoted(source + "/*")))"
            }
            guard isEmptyIntersection(pattern, superset(of: claim), pathShaped: true) else { return nil }
            return "a GitLab path never starts or ends with / and has no empty part, so \(claim) is never \(quoted(source))"
        case "ref":
            if source.hasPrefix("refs/heads/") || source.hasPrefix("refs/tags/") {
                let short = String(source.drop { $0 != "/" }.dropFirst().drop { $0 != "/" }.dropFirst())
                return
                    "ref holds the short name of the branch or tag, never \(quoted(source)) (write ref = \(quoted(short)), or ref_path = \(quoted(source)) for the full name)"
            }
            return refNameProblem(pattern, claim: claim)
        case "ref_path":
            if let problem = refNameProblem(pattern, claim: claim) { return problem }
            let prefixes = [Pattern("refs/heads/**"), Pattern("refs/tags/**")]
            guard isEmptyIntersection(pattern, prefixes, pathShaped: true) else { return nil }
            return "ref_path is the full name of a branch or tag, refs/heads/<branch> or refs/tags/<tag>, never \(quoted(source))"
        case "sha", "ci_config_sha":
            guard let character = firstCharacter(of: pattern, notIn: Set("0123456789abcdef".utf8)) else { return nil }
            return "\(claim) is a commit id in lowercase hexadecimal and never contains \(character), so it is never \(quoted(source))"
        default:
            return nil
        }
    }

    /// Characters GitLab allows in group and project paths.
    static let pathCharacters = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./+".utf8)

    /// A character Git refuses in ref names, or a path shape Git refuses (an empty part).
    static func refNameProblem(_ pattern: Pattern, claim: String) -> String? {
        let refused = Set(" ~^:?[\\".utf8)
        for case let .literal(bytes) in pattern.pieces {
            if let byte = bytes.first(where: { refused.contains($0) || $0 < 0x20 || $0 == 0x7F }) {
                return "Git refuses \(describe(byte)) in branch and tag names, so \(claim) is never \(quoted(pattern.source))"
            }
            let text = String(decoding: bytes, as: UTF8.self)
            if text.contains("..") || text.contains("@{") {
                return "Git refuses .. and @{ in branch and tag names, so \(claim) is never \(quoted(pattern.source))"
            }
        }
        guard isEmptyIntersection(pattern, [Pattern("**")], pathShaped: true) else { return nil }
        return "Git refs never start or end with / and have no empty part, so \(claim) is never \(quoted(pattern.source))"
    }

    /// The first literal character of `pattern` outside `allowed`, described.
    static func firstCharacter(of pattern: Pattern, notIn allowed: Set<UInt8>) -> String? {
        for case let .literal(bytes) in pattern.pieces {
            if let byte = bytes.first(where: { !allowed.contains($0) }) { return describe(byte) }
        }
        return nil
    }

    static func describe(_ byte: UInt8) -> String {
        switch byte {
        case UInt8(ascii: " "): return "a space"
        case 0..<0x20, 0x7F: return "control characters"
        case 0x80...: return "characters outside ASCII"
        default: return "`\(Character(Unicode.Scalar(byte)))`"
        }
    }

    /// Whether no value both matches `pattern` and is accepted by one of `domain`.
    static func isEmptyIntersection(_ pattern: Pattern, _ domain: [Pattern], pathShaped: Bool) -> Bool {
        PatternInclusion.check([[pattern], domain], in: [], pathShaped: pathShaped) == .included
    }

    // MARK: Claims that imply others

    /// Patterns that a rule's conditions imply for `claim` through facts that tie claims
    /// together, for a claim the rule does not test itself: a project's path is its
    /// namespace's path, `/`, and its name; `ref_path` is `refs/heads/<ref>` for a branch and
    /// `refs/tags/<ref>` for a tag. Nil when nothing follows. Every value a token matching
    /// `rule` can have is accepted by the patterns returned (they may accept more).
    public static func implied(_ claim: String, by rule: Rule) -> [Pattern]? {
        switch claim {
        case "namespace_path":
            guard let project = rule.condition(on: "project_path") else { return nil }
            var result: [Pattern] = []
            for pattern in project.patterns {
                guard let namespaces = namespaces(ofProjects: pattern) else { return nil }
                result += namespaces
            }
            return result
        case "project_path":
            return rule.condition(on: "namespace_path")?.patterns.map { Pattern($0.source + "/*") }
        case "ref":
            guard let refPath = rule.condition(on: "ref_path") else { return nil }
            var result: [Pattern] = []
            for pattern in refPath.patterns {
                guard let short = shortName(pattern) else { return nil }
                result.append(short.pattern)
            }
            return result
        case "ref_type":
            guard let refPath = rule.condition(on: "ref_path") else { return nil }
            var types: [String] = []
            for pattern in refPath.patterns {
                guard let short = shortName(pattern) else { return nil }
                if !types.contains(short.type) { types.append(short.type) }
            }
            return types.map(Pattern.init)
        case "ref_path":
            let ref = rule.condition(on: "ref")
            let type = rule.condition(on: "ref_type")
            guard ref != nil || type != nil else { return nil }
            let types = ["branch", "tag"].filter { name in type?.patterns.contains { $0.matches(name) } ?? true }
            let names = ref?.patterns ?? [Pattern("**")]
            return types.flatMap { type in
                names.map { Pattern((type == "branch" ? "refs/heads/" : "refs/tags/") + $0.source) }
            }
        default:
            return nil
        }
    }

    /// The namespaces of the projects `pattern` matches, as patterns; nil when that cannot be
    /// said simply (a `**` inside the last part of the path).
    static func namespaces(ofProjects pattern: Pattern) -> [Pattern]? {
        let source = pattern.source
        guard let slash = source.lastIndex(of: "/"), slash != source.startIndex else { return nil }
        let namespace = String(source[..<slash])
        let name = source[source.index(after: slash)...]
        if name.contains("**") {
            // `group/**`: a project right in `group`, or deeper.
            return name == "**" ? [Pattern(namespace), Pattern(namespace + "/**")] : nil
        }
        return [Pattern(namespace)]
    }

    /// `refs/heads/<pattern>` or `refs/tags/<pattern>`: the short-name pattern and the ref type.
    static func shortName(_ pattern: Pattern) -> (pattern: Pattern, type: String)? {
        for (prefix, type) in [("refs/heads/", "branch"), ("refs/tags/", "tag")] where pattern.source.hasPrefix(prefix) {
            return (Pattern(String(pattern.source.dropFirst(prefix.count))), type)
        }
        return nil
    }

    // MARK: Patterns that look like regular expressions

    /// Why `pattern` looks like a regular expression (or a bracket expression) while patterns
    /// are not, with a pattern that probably says what was meant; nil when it does not.
    public static func regularExpressionHint(_ pattern: Pattern, claim: String) -> (reason: String, suggestion: String?)? {
        let source = pattern.source
        var reasons: [String] = []
        if let open = source.firstIndex(of: "["), source[open...].contains("]") {
            reasons.append("brackets are literal, so it only matches values that contain \"[\" and \"]\"")
        }
        if source.contains(".*") || source.contains(".+") {
            reasons.append("`.` is a literal dot and `*` alone matches any run of characters")
        }
        if source.hasPrefix("^") || (source.hasSuffix("$") && claim != "environment" && source.count > 1) {
            reasons.append("`^` and `$` are literal: a pattern always matches the whole value")
        }
        if ["\\d", "\\w", "\\s", "\\."].contains(where: source.contains) {
            reasons.append("backslashes are literal")
        }
        if source.contains("(") && source.contains("|") && source.contains(")") {
            reasons.append("`(a|b)` is literal: give a list of patterns instead, [\"a\", \"b\"]")
        }
        if source.contains("?") && reasons.isEmpty {
            reasons.append("`?` is literal: `*` matches any run of characters except /")
        }
        guard !reasons.isEmpty else { return nil }
        let suggestion = globSuggestion(for: source)
        return (reasons.joined(separator: "; "), suggestion == source || suggestion.isEmpty ? nil : suggestion)
    }

    /// A pattern for what a regular expression probably meant: anchors dropped, `.*`, `.+`,
    /// bracket expressions and `\d`-like classes (with their quantifiers) as `*`.
    static func globSuggestion(for regex: String) -> String {
        var text = Substring(regex)
        if text.hasPrefix("^") { text = text.dropFirst() }
        if text.hasSuffix("$") { text = text.dropLast() }
        var result = ""
        var index = text.startIndex
        func skipQuantifier() {
            while index < text.endIndex, "*+?".contains(text[index]) { index = text.index(after: index) }
            if index < text.endIndex, text[index] == "{", let close = text[index...].firstIndex(of: "}") {
                index = text.index(after: close)
            }
        }
        func appendStar() { if !result.hasSuffix("*") { result.append("*") } }
        while index < text.endIndex {
            let character = text[index]
            let next = text.index(after: index)
            if character == "[", let close = text[next...].firstIndex(of: "]") {
                index = text.index(after: close)
                skipQuantifier()
                appendStar()
            } else if character == ".", next < text.endIndex, "*+".contains(text[next]) {
                index = text.index(after: next)
                appendStar()
            } else if character == "\\", next < text.endIndex, "dws".contains(text[next]) {
                index = text.index(after: next)
                skipQuantifier()
                appendStar()
            } else if character == "\\", next < text.endIndex {
                result.append(text[next])
                index = text.index(after: next)
            } else if character == "?" {
                index = next
                appendStar()
            } else {
                result.append(character)
                index = next
            }
        }
        return result
    }
}

extension Rule {
    /// The rule's condition on `claim`, if it has one.
    public func condition(on claim: String) -> Condition? {
        conditions.first { $0.claim == claim }
    }

    /// How messages for administrators refer to the rule: its label with the line.
    public var reference: String {
        name == nil ? label : "\(label) (line \(line))"
    }
}

extension Condition {
    /// The condition as written in the mapping: `ref = "main"` or `ref = ["main", "dev"]`.
    public var written: String {
        let values = patterns.map { quoted($0.source) }
        return "\(claim) = \(values.count == 1 ? values[0] : "[\(values.joined(separator: ", "))]")"
    }
}

/// `text` as a TOML (and JSON) basic string: in double quotes, `"` and `\` escaped.
func quoted(_ text: String) -> String {
    var result = "\""
    for character in text {
        if character == "\"" || character == "\\" { result.append("\\") }
        result.append(character)
    }
    return result + "\""
}
