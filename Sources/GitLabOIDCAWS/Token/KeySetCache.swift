/// The on-disk key-set cache file: what the hook writes, and the checks a file must pass
/// before its keys are tried. Pure functions of the bytes, so that the fuzzer and the tests
/// run exactly what the hook runs.
///
/// The cache is a hint, never an authority: on a shell executor every job runs as the
/// runner's user and can rewrite it. A file that fails any check is ignored (the keys are
/// fetched from the issuer), and a signature that fails with cached keys makes the verifier
/// fetch the key set again (`TokenVerifier`), so a rewritten cache can neither fail, hang nor
/// crash a later job.
public struct KeySetCacheEntry: Equatable, Sendable {
    /// The most bytes a cache file may have; GitLab's key set is about 2 KiB.
    public static let maximumSize = 1 << 20
    /// The most keys a cached key set may hold.
    public static let maximumKeys = 64
    /// How long a cached key set is used without asking the issuer again, in seconds.
    public static let lifetime: Int64 = 3600
    /// How far in the future `fetched_at` may be (the clock of another host, a clock step).
    public static let clockSkew: Int64 = 60

    public let issuer: String
    public let keySetURL: String
    /// Seconds since 1970.
    public let fetchedAt: Int64
    /// The key set document as the issuer served it.
    public let document: JSONValue
    public let keySet: JSONWebKeySet

    /// The file's contents: `{"issuer":…,"jwks_uri":…,"fetched_at":…,"jwks":…}`.
    public static func encode(issuer: String, keySetURL: String, fetchedAt: Int64, document: JSONValue) -> [UInt8] {
        let cache = JSONValue.object([
            ("issuer", .string(issuer)), ("jwks_uri", .string(keySetURL)), ("fetched_at", .integer(fetchedAt)),
            ("jwks", document),
        ])
        return Array(cache.compactText.utf8)
    }

    /// The entry in a cache file read with `ownership`, when it may be used by a process
    /// running as `user` at `now` for `issuer` (and `configuredKeySetURL`, when the mapping
    /// sets `jwks_url`); otherwise why not. The file must be owned by `user` and writable by
    /// nobody else, hold exactly what `encode` writes with the values of the right types and
    /// ranges, be younger than `lifetime`, and hold only keys a real issuer could publish.
    public static func decode(
        _ bytes: [UInt8], ownership: FileSystem.Ownership, user: UInt32, issuer: String, configuredKeySetURL: String?,
        now: Int64
    ) -> Result<KeySetCacheEntry, KeySetCacheProblem> {
        func problem(_ reason: String) -> Result<KeySetCacheEntry, KeySetCacheProblem> {
            .failure(KeySetCacheProblem(reason: reason))
        }
        if ownership.owner != user { return problem("it is owned by uid \(ownership.owner), not \(user)") }
        if ownership.permissions & 0o022 != 0 { return problem("group or others may write it") }
        if bytes.count > maximumSize { return problem("it is larger than \(maximumSize) bytes") }
        guard let json = try? JSONValue.parse(bytes), let members = json.objectMembers else {
            return problem("it is not a JSON object")
        }
        let names = members.map(\.0)
        guard names.count == 4, Set(names) == ["issuer", "jwks_uri", "fetched_at", "jwks"] else {
            return problem("it does not hold exactly issuer, jwks_uri, fetched_at and jwks")
        }
        guard json["issuer"]?.stringValue == issuer else { return problem("it is for another issuer") }
        guard let url = json["jwks_uri"]?.stringValue, case .success = EndpointURL.parse(url) else {
            return problem("jwks_uri is not an https:// URL")
        }
        if let configuredKeySetURL, configuredKeySetURL != url { return problem("it is for another jwks_url") }
        guard case let .integer(fetchedAt)? = json["fetched_at"], Timestamp.representable.contains(fetchedAt) else {
            return problem("fetched_at is not a time")
        }
        let age = Timestamp.seconds(from: fetchedAt, to: now)
        guard age >= -clockSkew else { return problem("fetched_at is in the future") }
        guard age < lifetime else { return problem("it is older than \(lifetime) seconds") }
        guard let document = json["jwks"], case let .array(items)? = document["keys"], items.count <= maximumKeys,
            case let .success(keySet) = JSONWebKeySet.parse(document), !keySet.keys.isEmpty
        else { return problem("jwks is not a key set of 1 to \(maximumKeys) keys with an RSA signing key") }
        for key in keySet.keys {
            if let reason = key.problem { return problem("key \(key.keyID ?? "without kid"): \(reason)") }
        }
        return .success(
            KeySetCacheEntry(issuer: issuer, keySetURL: url, fetchedAt: fetchedAt, document: document, keySet: keySet))
    }
}

/// Why a key-set cache file is ignored.
public struct KeySetCacheProblem: Error, Equatable, Sendable, CustomStringConvertible {
    public let reason: String
    public var description: String { reason }
}
