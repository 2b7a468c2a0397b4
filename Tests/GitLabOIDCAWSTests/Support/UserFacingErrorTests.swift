import Testing

@testable import GitLabOIDCAWS

/// Each error type declares its exit category and whose problem it is; `HookFailure` words
/// them for the job log.
@Suite struct UserFacingErrorTests {
    static let config = ConfigError(diagnostics: [
        ConfigDiagnostic(file: "/etc/m.toml", line: 3, severity: .error, message: "unknown key `colour`")
    ])

    @Test(arguments: [
        (HookFailure.configuration(config), ExitCategory.invalidConfiguration, Responsibility.runnerAdministrator),
        (.output(.noEnvFile), .invalidConfiguration, .runnerAdministrator),
        (.output(.shortWrite(path: "/e", written: 1, expected: 2)), .credentialsUnavailable, .runnerAdministrator),
        (.token(.malformed("x")), .credentialsUnavailable, .pipeline),
        (.token(.wrongAudience(found: ["a"], accepted: ["b"])), .credentialsUnavailable, .pipeline),
        (.token(.wrongIssuer(found: "a", expected: "b")), .credentialsUnavailable, .runnerAdministrator),
        (.token(.keySetUnavailable(.httpStatus(url: "u", status: 500))), .credentialsUnavailable, .runnerAdministrator),
        (.sts(.service(status: 403, code: "AccessDenied", message: "", requestID: nil)), .credentialsUnavailable,
            .runnerAdministrator),
        (.sts(.service(status: 400, code: "ExpiredTokenException", message: "", requestID: nil)),
            .credentialsUnavailable, .pipeline),
        (.refused(.noToken(variables: ["AWS_ID_TOKEN"])), .credentialsUnavailable, .pipeline),
        (.refused(.noMatchingRule(project: "p", ref: "r", closest: nil)), .credentialsUnavailable, .runnerAdministrator),
        (.refused(.webIdentityChain(rule: "rule 1")), .invalidConfiguration, .runnerAdministrator),
        (.refused(.accountNotAllowed(account: "1", role: "r", setting: "s")), .credentialsUnavailable,
            .runnerAdministrator),
        (.credentialProcess(.noSuchRule(number: 3, count: 2, path: "m")), .credentialsUnavailable, .runnerAdministrator),
    ])
    func categoriesAndResponsibility(failure: HookFailure, category: ExitCategory, responsibility: Responsibility) {
        #expect(failure.exitCategory == category)
        #expect(failure.responsibility == responsibility)
    }

    @Test func aBrokenMappingIsReportedFindingByFindingThenForTheJob() {
        #expect(
            HookFailure.configuration(Self.config).logLines(help: "Ask #platform") == [
                "/etc/m.toml:3: error: unknown key `colour`",
                "error: the runner's mapping file /etc/m.toml cannot be used, so this job gets no AWS credentials [the runner's configuration, not the pipeline's: tell the runner administrator] Ask #platform",
            ])
    }

    @Test func otherFailuresAreOneLineWithWhoseProblemAndHelp() {
        let lines = HookFailure.token(.malformed("the header is not base64url")).logLines(help: nil)
        #expect(lines.count == 1)
        #expect(lines[0].hasPrefix("error: the ID token is malformed: the header is not base64url."))
        #expect(lines[0].hasSuffix("[the pipeline's to fix, not the runner's]"))
    }
}
