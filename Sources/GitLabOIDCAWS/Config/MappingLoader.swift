import Glibc
import TOML

/// A mapping file that loaded without errors, with the warnings found while loading.
public struct LoadedMapping: Sendable {
    public let mapping: Mapping
    public let warnings: [ConfigDiagnostic]
    /// The parsed file, for findings that need where a key stands (`check`).
    public let document: TOMLDocument

    /// The line of the top-level `key`, or nil when the file does not set it.
    public func line(ofSetting key: String) -> Int? {
        document.root.entry(forKey: key)?.line
    }

    /// The line of `key` in rule `number` (from 1), or nil when the rule has no such key.
    public func line(ofKey key: String, inRule number: Int) -> Int? {
        guard let rules = document.root["rule"]?.array, number >= 1, number <= rules.count,
            let table = rules.dropFirst(number - 1).first?.table
        else { return nil }
        return table.entry(forKey: key)?.line
    }
}

/// Loads and validates the mapping file. `hook`, `check`, `explain`, `trust-policy` and
/// `credential-process` all go through here, so they agree on what a valid file is.
///
/// Loading reads the file and nothing else. It parses the file with the `TOML` reader, then
/// makes one pass over the document: the top-level settings become a `Mapping`; every rule is
/// validated in place, without building it (no allocation for a valid rule), so that a large
/// mapping costs the hook little more than parsing it; `Mapping.rules` then reads each rule
/// from the document when it is asked for (`RuleList`). Every problem is collected, not just
/// the first.
public enum MappingLoader {
    /// The keys allowed at the top level of the mapping file.
    public static let topLevelKeys = [
        "issuer", "audience", "token_variables", "jwks_url", "cache_dir", "region", "sts_endpoint", "sts_fips",
        "ca_file", "duration", "session_name", "output", "block_instance_metadata", "on_no_token", "on_no_match",
        "max_attempts", "deadline", "connect_timeout", "request_timeout", "mode", "help", "allowed_account_ids",
        "rule",
    ]

    /// The keys allowed in a `[[rule]]`.
    public static let ruleKeys = [
        "name", "role", "match", "skip", "region", "duration", "session_name", "session_policy", "policy_arns",
        "output", "profile", "allowed_account_ids", "chain",
    ]

    /// The keys allowed in a `[[rule.chain]]` entry.
    public static let chainKeys = [
        "role", "external_id", "duration", "session_name", "tags", "transitive_tag_keys", "session_policy",
        "policy_arns",
    ]

    /// The largest mapping file read, in bytes (a million rules take about 170 MB).
    public static let maximumSize = 256 << 20

    /// How the loaded mapping holds its rules.
    public enum RuleForm: Sendable {
        /// As `Rule` values, built once (about a microsecond per rule): for commands that look
        /// at rules more than once.
        case values
        /// In the parsed document, each rule built when it is read, and matched in the document
        /// (`RuleMatcher.select`): for the hook and `credential-process`, which look at a few.
        case document
    }

    /// Reads and validates the mapping file at `path`. A file that cannot be read is reported
    /// without a line (`PATH: error: ...`).
    public static func load(path: String, rules form: RuleForm = .values) throws(ConfigError) -> LoadedMapping {
        let source: TOMLSource?
        let bytes: [UInt8]
        do throws(MappingFileProblem) {
            source = try readSource(path)
            bytes = source == nil ? try MappingFileProblem.reading { () throws(FileError) in
                try FileSystem.read(path, limit: maximumSize)
            } : []
        } catch {
            throw ConfigError(diagnostics: [
                ConfigDiagnostic(file: path, line: 0, severity: .error, message: error.description)
            ])
        }
        if let source { return try parse(source: source, path: path, rules: form) }
        return try parse(bytes: bytes, path: path, rules: form)
    }

    /// Why the mapping file could not be read.
    enum MappingFileProblem: Error, CustomStringConvertible {
        case file(FileError)
        /// The path names something else than a regular file: what it is.
        case notRegular(path: String, kind: String)

        static func reading<Result>(_ body: () throws(FileError) -> Result) throws(MappingFileProblem) -> Result {
            do throws(FileError) {
                return try body()
            } catch {
                throw .file(error)
            }
        }

        var description: String {
            switch self {
            case let .file(error):
                let advice =
                    error.code == EFBIG
                    ? "a mapping file may have at most \(MappingLoader.maximumSize >> 20) MiB"
                    : "check the --config path and that the user running the hook can read it"
                return "\(error.description); \(advice)"
            case let .notRegular(path, kind):
                return "cannot read \(path): it is \(kind), not a regular file; give the path of the mapping file with --config"
            }
        }
    }

