import TOMLKit

/// A mapping file that loaded without errors, with the warnings found while loading.
public struct LoadedMapping: Sendable {
    public let mapping: Mapping
    public let warnings: [ConfigDiagnostic]
    /// Where each key stands in the file, for later findings (`check`).
    public let keyLines: TOMLKeyLines
}

/// Loads and validates the mapping file. `hook`, `check`, `explain` and `trust-policy` all go
/// through here, so they agree on what a valid file is.
public enum MappingLoader {
    /// The keys allowed at the top level of the mapping file.
    public static let topLevelKeys = [
        "issuer", "audience", "token_variables", "jwks_url", "cache_dir", "region", "sts_endpoint", "sts_fips",
        "ca_file", "duration", "session_name", "output", "block_instance_metadata", "on_no_token", "on_no_match",
        "max_attempts", "deadline", "connect_timeout", "request_timeout", "rule",
    ]

    /// The keys allowed in a `[[rule]]`.
    public static let ruleKeys = [
        "name", "role", "match", "region", "duration", "session_name", "session_policy", "policy_arns", "output",
        "profile",
    ]

    /// Reads and validates the mapping file at `path`.
    public static func load(path: String) throws(ConfigError) -> LoadedMapping {
        try parse(
            source: String(decoding: try readSource(path: path).bytes, as: UTF8.self), path: path,
            parserGuard: .childProcess)
    }

    /// The mapping file's bytes, and who owns it.
    public static func readSource(path: String) throws(ConfigError) -> (bytes: [UInt8], ownership: FileSystem.Ownership) {
        do {
            return try FileSystem.readWithOwnership(path, limit: 256 << 20)
        } catch {
            throw ConfigError(diagnostics: [
                ConfigDiagnostic(
                    file: path, line: 0, severity: .error,
                    message:
                        "\(error.description); check the --config path and that the user running the hook can read it")
            ])
        }
    }

    /// Validates mapping-file text; `path` is used in messages only. `parserGuard` says how a
    /// document that makes the TOML parser abort is refused (see `TOMLParserGuard`); guarded
    /// parsing is only for single-threaded callers.
    public static func parse(source: String, path: String, parserGuard: TOMLParserGuard = .none) throws(ConfigError)
        -> LoadedMapping
    {
        let keyLines = TOMLKeyLines(source: source)
        if let header = keyLines.malformedHeader {
            throw ConfigError(diagnostics: [
                ConfigDiagnostic(
                    file: path, line: header.line, severity: .error,
                    message:
                        "not valid TOML: a table header must start with a key (letters, digits, _ and -, or a quoted key), found \(header.found) (column \(header.column))"
                )
            ])
        }
        if parserGuard == .childProcess && !TOMLSandbox.parserSurvives(source) {
            throw ConfigError(diagnostics: [
                ConfigDiagnostic(
                    file: path, line: TOMLSandbox.crashingLine(source) ?? 1, severity: .error,
                    message:
                        "not valid TOML: the TOML parser stopped on this line without saying why; look for a malformed date, time, number, key or table header"
                )
            ])
        }
        let table: TOMLTable
        do {
            if parserGuard == .exitOnAbort {
                table = try TOMLSandbox.exitingOnAbort(path: path) { try TOMLTable(string: source) }
            } else {
                table = try TOMLTable(string: source)
            }
        } catch let error as TOMLParseError {
            throw ConfigError(diagnostics: [
                ConfigDiagnostic(
                    file: path, line: error.source.begin.line, severity: .error,
                    message: "not valid TOML: \(error.description) (column \(error.source.begin.column))")
            ])
        } catch {
            throw ConfigError(diagnostics: [
                ConfigDiagnostic(file: path, line: 1, severity: .error, message: "not valid TOML: \(error)")
            ])
        }
        var reader = Reader(path: path, keyLines: keyLines)
        let mapping = reader.readMapping(KeyedTable(table))
        let sorted = reader.diagnostics.sortedByLine()
        if sorted.contains(where: { $0.severity == .error }) { throw ConfigError(diagnostics: sorted) }
        return LoadedMapping(mapping: mapping, warnings: sorted, keyLines: reader.keyLines)
    }

