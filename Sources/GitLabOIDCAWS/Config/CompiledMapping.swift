/// A compiled mapping file could not be used: damaged, from another version, or not made from
/// the mapping file next to it. The hook then reads the TOML file instead.
public enum CompiledMappingError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The bytes end before a value that should be there, or an offset points outside them.
    case truncated
    /// Not a compiled mapping at all.
    case notCompiledMapping
    /// Written by a version of the program that used another layout.
    case unsupportedVersion(UInt32)
    /// The checksum over the contents does not match: the file was changed after compiling.
    case checksumMismatch
    /// Compiled from other mapping-file contents than the ones read now.
    case sourceMismatch
    /// A value that no compiler writes (an unknown enumeration code, invalid UTF-8, ...).
    case invalidValue(String)

    public var description: String {
        switch self {
        case .truncated: return "it is truncated"
        case .notCompiledMapping: return "it is not a compiled mapping"
        case let .unsupportedVersion(version): return "it has layout version \(version), this program reads \(CompiledMapping.formatVersion)"
        case .checksumMismatch: return "its checksum does not match its contents (changed after compiling)"
        case .sourceMismatch: return "it was compiled from other contents of the mapping file (out of date)"
        case let .invalidValue(what): return "it holds an invalid \(what)"
        }
    }
}

/// The mapping in a binary form that the hook can use without parsing TOML.
///
/// `gitlab-oidc-aws compile` writes it from a mapping that loaded without errors; the hook
/// decodes the top-level settings at once and then tests rules straight from the bytes, in
/// file order, decoding only the rule that matches. Every read is bounds-checked, so any
/// bytes at all give either a mapping or a `CompiledMappingError`, never a crash.
///
/// Layout (little-endian; a string is a `u32` byte count then UTF-8 bytes; an optional value
/// is a `u8` 0 or 1 then the value; a list is a `u32` count then the items):
///
///     magic "GOAWSMAP"  u32 version  u32 total length  [32] SHA-256 of the mapping file
///     settings: issuer, audience list, token_variables list, jwks_url?, cache_dir?, region,
///               sts_endpoint?, u8 sts_fips, ca_file?, u32 duration, session_name, u8 output,
///               u8 block_instance_metadata, u8 on_no_token, u8 on_no_match,
///               u32 max_attempts, f64 deadline, f64 connect_timeout, f64 request_timeout,
///               f64 initial backoff, u8 mode, help?, allowed_account_ids? (list)
///     claims:   list of the claim names the rules test
///     rules:    u32 count, then count × u32 offset of each rule record
///     records:  u32 condition count, each: u32 claim index, u32 line, list of pattern strings;
///               then u32 number, u32 line, name?, u8 action (0 skip, 1 assume); for assume:
///               role, region?, duration? (u32), session_name?, session_policy?, policy_arns
///               list, output? (u8), profile?, allowed_account_ids? (list), u32 chain count, each
///               hop: role, external_id?, duration? (u32), session_name?, u32 tag count ×
///               (key, value), transitive_tag_keys list, session_policy?, policy_arns list,
///               u32 line
///     [32] SHA-256 of everything before it
public struct CompiledMapping: Sendable {
    /// The layout version this program writes and reads.
    public static let formatVersion: UInt32 = 2
    static let magic = Array("GOAWSMAP".utf8)
    static let headerSize = 8 + 4 + 4 + 32
    static let digestSize = 32

    /// The top-level settings; `rules` is empty (rules are decoded on demand).
    public let settings: Mapping
    /// How many rules the mapping has.
    public let ruleCount: Int
    private let bytes: [UInt8]
    private let claimNames: [String]
    private let ruleTable: Int

    /// Where the compiled form of the mapping file `path` lives: next to it.
    public static func path(for mappingPath: String) -> String { mappingPath + ".compiled" }

