import ArgumentParser
import GitLabOIDCAWS

struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check, from this host or job image, everything the hook needs; print a checklist.",
        discussion: """
            Checks the mapping file, the CA certificates and proxy variables in effect, the \
            issuer's discovery and signing keys (fetched fresh through the proxy, with the \
            mapping's ca_file, retries and timeouts), this host's clock against the issuer's, \
            the key-set cache folder, and every STS endpoint the mapping uses. With \
            --token-file, it also verifies a job's ID token like the hook does, names the rule \
            it selects and makes one real exchange (every chain hop, the account guard) that \
            writes nothing: no env file, no job file, no key-set cache. Credentials and the \
            token are never printed; proxies are shown as scheme, host and port only.

            One line per check (ok, warn or FAIL), an indented line saying what to do under \
            each that did not pass, and a verdict. Run it on a runner host, and inside a job \
            image from the container bundle.

            Exit status: 0 every check passed (warnings allowed), 1 a check failed, 2 the \
            mapping file is invalid or unreadable (what can be checked without it is still \
            printed), 64 bad usage.
            """
    )

    enum Format: String, CaseIterable, ExpressibleByArgument {
        case text
        case json
    }

    @OptionGroup var options: ConfigOption

    @Option(name: .long, help: "A file holding a job's ID token: verify it and make one exchange that writes nothing.")
    var tokenFile: String?

    @Option(name: .long, help: "Output format: text or json.")
    var format: Format = .text

    func run() throws {
        FileSystem.ignoreWriteSignals()
        let transport = CurlTransport(environment: ProcessState.variable)
        let caLocations: (file: String?, folder: String?) =
            TrustStore.current == nil ? transport.defaultCALocations() : (nil, nil)
        let context = DoctorContext(
            configPath: options.config, tokenFile: tokenFile, environment: ProcessState.environment, clock: .system,
            transport: transport,
            trust: TrustSetup(
                baseCAFile: TrustStore.current, bundleRoot: ContainerBundle.root, libcurlCAFile: caLocations.file,
                libcurlCAFolder: caLocations.folder),
            log: Console.log, executablePath: ProcessState.executablePath(),
            workingDirectory: ProcessState.workingDirectory())
        let report = Doctor.run(context)
        switch format {
        case .text: Console.print(report.text)
        case .json: Console.print(report.json.prettyText)
        }
        if let category = report.exitCategory { throw ExitCode(ExitStatus.code(for: category)) }
    }
}