    /// Walks the parsed TOML, collecting every problem rather than stopping at the first.
    private struct Reader {
        let path: String
        let keyLines: TOMLKeyLines
        var diagnostics: [ConfigDiagnostic] = []
        /// How many of `diagnostics` are errors.
        var errorCount = 0

        init(path: String, keyLines: TOMLKeyLines) {
            self.path = path
            self.keyLines = keyLines
        }

        mutating func error(_ keyPath: String, _ message: String) {
            diagnostics.append(
                ConfigDiagnostic(file: path, line: keyLines.nearestLine(of: keyPath), severity: .error, message: message))
            errorCount += 1
        }

        mutating func warning(_ keyPath: String, _ message: String) {
            diagnostics.append(
                ConfigDiagnostic(file: path, line: keyLines.nearestLine(of: keyPath), severity: .warning, message: message))
        }

        /// Reports keys of `table` that are not in `known`, with a suggestion for typos.
        mutating func rejectUnknownKeys(_ table: KeyedTable, known: [String], prefix: String, context: String) {
            for key in table.keys where !known.contains(key) {
                var message = "unknown key `\(key)`\(context)"
                if let suggestion = Suggestion.closest(to: key, among: known) {
                    message += "; did you mean `\(suggestion)`?"
                } else {
                    message += "; allowed keys: \(known.joined(separator: ", "))"
                }
                error(prefix.isEmpty ? key : "\(prefix).\(key)", message)
            }
        }

        // MARK: Typed accessors

        mutating func string(_ table: KeyedTable, _ key: String, at keyPath: @autoclosure () -> String, _ label: @autoclosure () -> String) -> String? {
            guard let value = table[key] else { return nil }
            guard let text = value.string else {
                error(keyPath(), "\(label()) must be a string, not \(describe(value))")
                return nil
            }
            return text
        }

        mutating func integer(
            _ table: KeyedTable, _ key: String, at keyPath: @autoclosure () -> String, _ label: @autoclosure () -> String, range: ClosedRange<Int>,
            unit: String
        ) -> Int? {
            guard let value = table[key] else { return nil }
            guard let number = value.int else {
                error(keyPath(), "\(label()) must be an integer (\(unit)), not \(describe(value))")
                return nil
            }
            guard range.contains(number) else {
                error(keyPath(), "\(label()) is \(number) but must be between \(range.lowerBound) and \(range.upperBound) \(unit)")
                return nil
            }
            return number
        }

        mutating func seconds(_ table: KeyedTable, _ key: String, range: ClosedRange<Double>) -> Double? {
            guard let value = table[key] else { return nil }
            let number: Double
            if let int = value.int {
                number = Double(int)
            } else if let double = value.double {
                number = double
            } else {
                error(key, "`\(key)` must be a number of seconds, not \(describe(value))")
                return nil
            }
            guard range.contains(number) else {
                error(key, "`\(key)` is \(number) but must be between \(range.lowerBound) and \(range.upperBound) seconds")
                return nil
            }
            return number
        }

        mutating func bool(_ table: KeyedTable, _ key: String, at keyPath: @autoclosure () -> String, _ label: @autoclosure () -> String) -> Bool? {
            guard let value = table[key] else { return nil }
            guard let flag = value.bool else {
                error(keyPath(), "\(label()) must be true or false, not \(describe(value))")
                return nil
            }
            return flag
        }

        mutating func choice<Choice: RawRepresentable & CaseIterable>(
            _ table: KeyedTable, _ key: String, at keyPath: @autoclosure () -> String, _ label: @autoclosure () -> String, as _: Choice.Type
        ) -> Choice? where Choice.RawValue == String {
            guard let text = string(table, key, at: keyPath(), label()) else { return nil }
            guard let value = Choice(rawValue: text) else {
                let allowed = Choice.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: " or ")
                error(keyPath(), "\(label()) is \"\(text)\" but must be \(allowed)")
                return nil
            }
            return value
        }

