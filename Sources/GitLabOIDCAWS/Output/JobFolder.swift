/// The hook's own folder inside the job's temporary folder (`$RUNNER_TEMP_PROJECT_DIR`), which
/// the runner deletes with the job. It holds what `web-identity` and `profile` need: the ID
/// token, the AWS config file and the credential caches of `credential-process`.
///
/// File names depend only on the token variable and rule numbers, so a later hook run in the
/// same job (the next user step) finds and replaces the same files.
public struct JobFolder: Equatable, Sendable {
    /// The folder's name inside `$RUNNER_TEMP_PROJECT_DIR`.
    public static let name = "gitlab-oidc-aws"

    /// Absolute path of the folder.
    public let path: String

    public init(path: String) {
        self.path = path
    }

    /// `$RUNNER_TEMP_PROJECT_DIR/gitlab-oidc-aws`. When the runner did not set that variable,
    /// the env file's folder stands in for it: the runner puts `$GITLAB_ENV` at
    /// `$RUNNER_TEMP_PROJECT_DIR/gitlab_runner_env`. Relative paths are taken from
    /// `workingDirectory`.
    public static func locate(runnerTempProjectDir: String?, envFile: String, workingDirectory: String) -> JobFolder {
        let base: String
        if let runnerTempProjectDir, !runnerTempProjectDir.isEmpty {
            base = runnerTempProjectDir
        } else if let slash = envFile.lastIndex(of: "/") {
            base = slash == envFile.startIndex ? "/" : String(envFile[..<slash])
        } else {
            base = "."
        }
        var absolute = FileSystem.absolute(base, workingDirectory: workingDirectory)
        while absolute.count > 1 && absolute.hasSuffix("/") { absolute.removeLast() }
        return JobFolder(path: absolute == "/" ? "/\(name)" : "\(absolute)/\(name)")
    }

    /// The job's ID token, taken from the environment variable `variable`.
    public func tokenFile(variable: String) -> String { "\(path)/\(variable).jwt" }

    /// The AWS config file (`AWS_CONFIG_FILE`) of `output = "profile"`.
    public var configFile: String { "\(path)/config" }

    /// The AWS shared credentials file (`AWS_SHARED_CREDENTIALS_FILE`) of `output = "profile"`:
    /// holds no credentials, so that none from elsewhere shadow the config file's profiles.
    public var credentialsFile: String { "\(path)/credentials" }

    /// Where `credential-process` caches the credentials of rule `rule`.
    public func cacheFile(rule: Int) -> String { "\(path)/cache-rule-\(rule).json" }
}
