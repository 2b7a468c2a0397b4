import ArgumentParser
import GitLabOIDCAWS

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate the mapping file; print errors and warnings with line numbers.",
        discussion: """
            Prints one finding per line on stderr, as FILE:LINE: error|warning: message, like a \
            compiler, then a one-line summary on stdout. Beyond what `hook` validates, it warns \
            about conditions that can never hold (values GitLab never sends, conditions that \
            contradict each other, patterns written as regular expressions), rules that can \
            never match because an earlier rule matches first, rules that pick projects only by \
            path, rules that match every project of the instance, rule names used twice, an \
            unusable ca_file and a leftover .compiled file.

            Exit status: 0 valid (warnings allowed), 1 valid but with warnings under --strict, \
            2 invalid, 64 bad usage.
            """
    )

    @OptionGroup var options: ConfigOption

    @Flag(name: .long, help: "Exit 1 when there are warnings.")
    var strict = false

    func run() throws {
        try runReportingErrors(
            { () throws(ConfigError) -> Int32 in
                let loaded = try MappingLoader.load(path: options.config)
                let findings = (MappingCheck.findings(loaded) + MappingFiles.findings(loaded)).sortedByLine()
                for finding in findings { Console.report(finding.description) }
                var summary =
                    "\(options.config): valid, \(count(loaded.mapping.rules.count, "rule"))\(warnings(findings.count))"
                if strict && !findings.isEmpty {
                    summary += "; --strict makes warnings fail the check"
                    Console.print(summary)
                    return ExitStatus.strictWarnings
                }
                Console.print(summary)
                return 0
            },
            report: { error in
                for diagnostic in error.diagnostics { Console.report(diagnostic.description) }
                Console.print(
                    "\(options.config): invalid: \(count(error.errors.count, "error"))\(warnings(error.diagnostics.count - error.errors.count))"
                )
            })
    }

    private func count(_ number: Int, _ noun: String) -> String {
        "\(number) \(noun)\(number == 1 ? "" : "s")"
    }

    /// ", N warnings" for the summary; nothing when there are none.
    private func warnings(_ number: Int) -> String {
        number == 0 ? "" : ", " + count(number, "warning")
    }
}
