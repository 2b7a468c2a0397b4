/// The claims GitLab puts in CI/CD ID tokens.
public enum ClaimNames {
    /// Every claim GitLab is known to send. A `match` key outside this list is allowed (GitLab
    /// adds claims over time) but `check` warns about it.
    public static let known: [String] = [
        "iss", "sub", "aud", "exp", "nbf", "iat", "jti", "namespace_id", "namespace_path", "project_id",
        "project_path", "user_id", "user_login", "user_email", "user_access_level", "user_identities",
        "pipeline_id", "pipeline_source", "job_id", "ref", "ref_type", "ref_path", "ref_protected", "runner_id",
        "runner_environment", "sha", "project_visibility", "ci_config_ref_uri", "ci_config_sha", "environment",
        "environment_protected", "deployment_tier", "environment_action", "groups_direct",
    ]

    /// Claims whose values can be renamed by a project owner (paths, names).
    public static let mutable: Set<String> = ["project_path", "namespace_path"]
}
