/// The variables each output writes into the job environment file.
public enum EnvLines {
    /// Static credentials (`output = "env"`), in the order they are written.
    public static func credentials(_ credentials: AWSCredentials, role: String, region: String) -> [(String, String)] {
        [
            ("AWS_ACCESS_KEY_ID", credentials.accessKeyID),
            ("AWS_SECRET_ACCESS_KEY", credentials.secretAccessKey),
            ("AWS_SESSION_TOKEN", credentials.sessionToken),
            ("AWS_CREDENTIAL_EXPIRATION", Timestamp.format(credentials.expiration)),
            ("AWS_REGION", region),
            ("AWS_DEFAULT_REGION", region),
            ("GITLAB_OIDC_AWS_ROLE_ARN", role),
        ]
    }

    /// `output = "web-identity"`: the variables with which every AWS SDK assumes the role
    /// itself, from the token file, and assumes it again before the credentials expire.
    /// `stsEndpoint` (written as `AWS_ENDPOINT_URL_STS`) only when the mapping chose one.
    public static func webIdentity(
        role: String, tokenFile: String, sessionName: String, region: String, stsEndpoint: String?
    ) -> [(String, String)] {
        var entries = [
            ("AWS_ROLE_ARN", role),
            ("AWS_WEB_IDENTITY_TOKEN_FILE", tokenFile),
            ("AWS_ROLE_SESSION_NAME", sessionName),
            ("AWS_REGION", region),
            ("AWS_DEFAULT_REGION", region),
        ]
        if let stsEndpoint { entries.append(("AWS_ENDPOINT_URL_STS", stsEndpoint)) }
        entries.append(("GITLAB_OIDC_AWS_ROLE_ARN", role))
        return entries
    }

    /// `output = "profile"`: the job's AWS config file, its empty credentials file, and the
    /// `default` profile (whose role is `role`). Regions are per profile, in the config file.
    public static func profile(configFile: String, credentialsFile: String, role: String) -> [(String, String)] {
        [
            ("AWS_CONFIG_FILE", configFile),
            ("AWS_SHARED_CREDENTIALS_FILE", credentialsFile),
            ("AWS_PROFILE", JobProfiles.defaultName),
            ("GITLAB_OIDC_AWS_ROLE_ARN", role),
        ]
    }
}