    /// The mapping file read straight into a `TOMLSource` (no copy of a large file); nil when
    /// its size changed while it was read (`FileSystem.read` then reads it as it is). Opens
    /// without blocking and reads only a regular file.
    static func readSource(_ path: String) throws(MappingFileProblem) -> TOMLSource? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
        guard descriptor >= 0 else { throw .file(FileError(path: path, operation: "open")) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw .file(FileError(path: path, operation: "stat")) }
        switch status.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: throw .notRegular(path: path, kind: "a directory")
        case S_IFIFO: throw .notRegular(path: path, kind: "a FIFO (named pipe)")
        case S_IFCHR, S_IFBLK: throw .notRegular(path: path, kind: "a device")
        default: throw .notRegular(path: path, kind: "a socket")
        }
        guard status.st_size <= maximumSize else {
            throw .file(FileError(path: path, operation: "read", code: EFBIG))
        }
        let size = Int(max(status.st_size, 0))
        var source = TOMLSource(count: size)
        var failure: Int32 = 0
        let filled = source.withUnsafeMutableBytes { buffer -> Int in
            var count = 0
            while count < size {
                let got = Glibc.read(descriptor, buffer.baseAddress! + count, size - count)
                if got < 0 && errno == EINTR { continue }
                if got < 0 { failure = errno }
                if got <= 0 { break }
                count += got
            }
            return count
        }
        if failure != 0 { throw .file(FileError(path: path, operation: "read", code: failure)) }
        var probe: UInt8 = 0
        guard filled == size, Glibc.read(descriptor, &probe, 1) == 0 else { return nil }
        return source
    }

    /// Validates mapping-file text; `path` is used in messages only.
    public static func parse(source: String, path: String, rules form: RuleForm = .values) throws(ConfigError)
        -> LoadedMapping
    {
        try parse(bytes: Array(source.utf8), path: path, rules: form)
    }

    /// Validates the bytes of a mapping file; `path` is used in messages only. Any bytes give
    /// a mapping or errors with lines, never a crash.
    public static func parse(bytes: [UInt8], path: String, rules form: RuleForm = .values) throws(ConfigError)
        -> LoadedMapping
    {
        let document: TOMLDocument
        do throws(TOMLError) {
            document = try TOMLDocument(parsing: bytes)
        } catch {
            throw ConfigError(diagnostics: [notTOML(error, path: path)])
        }
        return try read(document, path: path, rules: form)
    }

    /// Validates the bytes of a mapping file held in a `TOMLSource` (read without a copy).
    public static func parse(source: TOMLSource, path: String, rules form: RuleForm = .values) throws(ConfigError)
        -> LoadedMapping
    {
        let document: TOMLDocument
        do throws(TOMLError) {
            document = try TOMLDocument(parsing: source)
        } catch {
            throw ConfigError(diagnostics: [notTOML(error, path: path)])
        }
        return try read(document, path: path, rules: form)
    }

    static func notTOML(_ error: TOMLError, path: String) -> ConfigDiagnostic {
        ConfigDiagnostic(
            file: path, line: error.line, severity: .error,
            message: "not valid TOML: \(error.message) (column \(error.column))")
    }

    /// Validates a parsed mapping file.
    public static func read(_ document: TOMLDocument, path: String, rules form: RuleForm = .values)
        throws(ConfigError) -> LoadedMapping
    {
        var reader = MappingReader(path: path)
        var mapping = reader.readMapping(document.root)
        let sorted = reader.diagnostics.sortedByLine()
        if reader.errorCount > 0 { throw ConfigError(diagnostics: sorted) }
        if form == .values { mapping.rules = RuleList(Array(mapping.rules)) }
        return LoadedMapping(mapping: mapping, warnings: sorted, document: document)
    }

    static let topLevelNames = NameTable(topLevelKeys)
    static let ruleNames = NameTable(ruleKeys)
    static let chainNames = NameTable(chainKeys)
    static let claimNames = NameTable(ClaimNames.known)
}

/// Where a validated rule stands in the document: its table in the `rule` array, its `match`
/// table within it, and whether it is a `skip` rule.
struct RuleReference: Sendable {
    let rule: TOMLIndex
    let match: TOMLIndex
    let skips: Bool
}

/// Where the keys of one rule table stand, found in one pass over it.
private struct RuleKeys {
    var name: TOMLIndex?
    var role: TOMLIndex?
    var match: TOMLIndex?
    var skip: TOMLIndex?
    var region: TOMLIndex?
    var duration: TOMLIndex?
    var sessionName: TOMLIndex?
    var sessionPolicy: TOMLIndex?
    var policyARNs: TOMLIndex?
    var output: TOMLIndex?
    var profile: TOMLIndex?
    var allowedAccountIDs: TOMLIndex?
    var chain: TOMLIndex?
}

/// Walks the document, collecting every problem rather than stopping at the first.
struct MappingReader {
    let path: String
    var diagnostics: [ConfigDiagnostic] = []
    /// How many of `diagnostics` are errors.
    var errorCount = 0

    init(path: String) {
        self.path = path
    }

    mutating func error(_ line: Int, _ message: String) {
        diagnostics.append(ConfigDiagnostic(file: path, line: max(line, 1), severity: .error, message: message))
        errorCount += 1
    }

    mutating func warning(_ line: Int, _ message: String) {
        diagnostics.append(ConfigDiagnostic(file: path, line: max(line, 1), severity: .warning, message: message))
    }

    // MARK: Values

    static func describe(_ value: TOMLValue) -> String {
        switch value.kind {
        case .string: return "a string"
        case .integer: return "an integer"
        case .float: return "a number with a fraction"
        case .boolean: return "true or false"
        case .array: return "a list"
        case .table: return "a table"
        default: return "a date or time"
        }
    }

    mutating func string(_ value: TOMLValue, _ line: Int, _ label: @autoclosure () -> String) -> String? {
        guard let text = value.string else {
            error(line, "\(label()) must be a string, not \(Self.describe(value))")
            return nil
        }
        return text
    }

    /// Whether `value` is a string; reports it when not.
    mutating func isString(_ value: TOMLValue, _ line: Int, _ label: @autoclosure () -> String) -> Bool {
        guard value.kind == .string else {
            error(line, "\(label()) must be a string, not \(Self.describe(value))")
            return false
        }
        return true
    }

    mutating func integer(
        _ value: TOMLValue, _ line: Int, _ label: @autoclosure () -> String, range: ClosedRange<Int>, unit: String
    ) -> Int? {
        guard let number = value.integer else {
            error(line, "\(label()) must be an integer (\(unit)), not \(Self.describe(value))")
            return nil
        }
        guard number >= range.lowerBound, number <= range.upperBound else {
            error(line, "\(label()) is \(number) but must be between \(range.lowerBound) and \(range.upperBound) \(unit)")
            return nil
        }
        return Int(number)
    }

    mutating func seconds(_ value: TOMLValue, _ line: Int, _ key: String, range: ClosedRange<Double>) -> Double? {
        let number: Double
        if let integer = value.integer {
            number = Double(integer)
        } else if let float = value.float {
            number = float
        } else {
            error(line, "`\(key)` must be a number of seconds, not \(Self.describe(value))")
            return nil
        }
        guard range.contains(number) else {
            error(
                line,
                "`\(key)` is \(number) but must be between \(LogText.seconds(range.lowerBound)) and \(LogText.seconds(range.upperBound)) seconds"
            )
            return nil
        }
        return number
    }

    mutating func bool(_ value: TOMLValue, _ line: Int, _ label: @autoclosure () -> String) -> Bool? {
        guard let flag = value.boolean else {
            error(line, "\(label()) must be true or false, not \(Self.describe(value))")
            return nil
        }
        return flag
    }