    /// Decodes `bytes` compiled from a mapping file whose contents hash to `sourceDigest`
    /// (SHA-256); `path` is the mapping file's, for messages. Checks the header, the checksum
    /// and the settings; rules are checked when they are read.
    public init(bytes: [UInt8], sourceDigest: [UInt8], path: String) throws(CompiledMappingError) {
        guard bytes.count >= CompiledMapping.headerSize + CompiledMapping.digestSize else {
            throw bytes.starts(with: CompiledMapping.magic) || CompiledMapping.magic.starts(with: bytes)
                ? .truncated : .notCompiledMapping
        }
        guard bytes.starts(with: CompiledMapping.magic) else { throw .notCompiledMapping }
        var reader = ByteReader(bytes: bytes, position: CompiledMapping.magic.count)
        let version = try reader.u32()
        guard version == CompiledMapping.formatVersion else { throw .unsupportedVersion(version) }
        guard try reader.u32() == bytes.count else { throw .truncated }
        let bodyEnd = bytes.count - CompiledMapping.digestSize
        guard Digest.sha256(bytes[..<bodyEnd]) == Array(bytes[bodyEnd...]) else { throw .checksumMismatch }
        guard try reader.bytes(32).elementsEqual(sourceDigest) else { throw .sourceMismatch }
        reader.end = bodyEnd

        var settings = Mapping(issuer: try reader.string())
        settings.path = path
        settings.audiences = try reader.strings()
        settings.tokenVariables = try reader.strings()
        settings.jwksURL = try reader.optional { r throws(CompiledMappingError) in try r.string() }
        settings.cacheDirectory = try reader.optional { r throws(CompiledMappingError) in try r.string() }
        settings.region = try reader.string()
        settings.stsEndpoint = try reader.optional { r throws(CompiledMappingError) in try r.string() }
        settings.stsFIPS = try reader.flag()
        settings.caFile = try reader.optional { r throws(CompiledMappingError) in try r.string() }
        settings.duration = Int(try reader.u32())
        settings.sessionName = try reader.string()
        settings.output = try reader.choice(OutputMode.self)
        settings.blockInstanceMetadata = try reader.flag()
        settings.onNoToken = try reader.choice(MissPolicy.self)
        settings.onNoMatch = try reader.choice(MissPolicy.self)
        settings.retry.maxAttempts = Int(try reader.u32())
        settings.retry.deadline = try reader.f64()
        settings.retry.connectTimeout = try reader.f64()
        settings.retry.requestTimeout = try reader.f64()
        settings.retry.initialBackoff = try reader.f64()
        settings.mode = try reader.choice(HookMode.self)
        settings.help = try reader.optional { r throws(CompiledMappingError) in try r.string() }
        settings.allowedAccountIDs = try reader.optional { r throws(CompiledMappingError) in try r.strings() }
        // A compiler writes only what the loader accepted; anything else is damage or forgery.
        guard settings.retry.isWithinLimits else { throw .invalidValue("retry or timeout setting") }
        guard durationLimits.contains(settings.duration) else { throw .invalidValue("duration") }
        self.settings = settings
        claimNames = try reader.strings()
        let count = Int(try reader.u32())
        guard count <= (reader.end - reader.position) / 4 else { throw .truncated }
        ruleCount = count
        ruleTable = reader.position
        self.bytes = bytes
    }

    /// The first rule, in file order, whose conditions all hold for `claims`: the same answer
    /// as `RuleMatcher.firstMatch` on the mapping it was compiled from.
    public func firstMatch(claims: Claims) throws(CompiledMappingError) -> Rule? {
        try matchingIndices(claims: claims, firstOnly: true).first.map { index throws(CompiledMappingError) in
            try rule(at: index)
        }
    }

    /// Every rule whose conditions all hold for `claims`, in file order: the same answer as
    /// `RuleMatcher.allMatches` on the mapping it was compiled from.
    public func allMatches(claims: Claims) throws(CompiledMappingError) -> [Rule] {
        var rules: [Rule] = []
        for index in try matchingIndices(claims: claims, firstOnly: false) { rules.append(try rule(at: index)) }
        return rules
    }