        /// A string or a list of strings.
        mutating func strings(_ table: KeyedTable, _ key: String, at keyPath: @autoclosure () -> String, _ label: @autoclosure () -> String) -> [String]? {
            guard let value = table[key] else { return nil }
            if let text = value.string { return [text] }
            guard let array = value.array else {
                error(keyPath(), "\(label()) must be a string or a list of strings, not \(describe(value))")
                return nil
            }
            var result: [String] = []
            for (index, item) in array.enumerated() {
                guard let text = item.string else {
                    error(keyPath(), "\(label()): item \(index + 1) must be a string, not \(describe(item))")
                    return nil
                }
                result.append(text)
            }
            if result.isEmpty {
                error(keyPath(), "\(label()) must not be an empty list")
                return nil
            }
            return result
        }

        mutating func url(_ table: KeyedTable, _ key: String, at keyPath: @autoclosure () -> String, _ label: @autoclosure () -> String) -> String? {
            guard let text = string(table, key, at: keyPath(), label()) else { return nil }
            switch EndpointURL.parse(text) {
            case .success: return text
            case let .failure(problem):
                error(keyPath(), "\(label()) \"\(text)\" \(problem)")
                return nil
            }
        }

        func describe(_ value: TOMLValueConvertible) -> String {
            switch value.type {
            case .table: return "a table"
            case .array: return "a list"
            case .string: return "a string"
            case .int: return "an integer"
            case .double: return "a number with a fraction"
            case .bool: return "a boolean"
            default: return "a date or time"
            }
        }

        // MARK: The mapping

