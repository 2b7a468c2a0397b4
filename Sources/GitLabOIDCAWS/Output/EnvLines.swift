/// The variables each output writes into the job environment file.
public enum EnvLines {
    /// Static credentials (`output = "env"`), in the order they are written. `role` is the
    /// role finally assumed.
    public static func credentials(_ credentials: AWSCredentials, role: String, region: String) -> [EnvEntry] {
        [
            EnvEntry("AWS_ACCESS_KEY_ID", credentials.accessKeyID),
            EnvEntry("AWS_SECRET_ACCESS_KEY", credentials.secretAccessKey),
            EnvEntry("AWS_SESSION_TOKEN", credentials.sessionToken),
            EnvEntry("AWS_CREDENTIAL_EXPIRATION", Timestamp.format(credentials.expiration)),
            EnvEntry("AWS_REGION", region),
            EnvEntry("AWS_DEFAULT_REGION", region),
            EnvEntry("GITLAB_OIDC_AWS_ROLE_ARN", role),
        ]
    }

    /// `output = "web-identity"`: the variables with which every AWS SDK assumes the role
    /// itself, from the token file, and assumes it again before the credentials expire.
    /// `stsEndpoint` (written as `AWS_ENDPOINT_URL_STS`) only when the mapping chose one.
    public static func webIdentity(
        role: String, tokenFile: String, sessionName: String, region: String, stsEndpoint: String?
    ) -> [EnvEntry] {
        var entries = [
            EnvEntry("AWS_ROLE_ARN", role),
            EnvEntry("AWS_WEB_IDENTITY_TOKEN_FILE", tokenFile),
            EnvEntry("AWS_ROLE_SESSION_NAME", sessionName),
            EnvEntry("AWS_REGION", region),
            EnvEntry("AWS_DEFAULT_REGION", region),
        ]
        if let stsEndpoint { entries.append(EnvEntry("AWS_ENDPOINT_URL_STS", stsEndpoint)) }
        entries.append(EnvEntry("GITLAB_OIDC_AWS_ROLE_ARN", role))
        return entries
    }

    /// `output = "profile"`: the job's AWS config file, its empty credentials file, and the
    /// `default` profile (whose role, finally assumed, is `role`). Regions are per profile,
    /// in the config file.
    public static func profile(configFile: String, credentialsFile: String, role: String) -> [EnvEntry] {
        [
            EnvEntry("AWS_CONFIG_FILE", configFile),
            EnvEntry("AWS_SHARED_CREDENTIALS_FILE", credentialsFile),
            EnvEntry("AWS_PROFILE", JobProfiles.defaultName),
            EnvEntry("GITLAB_OIDC_AWS_ROLE_ARN", role),
        ]
    }

    /// What keeps SDKs from falling back to the runner's instance profile
    /// (`block_instance_metadata = true`).
    public static let instanceMetadataDisabled = EnvEntry("AWS_EC2_METADATA_DISABLED", "true")
}