    /// The rules that match `claims`, in file order, from one pass: the first one and, when
    /// `continuingPast(first)` says so, every later one (as `RuleMatcher.select`).
    public func matches(claims: Claims, continuingPast: (Rule) -> Bool) throws(CompiledMappingError) -> [Rule] {
        var rules: [Rule] = []
        _ = try matchingIndices(claims: claims) { (index) throws(CompiledMappingError) -> Bool in
            rules.append(try rule(at: index))
            return rules.count > 1 || continuingPast(rules[0])
        }
        return rules
    }

    /// The 0-based indices of the rules that match, testing them straight from the bytes.
    private func matchingIndices(claims: Claims, firstOnly: Bool) throws(CompiledMappingError) -> [Int] {
        try matchingIndices(claims: claims) { _ in !firstOnly }
    }

    /// Tests the rules straight from the bytes, in file order, calling `found` with the index
    /// of each match until it returns false; returns the indices found.
    private func matchingIndices(claims: Claims, found: (Int) throws(CompiledMappingError) -> Bool)
        throws(CompiledMappingError) -> [Int]
    {
        // Each claim's value once, as UTF-8, all in one buffer: (start, count), or nil when missing.
        var values: [UInt8] = []
        var spans: [(start: Int, count: Int)?] = []
        spans.reserveCapacity(claimNames.count)
        for name in claimNames {
            if let value = claims.string(name) {
                spans.append((values.count, value.utf8.count))
                values.append(contentsOf: value.utf8)
            } else {
                spans.append(nil)
            }
        }
        return try bytes.withUnsafeBufferPointer { (file) throws(CompiledMappingError) -> [Int] in
            try values.withUnsafeBufferPointer { (claimBytes) throws(CompiledMappingError) -> [Int] in
                var reader = RawReader(base: file, end: file.count - CompiledMapping.digestSize)
                var matched: [Int] = []
                for index in 0..<ruleCount {
                    reader.position = ruleTable + 4 * index
                    reader.position = Int(try reader.u32())
                    if try conditionsHold(&reader, spans: spans, claims: claimBytes) {
                        matched.append(index)
                        if try !found(index) { break }
                    }
                }
                return matched
            }
        }
    }

    /// Reads one rule's conditions at `reader`'s position; true when every one holds.
    private func conditionsHold(
        _ reader: inout RawReader, spans: [(start: Int, count: Int)?], claims: UnsafeBufferPointer<UInt8>
    ) throws(CompiledMappingError) -> Bool {
        let conditionCount = try reader.u32()
        for _ in 0..<conditionCount {
            let claim = Int(try reader.u32())
            guard claim < spans.count else { throw .invalidValue("claim reference") }
            _ = try reader.u32()  // line
            let patternCount = try reader.u32()
            guard let span = spans[claim] else { return false }
            let value = UnsafeBufferPointer(rebasing: claims[span.start..<(span.start + span.count)])
            var anyMatched = false
            for _ in 0..<patternCount {
                let pattern = try reader.stringBytes()
                if !anyMatched && Pattern.matches(source: pattern, value: value) { anyMatched = true }
            }
            if !anyMatched { return false }
        }
        return true
    }

    /// Rule `index` (0-based), fully decoded.
    public func rule(at index: Int) throws(CompiledMappingError) -> Rule {
        guard index >= 0, index < ruleCount else { throw .invalidValue("rule index") }
        var reader = ByteReader(bytes: bytes, position: ruleTable + 4 * index)
        reader.end = bytes.count - CompiledMapping.digestSize
        reader.position = Int(try reader.u32())
        var conditions: [Condition] = []
        for _ in 0..<(try reader.u32()) {
            let claim = Int(try reader.u32())
            guard claim < claimNames.count else { throw .invalidValue("claim reference") }
            let line = Int(try reader.u32())
            let patterns = try reader.strings().map(Pattern.init)
            conditions.append(Condition(claim: claimNames[claim], patterns: patterns, line: line))
        }
        let number = Int(try reader.u32())
        let line = Int(try reader.u32())
        let name = try reader.optional { r throws(CompiledMappingError) in try r.string() }
        switch try reader.u8() {
        case 0:
            return Rule(number: number, line: line, name: name, conditions: conditions, action: .skip)
        case 1:
            return Rule(
                number: number, line: line, name: name, conditions: conditions,
                action: .assume(try reader.assumption()))
        default:
            throw .invalidValue("rule action")
        }
    }