        mutating func readMapping(_ table: KeyedTable) -> Mapping {
            rejectUnknownKeys(table, known: MappingLoader.topLevelKeys, prefix: "", context: " at the top level")
            var mapping = Mapping(issuer: "")
            mapping.path = path

            if table["issuer"] == nil {
                error("issuer", "`issuer` is required: the URL of your GitLab instance, e.g. issuer = \"https://gitlab.example.com\"")
            } else if let issuer = url(table, "issuer", at: "issuer", "`issuer`") {
                mapping.issuer = issuer
            }
            if let audiences = strings(table, "audience", at: "audience", "`audience`") {
                mapping.audiences = audiences
            }
            if let variables = strings(table, "token_variables", at: "token_variables", "`token_variables`") {
                for name in variables where !isEnvironmentName(name) {
                    error("token_variables", "`token_variables`: \"\(name)\" is not a valid environment variable name")
                }
                mapping.tokenVariables = variables
            }
            mapping.jwksURL = url(table, "jwks_url", at: "jwks_url", "`jwks_url`")
            if let directory = string(table, "cache_dir", at: "cache_dir", "`cache_dir`") {
                if directory.isEmpty || !directory.hasPrefix("/") {
                    error("cache_dir", "`cache_dir` must be an absolute path")
                } else {
                    mapping.cacheDirectory = directory
                }
            }
            if let region = regionValue(table, at: "region", "`region`") { mapping.region = region }
            if let endpoint = string(table, "sts_endpoint", at: "sts_endpoint", "`sts_endpoint`"), !endpoint.isEmpty {
                mapping.stsEndpoint = url(table, "sts_endpoint", at: "sts_endpoint", "`sts_endpoint`")
            }
            mapping.stsFIPS = bool(table, "sts_fips", at: "sts_fips", "`sts_fips`") ?? false
            if let caFile = string(table, "ca_file", at: "ca_file", "`ca_file`") {
                if !FileSystem.isReadableFile(caFile) {
                    error("ca_file", "`ca_file` \"\(caFile)\" is not a readable file; give the path of a PEM bundle")
                } else if let text = try? FileSystem.readText(caFile, limit: 16 << 20),
                    text.contains("-----BEGIN CERTIFICATE-----")
                {
                    mapping.caFile = caFile
                } else {
                    error("ca_file", "`ca_file` \"\(caFile)\" holds no PEM certificate (-----BEGIN CERTIFICATE-----)")
                }
            }
            if let duration = integer(
                table, "duration", at: "duration", "`duration`", range: durationLimits, unit: "seconds")
            {
                mapping.duration = duration
            }
            if let template = string(table, "session_name", at: "session_name", "`session_name`") {
                checkTemplate(template, at: "session_name", "`session_name`")
                mapping.sessionName = template
            }
            if let output = choice(table, "output", at: "output", "`output`", as: OutputMode.self) {
                mapping.output = output
            }
            mapping.blockInstanceMetadata =
                bool(table, "block_instance_metadata", at: "block_instance_metadata", "`block_instance_metadata`")
                ?? false
            if let policy = choice(table, "on_no_token", at: "on_no_token", "`on_no_token`", as: MissPolicy.self) {
                mapping.onNoToken = policy
            }
            if let policy = choice(table, "on_no_match", at: "on_no_match", "`on_no_match`", as: MissPolicy.self) {
                mapping.onNoMatch = policy
            }
            if let attempts = integer(
                table, "max_attempts", at: "max_attempts", "`max_attempts`", range: RetrySettings.attemptLimits,
                unit: "attempts")
            {
                mapping.retry.maxAttempts = attempts
            }
            if let deadline = seconds(table, "deadline", range: RetrySettings.deadlineLimits) {
                mapping.retry.deadline = deadline
            }
            if let timeout = seconds(table, "connect_timeout", range: RetrySettings.connectTimeoutLimits) {
                mapping.retry.connectTimeout = timeout
            }
            if let timeout = seconds(table, "request_timeout", range: RetrySettings.requestTimeoutLimits) {
                mapping.retry.requestTimeout = timeout
            }
            if mapping.retry.connectTimeout > mapping.retry.requestTimeout {
                error("connect_timeout", "`connect_timeout` must not be longer than `request_timeout`")
            }

            mapping.rules = readRules(table)
            checkOutputs(mapping)
            checkFIPS(mapping)
            return mapping
        }

        /// `sts_fips` needs a FIPS endpoint in every region a rule can use, unless
        /// `sts_endpoint` names the endpoint.
        mutating func checkFIPS(_ mapping: Mapping) {
            guard mapping.stsFIPS, mapping.stsEndpoint == nil else { return }
            let regions = [("sts_fips", mapping.region)] + mapping.rules.compactMap { rule in
                rule.assumption?.region.map { ("rule[\(rule.number)].region", $0) }
            }
            for (keyPath, region) in regions where !STS.hasFIPSEndpoint(region: region) {
                error(
                    keyPath,
                    "`sts_fips = true` but STS has no FIPS endpoint in \(region) (only in \(STS.fipsRegions.sorted().joined(separator: ", ")) and GovCloud); use one of those regions or set `sts_endpoint`"
                )
            }
        }

