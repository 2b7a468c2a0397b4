/// Generates realistic mapping files of any size, for the benchmark and its tests.
public enum MappingGenerator {
    /// A mapping with global settings, comments, and `rules` rules in four shapes that repeat:
    /// an inline `match`, a `[rule.match]` sub-table with a list of patterns, a namespace rule
    /// after a comment, and a tag rule with an integer project id and policy ARNs. About 130
    /// bytes per rule.
    public static func mapping(rules: Int) -> [UInt8] {
        var text = """
            # Which GitLab issues the tokens.
            issuer = "https://gitlab.example.com"
            audience = ["sts.amazonaws.com"]
            region = "eu-west-1"
            duration = 3600
            session_name = "gitlab-{project_id}-{job_id}"   # sanitised, at most 64 characters
            on_no_match = "skip"

            """
        text.reserveCapacity(rules * 140 + 400)
        for rule in 0..<rules {
            let team = rule / 4
            switch rule % 4 {
            case 0:
                text += """

                    [[rule]]
                    name = "team \(team) deploys"
                    role = "arn:aws:iam::111122223333:role/team-\(team)-deploy"
                    match = { project_path = "group-\(team)/app", ref = "main", ref_protected = true }

                    """
            case 1:
                text += """

                    [[rule]]
                    name = "team \(team) production"
                    role = "arn:aws:iam::444455556666:role/team-\(team)-prod"
                    duration = 1800
                    [rule.match]
                    project_path = "group-\(team)/infra"
                    ref_type = "branch"
                    ref = ["main", "release/*"]
                    environment = "production"

                    """
            case 2:
                text += """

                    # Read-only access for everything in group \(team).
                    [[rule]]
                    role = 'arn:aws:iam::111122223333:role/group-\(team)-readonly'
                    match = { namespace_path = ["group-\(team)", "group-\(team)/**"] }

                    """
            default:
                text += """

                    [[rule]]
                    name = "release \(team)"
                    role = "arn:aws:iam::111122223333:role/release-\(team)"
                    policy_arns = ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
                    [rule.match]
                    project_id = \(4000 + team)
                    ref_type = "tag"
                    ref = "v*"

                    """
            }
        }
        return Array(text.utf8)
    }
}