    mutating func choice<Choice: RawRepresentable & CaseIterable>(
        _ value: TOMLValue, _ line: Int, _ label: @autoclosure () -> String, as _: Choice.Type
    ) -> Choice? where Choice.RawValue == String {
        guard let text = string(value, line, label()) else { return nil }
        guard let choice = Choice(rawValue: text) else {
            let allowed = Choice.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: " or ")
            var message = "\(label()) is \(quoted(LogText.oneLine(text, limit: 64))) but must be \(allowed)"
            if let suggestion = Suggestion.closest(to: text, among: Choice.allCases.map(\.rawValue)) {
                message += "; did you mean \"\(suggestion)\"?"
            }
            error(line, message)
            return nil
        }
        return choice
    }

    /// `output`, read without building a string.
    mutating func output(_ value: TOMLValue, _ line: Int, _ label: @autoclosure () -> String) -> OutputMode? {
        if let mode = value.withUTF8({ Self.outputModes.index(of: $0) }) ?? nil {
            return OutputMode.allCases[mode]
        }
        return choice(value, line, label(), as: OutputMode.self)
    }

    static let outputModes = NameTable(OutputMode.allCases.map(\.rawValue))

    /// A string or a non-empty list of strings.
    mutating func strings(_ value: TOMLValue, _ line: Int, _ label: @autoclosure () -> String) -> [String]? {
        if let text = value.string { return [text] }
        guard let array = value.array else {
            error(line, "\(label()) must be a string or a list of strings, not \(Self.describe(value))")
            return nil
        }
        var result: [String] = []
        for (index, item) in array.enumerated() {
            guard let text = item.string else {
                error(item.line, "\(label()): item \(index + 1) must be a string, not \(Self.describe(item))")
                return nil
            }
            result.append(text)
        }
        if result.isEmpty {
            error(line, "\(label()) must not be an empty list")
            return nil
        }
        return result
    }

    mutating func url(_ value: TOMLValue, _ line: Int, _ label: @autoclosure () -> String) -> String? {
        guard let text = string(value, line, label()) else { return nil }
        switch EndpointURL.parse(text) {
        case .success: return text
        case let .failure(problem):
            error(line, "\(label()) \(quoted(LogText.oneLine(text, limit: 256))) \(problem)")
            return nil
        }
    }

    mutating func region(_ value: TOMLValue, _ line: Int, _ label: @autoclosure () -> String) -> Bool {
        guard isString(value, line, label()) else { return false }
        guard let problem = value.withUTF8({ AWSRegion.problem(in: $0) }) ?? nil else { return true }
        let text = value.string ?? ""
        var message = "\(label()) \(quoted(LogText.oneLine(text, limit: 64))) \(problem.explanation)"
        if let suggestion = Suggestion.closest(to: text, among: AWSRegion.known) {
            message += "; did you mean \"\(suggestion)\"?"
        }
        error(line, message)
        return false
    }

    mutating func role(_ value: TOMLValue, _ line: Int, _ label: @autoclosure () -> String) -> Bool {
        guard isString(value, line, label()) else { return false }
        guard let problem = value.withUTF8({ RoleARN.problem(in: $0) }) ?? nil else { return true }
        error(line, "\(label()) \(quoted(LogText.oneLine(value.string ?? "", limit: 256))) \(problem.explanation)")
        return false
    }

    mutating func template(_ value: TOMLValue, _ line: Int, _ label: @autoclosure () -> String) {
        guard let template = string(value, line, label()) else { return }
        switch SessionName.placeholders(in: template) {
        case let .success(names):
            for name in names where !ClaimNames.known.contains(name) {
                var message =
                    "\(label()) uses {\(name)}, which is not a GitLab ID token claim; it will render empty"
                if let suggestion = Suggestion.closest(to: name, among: ClaimNames.known) {
                    message += "; did you mean {\(suggestion)}?"
                }
                warning(line, message)
            }
        case let .failure(problem):
            error(line, "\(label()) \(quoted(LogText.oneLine(template, limit: 256))): \(problem)")
        }
    }

    /// `allowed_account_ids`: a non-empty list of 12-digit strings.
    mutating func accountIDs(_ value: TOMLValue, _ line: Int, _ label: @autoclosure () -> String) -> [String]? {
        guard let array = value.array else {
            error(line, "\(label()) must be a list of 12-digit account ids in quotes, not \(Self.describe(value))")
            return nil
        }
        if array.isEmpty {
            error(line, "\(label()) is an empty list, which allows no account; remove it to allow any account")
            return nil
        }
        var accounts: [String] = []
        var valid = true
        for (index, item) in array.enumerated() {
            if item.kind == .integer {
                error(
                    item.line,
                    "\(label()): item \(index + 1) must be written in quotes (\"\(item.integer ?? 0)\"): an account id is 12 digits, leading zeros included"
                )
                valid = false
                continue
            }
            guard let text = item.string else {
                error(item.line, "\(label()): item \(index + 1) must be a string, not \(Self.describe(item))")
                valid = false
                continue
            }
            guard text.utf8.count == 12, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else {
                error(
                    item.line,
                    "\(label()): \(quoted(LogText.oneLine(text, limit: 64))) is not an AWS account id (exactly 12 digits)")
                valid = false
                continue
            }
            accounts.append(text)
        }
        return valid ? accounts : nil
    }

    /// `session_policy`: a JSON string or a TOML table, at most 2048 characters as compact JSON.
    mutating func sessionPolicy(_ value: TOMLValue, _ line: Int, _ label: @autoclosure () -> String) -> String? {
        let json: JSONValue
        if let text = value.string {
            do throws(JSONError) {
                json = try JSONValue.parse(text)
            } catch {
                self.error(line, "\(label()) is not valid JSON: \(error)")
                return nil
            }
        } else if let table = value.table {
            json = Self.jsonValue(of: table.value)
        } else {
            error(line, "\(label()) must be a JSON string or a TOML table, not \(Self.describe(value))")
            return nil
        }
        guard json.objectMembers != nil else {
            error(line, "\(label()) must be a JSON object (a policy document)")
            return nil
        }
        let compact = json.compactText
        if compact.utf8.count > 2048 {
            error(line, "\(label()) is \(compact.utf8.count) characters as compact JSON; STS accepts at most 2048")
            return nil
        }
        return compact
    }

    /// A TOML value as JSON (dates as their text).
    static func jsonValue(of value: TOMLValue) -> JSONValue {
        if let table = value.table { return .object(table.map { ($0.key, jsonValue(of: $0.value)) }) }
        if let array = value.array { return .array(array.map { jsonValue(of: $0) }) }
        if let text = value.string { return .string(text) }
        if let integer = value.integer { return .integer(integer) }
        if let float = value.float { return .real(float) }
        if let flag = value.boolean { return .bool(flag) }
        return .string(value.dateTime?.text ?? "")
    }

    /// `policy_arns`: a string or a list of at most 10 IAM policy ARNs (checked without
    /// allocating).
    mutating func checkPolicyARNs(_ value: TOMLValue, _ line: Int, _ label: @autoclosure () -> String) {
        if value.kind == .string {
            checkPolicyARN(value, line, label())
            return
        }
        guard let array = value.array else {
            error(line, "\(label()) must be a string or a list of strings, not \(Self.describe(value))")
            return
        }
        if array.isEmpty { error(line, "\(label()) must not be an empty list") }
        if array.count > 10 { error(line, "\(label()) has \(array.count) ARNs; STS accepts at most 10") }
        for (index, item) in array.enumerated() {
            guard item.kind == .string else {
                error(item.line, "\(label()): item \(index + 1) must be a string, not \(Self.describe(item))")
                continue
            }
            checkPolicyARN(item, item.line, label())
        }
    }

    mutating func checkPolicyARN(_ value: TOMLValue, _ line: Int, _ label: @autoclosure () -> String) {
        guard value.withUTF8(Self.isPolicyARN) == false else { return }
        error(
            line,
            "\(label()): \(quoted(LogText.oneLine(value.string ?? "", limit: 256))) is not an IAM policy ARN like \"arn:aws:iam::aws:policy/ReadOnlyAccess\""
        )
    }

    /// `arn:<partition>:iam::<aws or a 12-digit account>:policy/<path/name>`.
    static func isPolicyARN(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let fields = ARNFields(bytes), fields.equals(0, "arn"), fields.equals(2, "iam"), fields.isEmpty(3),
            fields.equals(1, "aws") || fields.equals(1, "aws-cn") || fields.equals(1, "aws-us-gov"),
            fields.equals(4, "aws") || fields.isAccount(4), fields.hasPrefix(5, "policy/"), fields.count(5) > 7
        else { return false }
        return true
    }

    /// Reports a key that `table` does not allow: a typo (with a suggestion), or a key that
    /// TOML placed in this table because it was written below the table's header.
    mutating func unknownKey(_ entry: TOMLTable.Entry, known: [String], context: @autoclosure () -> String) {
        let key = entry.key
        let shown = LogText.oneLine(key, limit: 64)
        var message = "unknown key `\(shown)`\(context())"
        if let suggestion = Suggestion.closest(to: key, among: known) {
            message += "; did you mean `\(suggestion)`?"
        } else {
            message += "; allowed keys: \(known.filter { $0 != "rule" }.joined(separator: ", "))"
        }
        error(entry.line, message)
    }

    // MARK: The mapping

    mutating func readMapping(_ root: TOMLTable) -> Mapping {
        var mapping = Mapping(issuer: "")
        mapping.path = path
        var issuerSeen = false
        var rules: TOMLTable.Entry?
        for entry in root {
            guard let key = entry.withKeyUTF8({ MappingLoader.topLevelNames.index(of: $0) }) else {
                unknownKey(entry, known: MappingLoader.topLevelKeys, context: " at the top level")
                continue
            }
            let value = entry.value
            let line = entry.line
            switch MappingLoader.topLevelKeys[key] {
            case "issuer":
                issuerSeen = true
                if let issuer = url(value, line, "`issuer`") { mapping.issuer = issuer }
            case "audience":
                if let audiences = strings(value, line, "`audience`") { mapping.audiences = audiences }
            case "token_variables":
                if let variables = strings(value, line, "`token_variables`") {
                    for name in variables where !Self.isEnvironmentName(name) {
                        error(
                            line,
                            "`token_variables`: \(quoted(LogText.oneLine(name, limit: 64))) is not a valid environment variable name"
                        )
                    }
                    mapping.tokenVariables = variables
                }
            case "jwks_url":
                mapping.jwksURL = url(value, line, "`jwks_url`")
            case "cache_dir":
                if let directory = string(value, line, "`cache_dir`") {
                    if directory.hasPrefix("/") {
                        mapping.cacheDirectory = directory
                    } else {
                        error(line, "`cache_dir` must be an absolute path")
                    }
                }
            case "region":
                if region(value, line, "`region`"), let text = value.string { mapping.region = text }
            case "sts_endpoint":
                if value.string?.isEmpty == true { continue }
                mapping.stsEndpoint = url(value, line, "`sts_endpoint`")
            case "sts_fips":
                mapping.stsFIPS = bool(value, line, "`sts_fips`") ?? false
            case "ca_file":
                if let file = string(value, line, "`ca_file`") {
                    if file.isEmpty || file.utf8.contains(0) {
                        error(line, "`ca_file` must be the path of a PEM bundle")
                    } else {
                        mapping.caFile = file
                    }
                }
            case "duration":
                if let duration = integer(value, line, "`duration`", range: durationLimits, unit: "seconds") {
                    mapping.duration = duration
                }
            case "session_name":
                template(value, line, "`session_name`")
                if let text = value.string { mapping.sessionName = text }
            case "output":
                if let output = self.output(value, line, "`output`") { mapping.output = output }
            case "block_instance_metadata":
                mapping.blockInstanceMetadata = bool(value, line, "`block_instance_metadata`") ?? false
            case "on_no_token":
                if let policy = choice(value, line, "`on_no_token`", as: MissPolicy.self) { mapping.onNoToken = policy }
            case "on_no_match":
                if let policy = choice(value, line, "`on_no_match`", as: MissPolicy.self) { mapping.onNoMatch = policy }
            case "max_attempts":
                if let attempts = integer(
                    value, line, "`max_attempts`", range: RetrySettings.attemptLimits, unit: "attempts")
                {
                    mapping.retry.maxAttempts = attempts
                }
            case "deadline":
                if let seconds = seconds(value, line, "deadline", range: RetrySettings.deadlineLimits) {
                    mapping.retry.deadline = seconds
                }
            case "connect_timeout":
                if let seconds = seconds(value, line, "connect_timeout", range: RetrySettings.connectTimeoutLimits) {
                    mapping.retry.connectTimeout = seconds
                }
            case "request_timeout":
                if let seconds = seconds(value, line, "request_timeout", range: RetrySettings.requestTimeoutLimits) {
                    mapping.retry.requestTimeout = seconds
                }
            case "mode":
                if let mode = choice(value, line, "`mode`", as: HookMode.self) { mapping.mode = mode }
            case "help":
                if let help = string(value, line, "`help`") {
                    if help.unicodeScalars.contains(where: LogText.isLineBreaking) {
                        error(line, "`help` must be one line of text (it ends lines in the job log)")
                    } else if !help.isEmpty {
                        mapping.help = help
                    }
                }
            case "allowed_account_ids":
                mapping.allowedAccountIDs = accountIDs(value, line, "`allowed_account_ids`")
            default:
                rules = entry
            }
        }
        if !issuerSeen {
            error(1, "`issuer` is required: the URL of your GitLab instance, e.g. issuer = \"https://gitlab.example.com\"")
        }
        if mapping.retry.connectTimeout > mapping.retry.requestTimeout {
            error(
                root.entry(forKey: "connect_timeout")?.line ?? 1,
                "`connect_timeout` must not be longer than `request_timeout`")
        }
        // `sts_fips` needs a FIPS endpoint in the top-level region (each rule's own region is
        // checked with the rule), unless `sts_endpoint` names the endpoint.
        if mapping.stsFIPS, mapping.stsEndpoint == nil, !STS.hasFIPSEndpoint(region: mapping.region) {
            fipsError(root.entry(forKey: "sts_fips")?.line ?? 1, region: mapping.region)
        }
        if let rules {
            mapping.rules = readRules(rules, mapping: mapping)
        } else {
            warning(1, "the mapping has no [[rule]]: every job will get no credentials from the hook")
        }
        return mapping
    }

    static func isEnvironmentName(_ name: String) -> Bool {
        guard let first = name.utf8.first, !(first >= 48 && first <= 57) else { return false }
        return name.utf8.allSatisfy { byte in
            (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122) || (byte >= 48 && byte <= 57) || byte == 95
        }
    }

    // MARK: Rules

    mutating func readRules(_ entry: TOMLTable.Entry, mapping: Mapping) -> RuleList {
        guard let array = entry.value.array else {
            error(entry.line, "`rule` must be an array of tables: write each rule as a [[rule]] section")
            return []
        }
        var references: [RuleReference] = []
        references.reserveCapacity(array.count)
        let overridesPlain = mapping.output != .webIdentity && !mapping.stsFIPS
        var number = 0
        for index in array.indices {
            number += 1
            let value = array[index]
            guard let table = value.table else {
                error(value.line, "rule \(number) must be a table: write each rule as a [[rule]] section")
                continue
            }
            if let match = Self.plainRule(table, overrides: overridesPlain) {
                references.append(RuleReference(rule: index, match: match, skips: false))
            } else if let reference = readRule(table, at: index, number: number, mapping: mapping) {
                references.append(reference)
            }
        }
        guard errorCount == 0 else { return [] }
        return RuleList(document: RuleDocument(rules: array, references: references))
    }

    /// The `match` of a rule of the most common shape, which `readRule` would accept without
    /// a warning: a string `name`, a valid `role`, a `match` of claims GitLab sends with
    /// patterns of the right types, and (when `overrides`: the output is not `web-identity`
    /// and `sts_fips` is off, which make them need more checks) a valid `region`, `duration`
    /// or `policy_arns`. Nil for any other rule, which `readRule` then reads. Allocates nothing
    /// and builds no message: most rules of a large mapping take only this path.
    static func plainRule(_ table: TOMLTable, overrides: Bool) -> TOMLIndex? {
        var match: TOMLIndex?
        var hasRole = false
        var position = table.startIndex
        while position != table.endIndex {
            defer { position = table.index(after: position) }
            let entry = table[position]
            let value = entry.value
            switch entry.withKeyUTF8({ MappingLoader.ruleNames.index(of: $0) }) {
            case 0?:
                guard value.kind == .string else { return nil }
            case 1?:
                guard value.withUTF8({ RoleARN.problem(in: $0) == nil }) == true else { return nil }
                hasRole = true
            case 2?:
                guard isPlainMatch(value) else { return nil }
                match = position
            case 4? where overrides:
                guard value.withUTF8({ AWSRegion.problem(in: $0) == nil }) == true else { return nil }
            case 5? where overrides:
                guard let seconds = value.integer, seconds >= durationLimits.lowerBound,
                    seconds <= durationLimits.upperBound
                else { return nil }
            case 8? where overrides:
                guard isPlainPolicyList(value) else { return nil }
            default:
                return nil
            }
        }
        return hasRole ? match : nil
    }

    /// A non-empty table of claims GitLab sends, each a string, integer or boolean, or a
    /// non-empty list of them.
    static func isPlainMatch(_ value: TOMLValue) -> Bool {
        guard let match = value.table, match.count > 0 else { return false }
        for condition in match {
            guard condition.withKeyUTF8({ MappingLoader.claimNames.contains($0) }) else { return false }
            let pattern = condition.value
            switch pattern.kind {
            case .string, .integer, .boolean:
                continue
            case .array:
                guard let items = pattern.array, items.count > 0 else { return false }
                for item in items {
                    switch item.kind {
                    case .string, .integer, .boolean: continue
                    default: return false
                    }
                }
            default:
                return false
            }
        }
        return true
    }

    /// `policy_arns` that `checkPolicyARNs` accepts: 1 to 10 policy ARNs.
    static func isPlainPolicyList(_ value: TOMLValue) -> Bool {
        if value.kind == .string { return value.withUTF8(isPolicyARN) == true }
        guard let items = value.array, items.count > 0, items.count <= 10 else { return false }
        return items.allSatisfy { $0.withUTF8(isPolicyARN) == true }
    }

    /// How messages name a rule: `rule 3 "deploy"`, or `rule 3` without a (string) name.
    static func ruleLabel(_ number: Int, _ table: TOMLTable) -> String {
        guard let name = table["name"]?.string else { return "rule \(number)" }
        return "rule \(number) \(quoted(LogText.oneLine(name, limit: 128)))"
    }

    /// Validates one rule in place; its reference when it is valid. The path of a valid rule
    /// allocates nothing: keys are compared as bytes, messages are built only for problems.
    mutating func readRule(_ table: TOMLTable, at index: TOMLIndex, number: Int, mapping: Mapping)
        -> RuleReference?
    {
        let errorsBefore = errorCount
        var keys = RuleKeys()
        var position = table.startIndex
        while position != table.endIndex {
            defer { position = table.index(after: position) }
            switch table[position].withKeyUTF8({ MappingLoader.ruleNames.index(of: $0) }) {
            case 0?: keys.name = position
            case 1?: keys.role = position
            case 2?: keys.match = position
            case 3?: keys.skip = position
            case 4?: keys.region = position
            case 5?: keys.duration = position
            case 6?: keys.sessionName = position
            case 7?: keys.sessionPolicy = position
            case 8?: keys.policyARNs = position
            case 9?: keys.output = position
            case 10?: keys.profile = position
            case 11?: keys.allowedAccountIDs = position
            case 12?: keys.chain = position
            default: misplacedRuleKey(table[position], number: number, in: table)
            }
        }
        let line = table.value.line
        if let name = keys.name { _ = isString(table[name].value, table[name].line, "rule \(number): `name`") }
        var skips = false
        if let skip = keys.skip {
            skips = bool(table[skip].value, table[skip].line, "\(Self.ruleLabel(number, table)): `skip`") ?? false
        }
        if skips {
            skipRule(table, keys, number: number)
        } else if let role = keys.role {
            _ = self.role(table[role].value, table[role].line, "\(Self.ruleLabel(number, table)): `role`")
        } else {
            error(
                line,
                "\(Self.ruleLabel(number, table)) has no `role`: add role = \"arn:aws:iam::<account>:role/<name>\" (or skip = true for a rule that gives the jobs it matches nothing)"
            )
        }
        readMatch(keys.match.map { table[$0] }, number: number, rule: table)
        var regionValid = false
        if let region = keys.region {
            regionValid = self.region(
                table[region].value, table[region].line, "\(Self.ruleLabel(number, table)): `region`")
        }
        if let duration = keys.duration {
            _ = integer(
                table[duration].value, table[duration].line, "\(Self.ruleLabel(number, table)): `duration`",
                range: durationLimits, unit: "seconds")
        }
        if let sessionName = keys.sessionName {
            template(
                table[sessionName].value, table[sessionName].line, "\(Self.ruleLabel(number, table)): `session_name`")
        }
        if let policy = keys.sessionPolicy {
            _ = sessionPolicy(
                table[policy].value, table[policy].line, "\(Self.ruleLabel(number, table)): `session_policy`")
        }
        if let arns = keys.policyARNs {
            checkPolicyARNs(table[arns].value, table[arns].line, "\(Self.ruleLabel(number, table)): `policy_arns`")
        }
        var ruleOutput: OutputMode?
        if let output = keys.output {
            ruleOutput = self.output(table[output].value, table[output].line, "\(Self.ruleLabel(number, table)): `output`")
        }
        if let profile = keys.profile {
            let value = table[profile].value
            if isString(value, table[profile].line, "\(Self.ruleLabel(number, table)): `profile`"),
                value.withUTF8({ $0.isEmpty || !$0.allSatisfy(Self.isProfileByte) }) == true
            {
                error(
                    table[profile].line,
                    "\(Self.ruleLabel(number, table)): `profile` \(quoted(LogText.oneLine(value.string ?? "", limit: 64))) may only use letters, digits, and _ . -"
                )
            }
        }
        if let accounts = keys.allowedAccountIDs {
            _ = accountIDs(
                table[accounts].value, table[accounts].line, "\(Self.ruleLabel(number, table)): `allowed_account_ids`")
        }
        if !skips {
            if let chain = keys.chain { readChain(table[chain], who: { Self.ruleLabel(number, table) }) }
            checkOutput(table, keys, number: number, output: ruleOutput ?? mapping.output)
            if mapping.stsFIPS, mapping.stsEndpoint == nil, regionValid, let region = keys.region,
                let name = table[region].value.string, !STS.hasFIPSEndpoint(region: name)
            {
                fipsError(table[region].line, region: name)
            }
        }
        guard errorCount == errorsBefore, let match = keys.match else { return nil }
        return RuleReference(rule: index, match: match, skips: skips)
    }

    /// A `skip = true` rule has no role and no chain; overrides do nothing in it.
    private mutating func skipRule(_ table: TOMLTable, _ keys: RuleKeys, number: Int) {
        let who = Self.ruleLabel(number, table)
        if let role = keys.role {
            error(
                table[role].line,
                "\(who) says skip = true and has a `role`: a skip rule gives the jobs it matches no credentials; remove `role` or `skip`"
            )
        }
        if let chain = keys.chain {
            error(
                table[chain].line,
                "\(who) says skip = true and has a [[rule.chain]]: a skip rule assumes no role; remove the chain or `skip`"
            )
        }
        for position in [
            keys.region, keys.duration, keys.sessionName, keys.sessionPolicy, keys.policyARNs, keys.output,
            keys.profile, keys.allowedAccountIDs,
        ] {
            guard let position else { continue }
            warning(
                table[position].line, "\(who): `\(table[position].key)` does nothing in a skip rule, which assumes no role")
        }
    }

    /// What the rule's output (`output`, its own or the top-level one) cannot honour: SDKs that
    /// assume a role from `AWS_WEB_IDENTITY_TOKEN_FILE` stop at the first role, send no
    /// session policy (the role would get more permissions than the rule says) and pick their
    /// own session length; `profile` names only matter for `output = "profile"`.
    private mutating func checkOutput(_ table: TOMLTable, _ keys: RuleKeys, number: Int, output: OutputMode) {
        if output == .webIdentity {
            if let chain = keys.chain {
                error(
                    table[chain].line,
                    "\(Self.ruleLabel(number, table)) has a [[rule.chain]] and output = \"web-identity\", which cannot carry one (AWS SDKs would stop at the first role); use output = \"env\" or \"profile\" for this rule"
                )
            }
            for position in [keys.sessionPolicy, keys.policyARNs] {
                guard let position else { continue }
                error(
                    table[position].line,
                    "\(Self.ruleLabel(number, table)): `\(table[position].key)` cannot be applied with output = \"web-identity\" (AWS SDKs assume the role without it, so the job would get the role's full permissions); use output = \"profile\" or \"env\" for this rule"
                )
            }
            if let duration = keys.duration {
                warning(
                    table[duration].line,
                    "\(Self.ruleLabel(number, table)): `duration` does not apply with output = \"web-identity\": AWS SDKs choose the session length themselves and renew the credentials before they expire"
                )
            }
        }
        if let profile = keys.profile, output != .profile {
            warning(
                table[profile].line,
                "\(Self.ruleLabel(number, table)): `profile` only applies with output = \"profile\", but this rule's output is \"\(output.rawValue)\""
            )
        }
    }

    mutating func fipsError(_ line: Int, region: String) {
        error(
            line,
            "`sts_fips = true` but STS has no FIPS endpoint in \(region) (only in \(STS.fipsRegions.sorted().joined(separator: ", ")) and GovCloud); use one of those regions or set `sts_endpoint`"
        )
    }

    static func isProfileByte(_ byte: UInt8) -> Bool {
        (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122) || (byte >= 48 && byte <= 57)
            || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
    }

    /// A key a rule does not allow: a top-level setting TOML placed in the rule because it was
    /// written below the rule's `[[rule]]`, or a typo.
    mutating func misplacedRuleKey(_ entry: TOMLTable.Entry, number: Int, in table: TOMLTable) {
        let who = Self.ruleLabel(number, table)
        let isSetting = entry.withKeyUTF8 { MappingLoader.topLevelNames.contains($0) }
        if isSetting {
            let placement =
                table.origin == .arrayOfTablesElement
                ? "TOML puts it in \(who) because it is written below that rule's [[rule]] header"
                : "it is inside \(who)"
            error(
                entry.line,
                "`\(entry.key)` is a top-level setting, but \(placement); move it above the first [[rule]]")
        } else {
            unknownKey(entry, known: MappingLoader.ruleKeys, context: " in \(who)")
        }
    }

    // MARK: Match

    mutating func readMatch(_ entry: TOMLTable.Entry?, number: Int, rule: TOMLTable) {
        guard let entry else {
            error(
                rule.value.line,
                "\(Self.ruleLabel(number, rule)) has no `match`: say which jobs it is for, e.g. match = { project_path = \"group/project\" } (a rule for every job must say so: project_path = \"**\")"
            )
            return
        }
        guard let match = entry.value.table else {
            error(
                entry.line,
                "\(Self.ruleLabel(number, rule)): `match` must be a table of claim = pattern, not \(Self.describe(entry.value))"
            )
            return
        }
        if match.isEmpty {
            error(
                entry.line,
                "\(Self.ruleLabel(number, rule)): `match` is empty; a rule for every job must say so: match = { project_path = \"**\" }"
            )
            return
        }
        for condition in match {
            let kind = condition.withKeyUTF8 { bytes -> Int in
                if MappingLoader.claimNames.contains(bytes) { return 0 }
                if MappingLoader.topLevelNames.contains(bytes) || MappingLoader.ruleNames.contains(bytes) { return 1 }
                return 2
            }
            if kind == 1 {
                misplacedMatchKey(condition, match: match, who: Self.ruleLabel(number, rule))
                continue
            }
            checkPatterns(condition, number: number, rule: rule)
            if kind == 2 {
                let name = condition.key
                var message =
                    "\(Self.ruleLabel(number, rule)): `match.\(LogText.oneLine(name, limit: 64))` is not a claim GitLab is known to send; the rule only matches tokens that have it"
                if let suggestion = Suggestion.closest(to: name, among: ClaimNames.known) {
                    message += "; did you mean `\(suggestion)`?"
                }
                warning(condition.line, message)
            }
        }
    }

    /// A rule key or setting that ended up in `match`: in a `[rule.match]` section, every key
    /// written below the header belongs to it.
    mutating func misplacedMatchKey(_ condition: TOMLTable.Entry, match: TOMLTable, who: String) {
        let key = condition.key
        let isSetting = MappingLoader.topLevelKeys.contains(key)
        let isRuleKey = MappingLoader.ruleKeys.contains(key)
        let placement =
            match.origin == .header
            ? "TOML reads it as a claim in the `match` of \(who) because it is written below [rule.match]"
            : "it is written inside the `match` of \(who), where every key is a claim"
        let advice: String
        switch (isSetting, isRuleKey) {
        case (true, true):
            advice =
                "move it above [rule.match] to set it for this rule, or above the first [[rule]] to set it for every rule"
        case (true, false):
            advice = "move it above the first [[rule]]"
        default:
            advice = match.origin == .header ? "move it above [rule.match]" : "move it out of `match`, into the rule"
        }
        let kind = isSetting && !isRuleKey ? "a top-level setting" : isSetting ? "a setting" : "a key of the rule"
        error(condition.line, "`\(key)` is \(kind), not a claim, but \(placement); \(advice)")
    }

    /// A `match` value: a string, integer or boolean, or a non-empty list of them.
    mutating func checkPatterns(_ condition: TOMLTable.Entry, number: Int, rule: TOMLTable) {
        let value = condition.value
        switch value.kind {
        case .string, .integer, .boolean:
            return
        case .array:
            guard let array = value.array, !array.isEmpty else {
                error(
                    condition.line,
                    "\(Self.ruleLabel(number, rule)): `match.\(condition.key)` is an empty list, which can never match; give at least one pattern"
                )
                return
            }
            for (index, item) in array.enumerated() {
                switch item.kind {
                case .string, .integer, .boolean: continue
                default:
                    error(
                        item.line,
                        "\(Self.ruleLabel(number, rule)): `match.\(condition.key)` item \(index + 1) must be a string, integer or boolean, not \(Self.describe(item))"
                    )
                    return
                }
            }
        default:
            error(
                condition.line,
                "\(Self.ruleLabel(number, rule)): `match.\(condition.key)` must be a string, integer, boolean or a list of them, not \(Self.describe(value))"
            )
        }
    }

    // MARK: Chains

    mutating func readChain(_ entry: TOMLTable.Entry, who: () -> String) {
        guard let array = entry.value.array else {
            error(
                entry.line,
                "\(who()): `chain` must be an array of tables: write each hop as a [[rule.chain]] section")
            return
        }
        if array.isEmpty {
            error(entry.line, "\(who()): `chain` is an empty list; remove it, or add [[rule.chain]] sections")
            return
        }
        var number = 0
        for hop in array {
            number += 1
            guard let table = hop.table else {
                error(hop.line, "\(who()): [[rule.chain]] \(number) must be a table with at least `role`")
                continue
            }
            readHop(table, label: { "\(who()), [[rule.chain]] \(number)" })
        }
    }

    mutating func readHop(_ table: TOMLTable, label: () -> String) {
        var role: TOMLTable.Entry?
        var tags: [String] = []
        var transitive: TOMLTable.Entry?
        for entry in table {
            let line = entry.line
            let value = entry.value
            switch entry.withKeyUTF8({ MappingLoader.chainNames.index(of: $0) }) {
            case 0?: role = entry
            case 1?:
                if let text = string(value, line, "\(label()): `external_id`"), !Self.isExternalID(text) {
                    error(
                        line,
                        "\(label()): `external_id` must be 2 to 1224 characters of letters, digits and + = , . @ : / - _"
                    )
                }
            case 2?:
                _ = integer(
                    value, line, "\(label()): `duration`", range: ChainHop.durationLimits,
                    unit: "seconds (AWS caps a chained session at one hour)")
            case 3?: template(value, line, "\(label()): `session_name`")
            case 4?: tags = readTags(value, line, label: label)
            case 5?: transitive = entry
            case 6?: _ = sessionPolicy(value, line, "\(label()): `session_policy`")
            case 7?: checkPolicyARNs(value, line, "\(label()): `policy_arns`")
            default:
                let key = entry.key
                if MappingLoader.topLevelKeys.contains(key) && !MappingLoader.ruleKeys.contains(key) {
                    error(
                        line,
                        "`\(key)` is a top-level setting, but TOML puts it in \(label()) because it is written below [[rule.chain]]; move it above the first [[rule]]"
                    )
                } else if MappingLoader.ruleKeys.contains(key) {
                    error(
                        line,
                        "`\(key)` is a key of the rule (or has no meaning in a hop), but TOML puts it in \(label()) because it is written below [[rule.chain]]; move it above the rule's first [[rule.chain]]"
                    )
                } else {
                    unknownKey(entry, known: MappingLoader.chainKeys, context: " in \(label())")
                }
            }
        }
        if let role {
            _ = self.role(role.value, role.line, "\(label()): `role`")
        } else {
            error(table.value.line, "\(label()) has no `role`: every hop assumes a role")
        }
        if let transitive, let keys = strings(transitive.value, transitive.line, "\(label()): `transitive_tag_keys`") {
            for key in keys where !tags.contains(key) {
                error(
                    transitive.line,
                    "\(label()): `transitive_tag_keys` names \(quoted(LogText.oneLine(key, limit: 128))), which is not a key of this hop's `tags`"
                )
            }
        }
    }

    /// `tags`: a table of session tag key -> template; the keys, when valid.
    mutating func readTags(_ value: TOMLValue, _ line: Int, label: () -> String) -> [String] {
        guard let table = value.table else {
            error(line, "\(label()): `tags` must be a table of tag key = \"template\", not \(Self.describe(value))")
            return []
        }
        if table.count > ChainHop.maximumTags {
            error(line, "\(label()): `tags` has \(table.count) tags; STS accepts at most \(ChainHop.maximumTags) per call")
        }
        var keys: [String] = []
        var folded: Set<String> = []
        for tag in table {
            let key = tag.key
            if let problem = Self.tagKeyProblem(key) {
                error(tag.line, "\(label()): tag key \(quoted(LogText.oneLine(key, limit: 128))) \(problem)")
            } else if !folded.insert(key.lowercased()).inserted {
                error(
                    tag.line,
                    "\(label()): tag key \(quoted(LogText.oneLine(key, limit: 128))) differs from another only in case; AWS treats them as one"
                )
            }
            template(tag.value, tag.line, "\(label()): tag \(quoted(LogText.oneLine(key, limit: 128)))")
            keys.append(key)
        }
        return keys
    }

    /// What AWS refuses in a session tag key, or nil.
    static func tagKeyProblem(_ key: String) -> String? {
        let count = key.unicodeScalars.count
        if count == 0 || count > SessionTag.maximumKeyLength {
            return "must have 1 to \(SessionTag.maximumKeyLength) characters"
        }
        if !key.unicodeScalars.allSatisfy(SessionTag.isAllowed) {
            return "may only use letters, digits, spaces and _ . : / = + - @"
        }
        if key.lowercased().hasPrefix("aws:") { return "starts with aws:, which AWS reserves" }
        return nil
    }

    static func isExternalID(_ text: String) -> Bool {
        (2...1224).contains(text.utf8.count)
            && text.utf8.allSatisfy { byte in
                (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122) || (byte >= 48 && byte <= 57)
                    || "+=,.@:/-_".utf8.contains(byte)
            }
    }
}

extension MappingLoader {
    /// Whether every rule of `document` that the loader's quick path accepts is one its full
    /// check accepts without a word and reads to the same conditions. For the mapping fuzz
    /// target, which checks it on every input.
    @_spi(Fuzzing) public static func quickPathAgreesWithFullCheck(_ document: TOMLDocument) -> Bool {
        guard let rules = document.root["rule"]?.array else { return true }
        for index in rules.indices {
            guard let table = rules[index].table, let match = MappingReader.plainRule(table, overrides: true) else {
                continue
            }
            var reader = MappingReader(path: "fuzz.toml")
            let reference = reader.readRule(
                table, at: index, number: 1, mapping: Mapping(issuer: "https://gitlab.example.com"))
            guard reader.diagnostics.isEmpty, reference?.match == match, reference?.skips == false else { return false }
        }
        return true
    }
}
