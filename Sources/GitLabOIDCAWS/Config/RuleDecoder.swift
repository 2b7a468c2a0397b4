import TOML

/// Builds `Rule` values from rule tables that `MappingReader` validated: every key is known
/// and has the right type and range, so reading cannot fail.
enum RuleDecoder {
    static func rule(_ table: TOMLTable, number: Int) -> Rule {
        var name: String?
        var role: RoleARN?
        var conditions: [Condition] = []
        var skips = false
        var region: String?
        var duration: Int?
        var sessionName: String?
        var sessionPolicy: String?
        var policyARNs: [String] = []
        var output: OutputMode?
        var profile: String?
        var allowedAccountIDs: [String]?
        var chain: [ChainHop] = []
        for entry in table {
            let value = entry.value
            switch entry.withKeyUTF8({ MappingLoader.ruleNames.index(of: $0) }) {
            case 0?: name = value.string
            case 1?: role = value.string.flatMap(RoleARN.init)
            case 2?: conditions = value.table.map(Self.conditions) ?? []
            case 3?: skips = value.boolean ?? false
            case 4?: region = value.string
            case 5?: duration = value.integer.map { Int($0) }
            case 6?: sessionName = value.string
            case 7?: sessionPolicy = policy(value)
            case 8?: policyARNs = strings(value)
            case 9?: output = value.string.flatMap(OutputMode.init(rawValue:))
            case 10?: profile = value.string
            case 11?: allowedAccountIDs = strings(value)
            case 12?: chain = value.array?.compactMap { $0.table.map(hop) } ?? []
            default: break
            }
        }
        let line = table.value.line
        if skips {
            return Rule(number: number, line: line, name: name, conditions: conditions, action: .skip)
        }
        guard let role else { preconditionFailure("rule \(number) was validated with a role") }
        return Rule(
            number: number, line: line, name: name, role: role, conditions: conditions, region: region,
            duration: duration, sessionName: sessionName, sessionPolicy: sessionPolicy, policyARNs: policyARNs,
            output: output, profile: profile, chain: chain, allowedAccountIDs: allowedAccountIDs)
    }

    static func conditions(_ match: TOMLTable) -> [Condition] {
        match.map { entry in Condition(claim: entry.key, patterns: patterns(entry.value), line: entry.line) }
    }

    static func patterns(_ value: TOMLValue) -> [Pattern] {
        if let array = value.array { return array.compactMap(pattern) }
        return pattern(value).map { [$0] } ?? []
    }

    /// A scalar as a pattern: integers and booleans as their string form.
    static func pattern(_ value: TOMLValue) -> Pattern? {
        if let text = value.string { return Pattern(text) }
        if let integer = value.integer { return Pattern(String(integer)) }
        if let flag = value.boolean { return Pattern(flag ? "true" : "false") }
        return nil
    }

    /// A string or a list of strings.
    static func strings(_ value: TOMLValue) -> [String] {
        if let text = value.string { return [text] }
        return value.array?.compactMap(\.string) ?? []
    }

    /// `session_policy` as compact JSON.
    static func policy(_ value: TOMLValue) -> String? {
        if let text = value.string { return (try? JSONValue.parse(text))?.compactText }
        return MappingReader.jsonValue(of: value).compactText
    }

    static func hop(_ table: TOMLTable) -> ChainHop {
        var role: RoleARN?
        var externalID: String?
        var duration: Int?
        var sessionName: String?
        var tags: [SessionTagTemplate] = []
        var transitive: [String] = []
        var sessionPolicy: String?
        var policyARNs: [String] = []
        for entry in table {
            let value = entry.value
            switch entry.withKeyUTF8({ MappingLoader.chainNames.index(of: $0) }) {
            case 0?: role = value.string.flatMap(RoleARN.init)
            case 1?: externalID = value.string
            case 2?: duration = value.integer.map { Int($0) }
            case 3?: sessionName = value.string
            case 4?:
                tags = value.table?.map { SessionTagTemplate(key: $0.key, value: $0.value.string ?? "") } ?? []
            case 5?: transitive = strings(value)
            case 6?: sessionPolicy = policy(value)
            case 7?: policyARNs = strings(value)
            default: break
            }
        }
        guard let role else { preconditionFailure("a chain hop was validated with a role") }
        return ChainHop(
            role: role, externalID: externalID, duration: duration, sessionName: sessionName, tags: tags,
            transitiveTagKeys: transitive, sessionPolicy: sessionPolicy, policyARNs: policyARNs,
            line: table.value.line)
    }
}