        /// What a rule's output cannot honour: SDKs that assume a role from
        /// `AWS_WEB_IDENTITY_TOKEN_FILE` send no session policy (the role would get more
        /// permissions than the rule says) and pick their own session length; `profile` names
        /// only matter for `output = "profile"`.
        mutating func checkOutputs(_ mapping: Mapping) {
            for rule in mapping.rules {
                guard let assumption = rule.assumption else { continue }
                let prefix = "rule[\(rule.number)]"
                let output = EffectiveSettings(assumption, of: rule, mapping: mapping).output
                if output == .webIdentity {
                    for (key, isSet) in [
                        ("session_policy", assumption.sessionPolicy != nil), ("policy_arns", !assumption.policyARNs.isEmpty),
                    ]
                    where isSet {
                        error(
                            "\(prefix).\(key)",
                            "\(rule.label): `\(key)` cannot be applied with output = \"web-identity\" (AWS SDKs assume the role without it, so the job would get the role's full permissions); use output = \"profile\" or \"env\" for this rule"
                        )
                    }
                    if assumption.duration != nil {
                        warning(
                            "\(prefix).duration",
                            "\(rule.label): `duration` does not apply with output = \"web-identity\": AWS SDKs choose the session length themselves and renew the credentials before they expire"
                        )
                    }
                }
                if assumption.profile != nil && output != .profile {
                    warning(
                        "\(prefix).profile",
                        "\(rule.label): `profile` only applies with output = \"profile\", but this rule's output is \"\(output.rawValue)\"")
                }
            }
        }

        mutating func regionValue(
            _ table: KeyedTable, at keyPath: @autoclosure () -> String, _ label: @autoclosure () -> String
        ) -> String? {
            guard let region = string(table, "region", at: keyPath(), label()) else { return nil }
            guard AWSRegion.isValid(region) else {
                error(keyPath(), "\(label()) \"\(region)\" is not an AWS region name like \"us-east-1\" or \"eu-central-1\"")
                return nil
            }
            return region
        }

        mutating func checkTemplate(
            _ template: String, at keyPath: @autoclosure () -> String, _ label: @autoclosure () -> String
        ) {
            switch SessionName.placeholders(in: template) {
            case let .success(names):
                for name in names where !ClaimNames.known.contains(name) {
                    warning(keyPath(), "\(label()) uses {\(name)}, which is not a GitLab ID token claim; it will render empty")
                }
            case let .failure(problem):
                error(keyPath(), "\(label()) \"\(template)\": \(problem)")
            }
        }

        func isEnvironmentName(_ name: String) -> Bool {
            guard let first = name.utf8.first, !(first >= 48 && first <= 57) else { return false }
            return name.utf8.allSatisfy { byte in
                (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122) || (byte >= 48 && byte <= 57) || byte == 95
            }
        }

        // MARK: Rules

        mutating func readRules(_ table: KeyedTable) -> [Rule] {
            guard let value = table["rule"] else {
                warning("issuer", "the mapping has no [[rule]]: every job will get \(describeSkip())")
                return []
            }
            guard let array = value.array else {
                error("rule", "`rule` must be an array of tables: write each rule as a [[rule]] section")
                return []
            }
            var rules: [Rule] = []
            let ruleLines = keyLines.child(keyLines.root, "rule")
            for (index, item) in array.enumerated() {
                let number = index + 1
                guard let ruleTable = item.table else {
                    error("rule", "rule \(number) must be a table: write each rule as a [[rule]] section")
                    continue
                }
                if let rule = readRule(
                    KeyedTable(ruleTable), number: number, lines: keyLines.item(ruleLines, number) ?? ruleLines)
                {
                    rules.append(rule)
                }
            }
            return rules
        }

        func describeSkip() -> String { "no credentials from the hook" }

