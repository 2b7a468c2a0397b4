import ArgumentParser
import GitLabOIDCAWS

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate the mapping file; print errors and warnings with line numbers.",
        discussion: "Exit status: 0 valid (warnings allowed), 2 invalid, 64 bad usage."
    )

    @OptionGroup var options: ConfigOption

    func run() throws {
        try runReportingErrors {
            let loaded = try MappingLoader.load(path: options.config)
            for warning in loaded.warnings { Console.print(warning.description) }
            Console.print("\(options.config): valid, \(loaded.mapping.rules.count) rules")
            return 0
        }
    }
}
