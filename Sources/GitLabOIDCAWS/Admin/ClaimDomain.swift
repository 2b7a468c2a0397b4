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
