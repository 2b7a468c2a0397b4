/// One profile of the job's AWS config file (`output = "profile"`): a name and the rule whose
/// role it provides.
public struct JobProfile: Equatable, Sendable {
    /// The profile name in the config file; `default` for the first matching rule.
    public let name: String
    public let rule: Rule
    /// The rule's role, chain and overrides.
    public let assumption: RoleAssumption
    /// The rule's settings over the top-level ones.
    public let settings: EffectiveSettings

    public init(name: String, rule: Rule, assumption: RoleAssumption, settings: EffectiveSettings) {
        self.name = name
        self.rule = rule
        self.assumption = assumption
        self.settings = settings
    }
}

/// Which profiles a job gets when the first matching rule's output is `profile`.
public enum JobProfiles {
    /// The name of the profile the first matching rule provides (and `AWS_PROFILE`).
    public static let defaultName = "default"

    /// `default` for the first matching rule, then, in file order, one profile for every
    /// matching rule (the first one included) that names a `profile`, assumes a role and
    /// whose output is `profile`. A name already taken keeps its first rule. Empty when no
    /// rule matches, or the first matching rule skips or its output is not `profile`.
    /// `matches` are the rules that match the job, in file order.
    public static func resolve(matches: [Rule], mapping: Mapping) -> [JobProfile] {
        func profile(_ rule: Rule, named name: String?) -> JobProfile? {
            guard let assumption = rule.assumption, let name = name ?? assumption.profile else { return nil }
            let settings = EffectiveSettings(assumption, of: rule, mapping: mapping)
            guard settings.output == .profile else { return nil }
            return JobProfile(name: name, rule: rule, assumption: assumption, settings: settings)
        }
        guard let first = matches.first, let primary = profile(first, named: defaultName) else { return [] }
        var profiles = [primary]
        for rule in matches {
            guard let named = profile(rule, named: nil), !profiles.contains(where: { $0.name == named.name })
            else { continue }
            profiles.append(named)
        }
        return profiles
    }

    /// `resolve(matches:mapping:)` for the rules of `mapping` that match `claims`.
    public static func resolve(mapping: Mapping, claims: Claims) -> [JobProfile] {
        resolve(matches: RuleMatcher.allMatches(in: mapping.rules, claims: claims), mapping: mapping)
    }

    /// Lines for `explain`: each profile the job would get, with its rule and role.
    public static func explanation(mapping: Mapping, claims: Claims) -> [String] {
        resolve(mapping: mapping, claims: claims).map { profile in
            "profile \(profile.name): \(profile.assumption.roles.map(\.description).joined(separator: " -> ")) (\(profile.rule.label))"
        }
    }
}

/// The command line the AWS config file gives SDKs for one profile:
/// `<binary> credential-process --config <mapping> --token-file <token> --rule <n> --cache <file>`.
public struct CredentialProcessInvocation: Equatable, Sendable {
    /// Absolute path of this program.
    public let executable: String
    /// Absolute path of the mapping file.
    public let configPath: String
    /// Absolute path of the file holding the job's ID token.
    public let tokenFile: String
    /// The rule's number (1 = the first `[[rule]]`).
    public let rule: Int
    /// Absolute path of the credential cache.
    public let cacheFile: String

    public init(executable: String, configPath: String, tokenFile: String, rule: Int, cacheFile: String) {
        self.executable = executable
        self.configPath = configPath
        self.tokenFile = tokenFile
        self.rule = rule
        self.cacheFile = cacheFile
    }

    /// The program and its arguments.
    public var arguments: [String] {
        [
            executable, "credential-process", "--config", configPath, "--token-file", tokenFile, "--rule", String(rule),
            "--cache", cacheFile,
        ]
    }

    /// The arguments quoted for a POSIX shell, which is how SDKs split `credential_process`
    /// (`sh -c` in Go, Java, JavaScript and Rust; `shlex.split` in Python). Refuses line
    /// breaks and NUL, which no config file line can hold.
    public func commandLine() throws(OutputError) -> String {
        var words: [String] = []
        for argument in arguments {
            if argument.utf8.contains(where: { $0 == 0x0A || $0 == 0x0D || $0 == 0 }) {
                throw .unsafePath(argument)
            }
            words.append(Self.shellQuoted(argument))
        }
        return words.joined(separator: " ")
    }

    /// `text` as one shell word: bare when it has only characters no shell treats specially,
    /// else in single quotes (a `'` inside becomes `'\''`).
    static func shellQuoted(_ text: String) -> String {
        let bare = !text.isEmpty
            && text.utf8.allSatisfy { byte in
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                    || "/._-+=:,@%".utf8.contains(byte)
            }
        if bare { return text }
        return "'" + text.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''") + "'"
    }
}

/// The AWS config file of `output = "profile"`: one section per profile, each with
/// `credential_process` and `region`.
public enum AWSConfigFile {
    /// One profile's section.
    public struct Section: Equatable, Sendable {
        public let profile: String
        public let credentialProcess: CredentialProcessInvocation
        public let region: String

        public init(profile: String, credentialProcess: CredentialProcessInvocation, region: String) {
            self.profile = profile
            self.credentialProcess = credentialProcess
            self.region = region
        }
    }

    /// The file's text. `default` is written as `[default]`, every other profile as
    /// `[profile NAME]`. Profile names are letters, digits, `_`, `.` and `-` (the mapping
    /// loader checks that), so they need no quoting.
    public static func render(_ sections: [Section]) throws(OutputError) -> String {
        var text = """
            # AWS config of this CI job, written by gitlab-oidc-aws. Each profile runs
            # credential_process to get (and later refresh) credentials for its IAM role from
            # the job's ID token. Deleted with the job.

            """
        for section in sections {
            text += "\n"
            text += section.profile == JobProfiles.defaultName ? "[default]\n" : "[profile \(section.profile)]\n"
            text += "credential_process = \(try section.credentialProcess.commandLine())\n"
            text += "region = \(section.region)\n"
        }
        return text
    }

    /// The text of the (deliberately empty) shared credentials file.
    public static let emptyCredentialsFile = """
        # No credentials here on purpose: this CI job's profiles are in the AWS config file
        # written by gitlab-oidc-aws, and static keys here would take precedence over them.

        """
}
