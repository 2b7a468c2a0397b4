import ArgumentParser
import GitLabOIDCAWS

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print the version.")

    func run() {
        Console.print("gitlab-oidc-aws \(gitlabOIDCAWSVersion)")
    }
}
