import Testing

@testable import GitLabOIDCAWS

@Suite("job folder")
struct JobFolderTests {
    @Test func takesRunnerTempProjectDir() {
        let located = JobFolder.locate(
            runnerTempProjectDir: "/builds/g/p.tmp/", envFile: "/elsewhere/env", workingDirectory: "/w")
        #expect(located.path == "/builds/g/p.tmp/gitlab-oidc-aws")
        #expect(located.tokenFile(variable: "AWS_ID_TOKEN") == "/builds/g/p.tmp/gitlab-oidc-aws/AWS_ID_TOKEN.jwt")
        #expect(located.configFile == "/builds/g/p.tmp/gitlab-oidc-aws/config")
        #expect(located.credentialsFile == "/builds/g/p.tmp/gitlab-oidc-aws/credentials")
        #expect(located.cacheFile(rule: 3) == "/builds/g/p.tmp/gitlab-oidc-aws/cache-rule-3.json")
    }

    @Test func fallsBackToTheEnvFilesFolder() {
        #expect(
            JobFolder.locate(runnerTempProjectDir: nil, envFile: "/b/p.tmp/gitlab_runner_env", workingDirectory: "/w")
                .path == "/b/p.tmp/gitlab-oidc-aws")
        #expect(
            JobFolder.locate(runnerTempProjectDir: "", envFile: "env", workingDirectory: "/w").path
                == "/w/./gitlab-oidc-aws")
        #expect(
            JobFolder.locate(runnerTempProjectDir: nil, envFile: "tmp/env", workingDirectory: "/w/").path
                == "/w/tmp/gitlab-oidc-aws")
        #expect(JobFolder.locate(runnerTempProjectDir: nil, envFile: "/env", workingDirectory: "/w").path == "/gitlab-oidc-aws")
    }
}
