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
}
