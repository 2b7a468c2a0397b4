/// The version printed by `gitlab-oidc-aws version`.
public let gitlabOIDCAWSVersion = "0.1.0"