    /// Every rule, decoded (for tests and tools; the hook never needs them all).
    public func rules() throws(CompiledMappingError) -> [Rule] {
        var rules: [Rule] = []
        for index in 0..<ruleCount { rules.append(try rule(at: index)) }
        return rules
    }

    // MARK: Writing

    /// The compiled form of `mapping`, loaded from a file whose contents hash to `sourceDigest`.
    public static func encode(_ mapping: Mapping, sourceDigest: [UInt8]) -> [UInt8] {
        precondition(sourceDigest.count == 32, "a SHA-256 digest has 32 bytes")
        var out = ByteWriter()
        out.bytes = magic
        out.u32(formatVersion)
        out.u32(0)  // total length, set below
        out.bytes += sourceDigest

        out.string(mapping.issuer)
        out.strings(mapping.audiences)
        out.strings(mapping.tokenVariables)
        out.optionalString(mapping.jwksURL)
        out.optionalString(mapping.cacheDirectory)
        out.string(mapping.region)
        out.optionalString(mapping.stsEndpoint)
        out.flag(mapping.stsFIPS)
        out.optionalString(mapping.caFile)
        out.u32(UInt32(mapping.duration))
        out.string(mapping.sessionName)
        out.choice(mapping.output)
        out.flag(mapping.blockInstanceMetadata)
        out.choice(mapping.onNoToken)
        out.choice(mapping.onNoMatch)
        out.u32(UInt32(mapping.retry.maxAttempts))
        out.f64(mapping.retry.deadline)
        out.f64(mapping.retry.connectTimeout)
        out.f64(mapping.retry.requestTimeout)
        out.f64(mapping.retry.initialBackoff)
        out.choice(mapping.mode)
        out.optionalString(mapping.help)
        out.optional(mapping.allowedAccountIDs) { out, accounts in out.strings(accounts) }

        var claimNames: [String] = []
        var claimIndex: [String: UInt32] = [:]
        for rule in mapping.rules {
            for condition in rule.conditions where claimIndex[condition.claim] == nil {
                claimIndex[condition.claim] = UInt32(claimNames.count)
                claimNames.append(condition.claim)
            }
        }
        out.strings(claimNames)
        out.u32(UInt32(mapping.rules.count))
        let table = out.bytes.count
        out.bytes += [UInt8](repeating: 0, count: 4 * mapping.rules.count)
        for (index, rule) in mapping.rules.enumerated() {
            out.set(u32: UInt32(out.bytes.count), at: table + 4 * index)
            out.u32(UInt32(rule.conditions.count))
            for condition in rule.conditions {
                out.u32(claimIndex[condition.claim]!)
                out.u32(UInt32(condition.line))
                out.strings(condition.patterns.map(\.source))
            }
            out.u32(UInt32(rule.number))
            out.u32(UInt32(rule.line))
            out.optionalString(rule.name)
            switch rule.action {
            case .skip:
                out.bytes.append(0)
            case let .assume(assumption):
                out.bytes.append(1)
                out.assumption(assumption)
            }
        }
        out.set(u32: UInt32(out.bytes.count + digestSize), at: magic.count + 4)
        out.bytes += Digest.sha256(out.bytes[...])
        return out.bytes
    }
}

/// Appends little-endian values to a byte array.
private struct ByteWriter {
    var bytes: [UInt8] = []

    mutating func u32(_ value: UInt32) {
        withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
    }