        /// Reads `[[rule]]` number `number`; `lines` is its node in `keyLines`.
        mutating func readRule(_ table: KeyedTable, number: Int, lines: TOMLKeyLines.Node?) -> Rule? {
            let prefix = "rule[\(number)]"
            let name = string(table, "name", at: "\(prefix).name", "rule \(number): `name`")
            let who = name.map { "rule \(number) \"\($0)\"" } ?? "rule \(number)"
            let before = errorCount
            rejectUnknownKeys(table, known: MappingLoader.ruleKeys, prefix: prefix, context: " in \(who)")

            var role: RoleARN?
            if table["role"] == nil {
                error(prefix, "\(who) has no `role`: add role = \"arn:aws:iam::<account>:role/<name>\"")
            } else if let text = string(table, "role", at: "\(prefix).role", "\(who): `role`") {
                role = RoleARN(text)
                if role == nil {
                    error(
                        "\(prefix).role",
                        "\(who): `role` \"\(text)\" is not an IAM role ARN like \"arn:aws:iam::111122223333:role/deploy\"")
                }
            }
            let conditions = readMatch(table, prefix: prefix, who: who, lines: lines)
            let region = regionValue(table, at: "\(prefix).region", "\(who): `region`")
            let duration = integer(
                table, "duration", at: "\(prefix).duration", "\(who): `duration`", range: durationLimits, unit: "seconds")
            let sessionName = string(table, "session_name", at: "\(prefix).session_name", "\(who): `session_name`")
            if let sessionName { checkTemplate(sessionName, at: "\(prefix).session_name", "\(who): `session_name`") }
            let sessionPolicy = readSessionPolicy(table, prefix: prefix, who: who)
            let policyARNs = readPolicyARNs(table, prefix: prefix, who: who)
            let output = choice(table, "output", at: "\(prefix).output", "\(who): `output`", as: OutputMode.self)
            let profile = string(table, "profile", at: "\(prefix).profile", "\(who): `profile`")
            if let profile, profile.isEmpty || !profile.utf8.allSatisfy(isProfileByte) {
                error("\(prefix).profile", "\(who): `profile` \"\(profile)\" may only use letters, digits, and _ . -")
            }

            guard errorCount == before, let role else { return nil }
            return Rule(
                number: number, line: keyLines.nearestLine(lines), name: name, role: role, conditions: conditions,
                region: region, duration: duration, sessionName: sessionName, sessionPolicy: sessionPolicy,
                policyARNs: policyARNs, output: output, profile: profile)
        }

        func isProfileByte(_ byte: UInt8) -> Bool {
            (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122) || (byte >= 48 && byte <= 57)
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
        }

        mutating func readMatch(_ table: KeyedTable, prefix: String, who: String, lines: TOMLKeyLines.Node?)
            -> [Condition]
        {
            guard let value = table["match"] else {
                error(
                    prefix,
                    "\(who) has no `match`: say which jobs it is for, e.g. match = { project_path = \"group/project\" } (a rule for every job must say so: project_path = \"**\")"
                )
                return []
            }
            guard let match = value.table else {
                error("\(prefix).match", "\(who): `match` must be a table of claim = pattern, not \(describe(value))")
                return []
            }
            if match.isEmpty {
                error(
                    "\(prefix).match",
                    "\(who): `match` is empty; a rule for every job must say so: match = { project_path = \"**\" }")
                return []
            }
            // TOMLKit lists keys sorted by name; conditions keep the file's order.
            let matchLines = keyLines.child(lines, "match")
            var conditions: [(ordinal: Int, condition: Condition)] = []
            for claim in match.keys {
                let keyPath = { "\(prefix).match.\(claim)" }
                guard let patterns = readPatterns(match[claim]!, at: keyPath(), who: who, claim: claim) else { continue }
                if !ClaimNames.known.contains(claim) {
                    var message = "\(who): `match.\(claim)` is not a claim GitLab is known to send; the rule only matches tokens that have it"
                    if let suggestion = Suggestion.closest(to: claim, among: ClaimNames.known) {
                        message += "; did you mean `\(suggestion)`?"
                    }
                    warning(keyPath(), message)
                }
                let claimLines = keyLines.child(matchLines, claim)
                let line = keyLines.nearestLine(claimLines ?? matchLines ?? lines)
                conditions.append((keyLines.ordinal(claimLines), Condition(claim: claim, patterns: patterns, line: line)))
            }
            return conditions.sorted { $0.ordinal < $1.ordinal }.map(\.condition)
        }

