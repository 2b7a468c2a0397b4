import ArgumentParser
import GitLabOIDCAWS
import Glibc

struct CompileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compile",
        abstract: "Validate the mapping file and write its compiled form next to it, for a faster hook.",
        discussion: """
            Validates the mapping like the hook does (errors and warnings on stderr; run `check` \
            for its analyses across rules), then writes <config>.compiled. \
            The hook uses it only while it is owned by root or by the mapping file's owner, not \
            writable by group or others, and made from the mapping file's current contents; \
            otherwise the hook reads the TOML file. Run it as the mapping file's owner (root) \
            after every change of the mapping.
            Exit status: 0 written, 2 invalid mapping or cannot write, 64 bad usage.
            """
    )

    @OptionGroup var options: ConfigOption

    func run() throws {
        try runReportingErrors(
            { () throws(ConfigError) -> Int32 in
            let (source, ownership) = try MappingLoader.readSource(path: options.config)
            let loaded = try MappingLoader.parse(
                source: String(decoding: source, as: UTF8.self), path: options.config, parserGuard: .childProcess)
            // The loader's warnings only: `check` adds analyses across rules, which compare
            // every pair of rules and would make compiling a large mapping slow.
            for warning in loaded.warnings { Console.report(warning.description) }
            let output = CompiledMapping.path(for: options.config)
            let bytes = CompiledMapping.encode(loaded.mapping, sourceDigest: Digest.sha256(source))
            do throws(FileError) {
                try FileSystem.writeAtomically(bytes, to: output, mode: 0o644)
            } catch {
                throw ConfigError(diagnostics: [
                    ConfigDiagnostic(file: output, line: 0, severity: .error, message: "\(error)")
                ])
            }
            if let problem = HookMapping.trustProblem(owner: geteuid(), permissions: 0o644, mappingOwner: ownership.owner) {
                Console.report("\(output): warning: the hook will not use it: \(problem); run compile as root or as the mapping file's owner")
            }
            Console.print("\(output): compiled \(loaded.mapping.rules.count) rules from \(options.config)")
            return 0
            }, report: { error in Console.error(.configuration(error)) })
    }
}