    mutating func set(u32 value: UInt32, at offset: Int) {
        withUnsafeBytes(of: value.littleEndian) { bytes.replaceSubrange(offset..<(offset + 4), with: $0) }
    }

    mutating func f64(_ value: Double) {
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 }
    }

    mutating func flag(_ value: Bool) { bytes.append(value ? 1 : 0) }

    mutating func string(_ value: String) {
        u32(UInt32(value.utf8.count))
        bytes += value.utf8
    }

    mutating func strings(_ values: [String]) {
        u32(UInt32(values.count))
        for value in values { string(value) }
    }

    mutating func choice<Choice: CaseIterable & Equatable>(_ value: Choice) {
        bytes.append(UInt8(Array(Choice.allCases).firstIndex(of: value)!))
    }

    mutating func optional<Value>(_ value: Value?, _ write: (inout ByteWriter, Value) -> Void) {
        guard let value else {
            bytes.append(0)
            return
        }
        bytes.append(1)
        write(&self, value)
    }

    mutating func optionalString(_ value: String?) {
        optional(value) { out, text in out.string(text) }
    }

    mutating func assumption(_ assumption: RoleAssumption) {
        string(assumption.role.description)
        optionalString(assumption.region)
        optional(assumption.duration) { out, duration in out.u32(UInt32(duration)) }
        optionalString(assumption.sessionName)
        optionalString(assumption.sessionPolicy)
        strings(assumption.policyARNs)
        optional(assumption.output) { out, output in out.choice(output) }
        optionalString(assumption.profile)
        optional(assumption.allowedAccountIDs) { out, accounts in out.strings(accounts) }
        u32(UInt32(assumption.chain.count))
        for hop in assumption.chain {
            string(hop.role.description)
            optionalString(hop.externalID)
            optional(hop.duration) { out, duration in out.u32(UInt32(duration)) }
            optionalString(hop.sessionName)
            u32(UInt32(hop.tags.count))
            for tag in hop.tags {
                string(tag.key)
                string(tag.value)
            }
            strings(hop.transitiveTagKeys)
            optionalString(hop.sessionPolicy)
            strings(hop.policyARNs)
            u32(UInt32(hop.line))
        }
    }
}

/// Bounds-checked little-endian reads from a byte array, for decoding whole values.
private struct ByteReader {
    let bytes: [UInt8]
    var position: Int
    /// Reads stop here (the checksum after it is not content).
    var end: Int

    init(bytes: [UInt8], position: Int) {
        self.bytes = bytes
        self.position = position
        self.end = bytes.count
    }

    mutating func take(_ count: Int) throws(CompiledMappingError) -> ArraySlice<UInt8> {
        guard count >= 0, count <= end - position else { throw .truncated }
        defer { position += count }
        return bytes[position..<(position + count)]
    }

    mutating func bytes(_ count: Int) throws(CompiledMappingError) -> ArraySlice<UInt8> { try take(count) }

    mutating func u8() throws(CompiledMappingError) -> UInt8 { try take(1).first! }

    mutating func u32() throws(CompiledMappingError) -> UInt32 {
        try take(4).reversed().reduce(0) { $0 << 8 | UInt32($1) }
    }

    mutating func f64() throws(CompiledMappingError) -> Double {
        let bits = try take(8).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return Double(bitPattern: bits)
    }

    mutating func flag() throws(CompiledMappingError) -> Bool {
        switch try u8() {
        case 0: return false
        case 1: return true
        default: throw .invalidValue("flag")
        }
    }

    mutating func string() throws(CompiledMappingError) -> String {
        let count = Int(try u32())
        guard let text = String(validating: try take(count), as: UTF8.self) else { throw .invalidValue("UTF-8 text") }
        return text
    }

    mutating func strings() throws(CompiledMappingError) -> [String] {
        let count = Int(try u32())
        // Each string takes at least its 4-byte length: a larger count cannot be real.
        guard count <= (end - position) / 4 else { throw .truncated }
        var result: [String] = []
        result.reserveCapacity(count)
        for _ in 0..<count { result.append(try string()) }
        return result
    }

