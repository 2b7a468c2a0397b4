import Glibc

/// What the hook found next to the mapping file.
public enum CompiledMappingLookup: Sendable {
    /// There is no compiled mapping.
    case absent
    /// A compiled mapping that may be used: trusted owner, current contents.
    case usable(CompiledMapping)
    /// A compiled mapping that must not be used, and why.
    case unusable(String)
}

/// The mapping as the hook uses it: the compiled form (`gitlab-oidc-aws compile`) when it is
/// trustworthy and made from the exact bytes of the mapping file, else the TOML file itself.
///
/// On a shell executor every job runs as the same user as the hook, so a compiled file that
/// job code could write would let a job map itself to any role. The compiled file is used only
/// when root or the mapping file's owner owns it and neither group nor others may write it
/// (a job that could write it could then write the mapping file as well), and when the
/// SHA-256 of the mapping file's contents recorded in it matches the file read now.
/// Otherwise the TOML file is read, with one line in the job log saying why.
public struct HookMapping {
    /// The top-level settings (and, when read from TOML, the rules).
    public let mapping: Mapping
    /// The compiled form in use, if any.
    public let compiled: CompiledMapping?
    private let source: [UInt8]

    /// A mapping that is already loaded (or built in code), with its rules.
    public init(_ mapping: Mapping) {
        self.init(mapping: mapping, compiled: nil, source: [])
    }

    private init(mapping: Mapping, compiled: CompiledMapping?, source: [UInt8]) {
        self.mapping = mapping
        self.compiled = compiled
        self.source = source
    }

    /// Loads the mapping at `path` for the hook; `log` gets one line when a compiled mapping is
    /// there but cannot be used.
    public static func load(path: String, log: (String) -> Void) throws(ConfigError) -> HookMapping {
        let (source, ownership) = try MappingLoader.readSource(path: path)
        switch lookUpCompiled(mappingPath: path, source: source, sourceOwnership: ownership) {
        case let .usable(compiled):
            return HookMapping(mapping: compiled.settings, compiled: compiled, source: source)
        case let .unusable(reason):
            log("\(reason); reading the TOML file instead")
        case .absent:
            break
        }
        return try fromTOML(source, path: path)
    }

    private static func fromTOML(_ source: [UInt8], path: String) throws(ConfigError) -> HookMapping {
        let loaded = try MappingLoader.parse(
            source: String(decoding: source, as: UTF8.self), path: path, parserGuard: .exitOnAbort)
        return HookMapping(mapping: loaded.mapping, compiled: nil, source: source)
    }

    /// The compiled mapping next to `mappingPath`, when there is one and it may be used for a
    /// mapping file with contents `source` owned as `sourceOwnership`.
    public static func lookUpCompiled(
        mappingPath: String, source: [UInt8], sourceOwnership: FileSystem.Ownership
    ) -> CompiledMappingLookup {
        let path = CompiledMapping.path(for: mappingPath)
        // Only a regular file: a FIFO would block the open below, a device would never end.
        var status = stat()
        if stat(path, &status) != 0 {
            if errno == ENOENT { return .absent }
        } else if (status.st_mode & S_IFMT) != S_IFREG {
            return .unusable("ignoring the compiled mapping \(path): it is not a regular file")
        }
        let bytes: [UInt8]
        let ownership: FileSystem.Ownership
        do {
            (bytes, ownership) = try FileSystem.readWithOwnership(path, limit: 1 << 30)
        } catch {
            if error.code == ENOENT { return .absent }
            return .unusable("cannot use the compiled mapping: \(error.description)")
        }
        if let problem = trustProblem(
            owner: ownership.owner, permissions: ownership.permissions, mappingOwner: sourceOwnership.owner)
        {
            return .unusable("ignoring the compiled mapping \(path): \(problem)")
        }
        do {
            return .usable(try CompiledMapping(bytes: bytes, sourceDigest: Digest.sha256(source), path: mappingPath))
        } catch {
            return .unusable(
                "ignoring the compiled mapping \(path): \(error.description); run `gitlab-oidc-aws compile --config \(mappingPath)`")
        }
    }

    /// Why a compiled file with this owner and these permission bits must not be trusted for
    /// a mapping file owned by `mappingOwner`, or nil when it may be.
    public static func trustProblem(owner: uid_t, permissions: mode_t, mappingOwner: uid_t) -> String? {
        if owner != 0 && owner != mappingOwner {
            return "it is owned by uid \(owner), not by root or the mapping file's owner (uid \(mappingOwner))"
        }
        if permissions & 0o022 != 0 {
            return "group or others may write it (mode \(String(permissions, radix: 8)))"
        }
        return nil
    }

    /// The rules `claims` select, as `RuleMatcher.select` finds them in one pass. Should the
    /// compiled form turn out damaged midway, the TOML file decides (and `log` gets one line).
    public func select(claims: Claims, continuingPast: (Rule) -> Bool, log: (String) -> Void) throws(ConfigError)
        -> RuleSelection
    {
        guard let compiled else {
            return RuleMatcher.select(in: mapping.rules, claims: claims, continuingPast: continuingPast)
        }
        do {
            let matches = try compiled.matches(claims: claims, continuingPast: continuingPast)
            if let first = matches.first { return .matched(first: first, later: Array(matches.dropFirst())) }
            // Only a job that gets nothing needs every rule decoded, to name the closest one.
            return .none(closest: RuleMatcher.closestMiss(in: try compiled.rules(), claims: claims))
        } catch {
            return RuleMatcher.select(
                in: try fallback(error, log: log), claims: claims, continuingPast: continuingPast)
        }
    }

    /// The rules of the TOML file, after saying why the compiled form failed.
    private func fallback(_ error: CompiledMappingError, log: (String) -> Void) throws(ConfigError) -> [Rule] {
        log("ignoring the compiled mapping \(CompiledMapping.path(for: mapping.path)): \(error.description); reading the TOML file instead")
        return try HookMapping.fromTOML(source, path: mapping.path).mapping.rules
    }
}