        mutating func readPatterns(
            _ value: TOMLValueConvertible, at keyPath: @autoclosure () -> String, who: String, claim: String
        )
            -> [Pattern]?
        {
            if let pattern = scalarPattern(value) { return [pattern] }
            guard let array = value.array else {
                error(keyPath(), "\(who): `match.\(claim)` must be a string, integer, boolean or a list of them, not \(describe(value))")
                return nil
            }
            var patterns: [Pattern] = []
            for (index, item) in array.enumerated() {
                guard let pattern = scalarPattern(item) else {
                    error(keyPath(), "\(who): `match.\(claim)` item \(index + 1) must be a string, integer or boolean, not \(describe(item))")
                    return nil
                }
                patterns.append(pattern)
            }
            if patterns.isEmpty {
                error(keyPath(), "\(who): `match.\(claim)` is an empty list, which can never match; give at least one pattern")
                return nil
            }
            return patterns
        }

        func scalarPattern(_ value: TOMLValueConvertible) -> Pattern? {
            if let text = value.string { return Pattern(text) }
            if let int = value.int { return Pattern(String(int)) }
            if let flag = value.bool { return Pattern(flag ? "true" : "false") }
            return nil
        }

        mutating func readSessionPolicy(_ table: KeyedTable, prefix: String, who: String) -> String? {
            guard let value = table["session_policy"] else { return nil }
            let keyPath = "\(prefix).session_policy"
            let json: JSONValue
            if let text = value.string {
                do {
                    json = try JSONValue.parse(text)
                } catch {
                    self.error(keyPath, "\(who): `session_policy` is not valid JSON: \(error)")
                    return nil
                }
            } else if let policyTable = value.table {
                json = jsonValue(of: policyTable)
            } else {
                error(keyPath, "\(who): `session_policy` must be a JSON string or a TOML table, not \(describe(value))")
                return nil
            }
            guard json.objectMembers != nil else {
                error(keyPath, "\(who): `session_policy` must be a JSON object (a policy document)")
                return nil
            }
            let compact = json.compactText
            if compact.utf8.count > 2048 {
                error(
                    keyPath,
                    "\(who): `session_policy` is \(compact.utf8.count) characters as compact JSON; STS accepts at most 2048")
                return nil
            }
            return compact
        }

        func jsonValue(of value: TOMLValueConvertible) -> JSONValue {
            if let table = value.table {
                return .object(table.keys.map { ($0, jsonValue(of: table[$0]!)) })
            }
            if let array = value.array { return .array(array.map { jsonValue(of: $0) }) }
            if let text = value.string { return .string(text) }
            if let int = value.int { return .integer(Int64(int)) }
            if let double = value.double { return .real(double) }
            if let flag = value.bool { return .bool(flag) }
            return .string(value.debugDescription)
        }

        mutating func readPolicyARNs(_ table: KeyedTable, prefix: String, who: String) -> [String] {
            guard let arns = strings(table, "policy_arns", at: "\(prefix).policy_arns", "\(who): `policy_arns`") else {
                return []
            }
            let keyPath = "\(prefix).policy_arns"
            if arns.count > 10 {
                error(keyPath, "\(who): `policy_arns` has \(arns.count) ARNs; STS accepts at most 10")
            }
            for arn in arns {
                let parts = arn.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
                let valid = parts.count == 6 && parts[0] == "arn" && parts[2] == "iam" && parts[5].hasPrefix("policy/")
                    && parts[5].count > "policy/".count
                if !valid {
                    error(keyPath, "\(who): `policy_arns`: \"\(arn)\" is not an IAM policy ARN like \"arn:aws:iam::aws:policy/ReadOnlyAccess\"")
                }
            }
            return arns
        }
    }
}

/// A TOML table with its keys read once, so that looking up a key the table lacks (most of
/// the optional keys of most rules) does not cross into the C++ parser.
private struct KeyedTable {
    let table: TOMLTable
    let keys: [String]

    init(_ table: TOMLTable) {
        self.table = table
        keys = table.keys
    }

    subscript(key: String) -> TOMLValueConvertible? {
        guard keys.contains(key) else { return nil }
        let value: TOMLValueConvertible? = table[key]
        return value
    }
}