    mutating func choice<Choice: CaseIterable>(_: Choice.Type) throws(CompiledMappingError) -> Choice {
        let code = Int(try u8())
        let cases = Array(Choice.allCases)
        guard code < cases.count else { throw .invalidValue("\(Choice.self) code") }
        return cases[code]
    }

    mutating func optional<Value>(_ read: (inout ByteReader) throws(CompiledMappingError) -> Value)
        throws(CompiledMappingError) -> Value?
    {
        try flag() ? try read(&self) : nil
    }

    mutating func optionalString() throws(CompiledMappingError) -> String? {
        try optional { r throws(CompiledMappingError) in try r.string() }
    }

    mutating func optionalDuration(_ limits: ClosedRange<Int>) throws(CompiledMappingError) -> Int? {
        let duration = try optional { r throws(CompiledMappingError) in Int(try r.u32()) }
        if let duration, !limits.contains(duration) { throw .invalidValue("duration") }
        return duration
    }

    mutating func role() throws(CompiledMappingError) -> RoleARN {
        guard let role = RoleARN(try string()) else { throw .invalidValue("role ARN") }
        return role
    }

    /// A rule's role, overrides and chain, as `ByteWriter.assumption` wrote them.
    mutating func assumption() throws(CompiledMappingError) -> RoleAssumption {
        let role = try role()
        let region = try optionalString()
        let duration = try optionalDuration(durationLimits)
        let sessionName = try optionalString()
        let sessionPolicy = try optionalString()
        let policyARNs = try strings()
        let output = try optional { r throws(CompiledMappingError) in try r.choice(OutputMode.self) }
        let profile = try optionalString()
        let allowedAccountIDs = try optional { r throws(CompiledMappingError) in try r.strings() }
        let hopCount = Int(try u32())
        guard hopCount <= (end - position) / 4 else { throw .truncated }
        var chain: [ChainHop] = []
        for _ in 0..<hopCount {
            let hopRole = try self.role()
            let externalID = try optionalString()
            let hopDuration = try optionalDuration(ChainHop.durationLimits)
            let hopSessionName = try optionalString()
            let tagCount = Int(try u32())
            guard tagCount <= (end - position) / 8 else { throw .truncated }
            var tags: [SessionTagTemplate] = []
            for _ in 0..<tagCount { tags.append(SessionTagTemplate(key: try string(), value: try string())) }
            chain.append(
                ChainHop(
                    role: hopRole, externalID: externalID, duration: hopDuration, sessionName: hopSessionName,
                    tags: tags, transitiveTagKeys: try strings(), sessionPolicy: try optionalString(),
                    policyARNs: try strings(), line: Int(try u32())))
        }
        return RoleAssumption(
            role: role, chain: chain, region: region, duration: duration, sessionName: sessionName,
            sessionPolicy: sessionPolicy, policyARNs: policyARNs, output: output, profile: profile,
            allowedAccountIDs: allowedAccountIDs)
    }
}

/// The same reads over raw memory, for the rule scan: no copies, no allocation.
private struct RawReader {
    let base: UnsafeBufferPointer<UInt8>
    let end: Int
    var position = 0

    init(base: UnsafeBufferPointer<UInt8>, end: Int) {
        self.base = base
        self.end = end
    }

    mutating func u32() throws(CompiledMappingError) -> UInt32 {
        guard position >= 0, position <= end - 4 else { throw .truncated }
        defer { position += 4 }
        return UInt32(base[position]) | UInt32(base[position + 1]) << 8 | UInt32(base[position + 2]) << 16
            | UInt32(base[position + 3]) << 24
    }

    mutating func stringBytes() throws(CompiledMappingError) -> UnsafeBufferPointer<UInt8> {
        let count = Int(try u32())
        guard count <= end - position else { throw .truncated }
        defer { position += count }
        return UnsafeBufferPointer(rebasing: base[position..<(position + count)])
    }
}
