import Glibc

/// Where a key set came from.
public enum KeySetOrigin: Sendable, Equatable {
    /// The on-disk cache: a hint, which any job on a shell executor could have rewritten.
    case cache
    /// The issuer, over HTTPS, just now.
    case issuer
}

/// Finds the issuer's key set: from the on-disk cache while it is fresh, otherwise through
/// OIDC discovery (or `jwks_url`) over HTTPS, then caches it.
///
/// The cache is one JSON file per issuer, written atomically (temporary file + rename), so
/// concurrent hooks never see half a file. It is read without blocking and without following
/// a symbolic link, and used only when it passes every check of `KeySetCacheEntry.decode`
/// (owner, mode, size, types, ranges, key sizes); otherwise it is ignored. A cache that
/// cannot be written is skipped with one log line. Neither ever fails the job, and
/// `TokenVerifier` fetches once more when a cached key does not verify the token.
public final class KeySetSource {
    /// How long a cached key set is used without asking the issuer again.
    public static let cacheLifetime: Int64 = KeySetCacheEntry.lifetime

    private let issuer: String
    private let configuredKeySetURL: String?
    private let cacheFile: String?
    private let transport: any HTTPTransport
    private let transportSettings: TransportSettings
    private let retrier: Retrier
    private let clock: Clock
    private let log: (String) -> Void

    /// The URL the keys came from most recently, for messages.
    public private(set) var keySetURL: String

    public init(
        issuer: String, keySetURL: String?, cacheDirectory: String?, transport: any HTTPTransport,
        transportSettings: TransportSettings,
        retrier: Retrier, clock: Clock, log: @escaping (String) -> Void
    ) {
        self.issuer = issuer
        self.configuredKeySetURL = keySetURL
        self.cacheFile = cacheDirectory.map { "\($0)/\(KeySetSource.cacheFileName(issuer: issuer))" }
        self.transport = transport
        self.transportSettings = transportSettings
        self.retrier = retrier
        self.clock = clock
        self.log = log
        self.keySetURL = keySetURL ?? KeySetSource.discoveryURL(issuer: issuer)
    }

    /// `<issuer without trailing slash>/.well-known/openid-configuration`.
    public static func discoveryURL(issuer: String) -> String {
        (issuer.hasSuffix("/") ? String(issuer.dropLast()) : issuer) + "/.well-known/openid-configuration"
    }

    /// A file name that is unique per issuer and safe on any file system.
    static func cacheFileName(issuer: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in issuer.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        let readable = SessionName.sanitise(issuer.replacingSchemes()).prefix(40)
        let hex = String(hash, radix: 16)
        return "jwks-\(readable)-\(String(repeating: "0", count: 16 - hex.count))\(hex).json"
    }

    /// The default cache folder: `$XDG_CACHE_HOME/gitlab-oidc-aws`, else
    /// `$HOME/.cache/gitlab-oidc-aws`; nil when neither variable is set.
    public static func defaultCacheDirectory(environment: (String) -> String?) -> String? {
        if let xdg = environment("XDG_CACHE_HOME"), xdg.hasPrefix("/") { return "\(xdg)/gitlab-oidc-aws" }
        if let home = environment("HOME"), home.hasPrefix("/"), home != "/" { return "\(home)/.cache/gitlab-oidc-aws" }
        return nil
    }

    /// The key set: cached when fresh (unless `refresh`), fetched otherwise.
    public func keySet(refresh: Bool) throws(KeySetError) -> JSONWebKeySet {
        try keySetWithOrigin(bypassingCache: refresh).keys
    }

    /// The key set and where it came from: the cache when it holds a usable, fresh entry
    /// (unless `bypassingCache`), else the issuer, whose answer is then cached.
    public func keySetWithOrigin(bypassingCache: Bool) throws(KeySetError) -> (
        keys: JSONWebKeySet, origin: KeySetOrigin
    ) {
        if !bypassingCache, let cached = readCache() { return (cached, .cache) }
        let url: String
        if let configuredKeySetURL {
            url = configuredKeySetURL
        } else {
            url = try discoverKeySetURL()
        }
        keySetURL = url
        let document = try fetchJSON(url)
        let keySet: JSONWebKeySet
        switch JSONWebKeySet.parse(document) {
        case let .success(parsed): keySet = parsed
        case let .failure(reason): throw .invalidDocument(url: url, reason: "not a JSON Web Key Set: \(reason)")
        }
        if keySet.keys.isEmpty { throw .invalidDocument(url: url, reason: "the key set has no RSA signing key") }
        writeCache(url: url, document: document)
        return (keySet, .issuer)
    }

    private func discoverKeySetURL() throws(KeySetError) -> String {
        let discovery = KeySetSource.discoveryURL(issuer: issuer)
        let document = try fetchJSON(discovery)
        if let advertised = document["issuer"]?.stringValue,
            ClaimPolicy.trimSlash(advertised) != ClaimPolicy.trimSlash(issuer)
        {
            throw .invalidDocument(
                url: discovery, reason: "it names the issuer \"\(advertised)\", not \"\(issuer)\"")
        }
        guard let uri = document["jwks_uri"]?.stringValue else {
            throw .invalidDocument(url: discovery, reason: "it has no \"jwks_uri\"")
        }
        if case let .failure(problem) = EndpointURL.parse(uri) {
            throw .invalidDocument(url: discovery, reason: "its jwks_uri \"\(uri)\" \(problem)")
        }
        return uri
    }

    private func fetchJSON(_ url: String) throws(KeySetError) -> JSONValue {
        let request = HTTPRequest(url: url, headers: ["Accept: application/json"])
        let response = try retrier.run(
            "fetching the issuer's keys",
            operation: { (timeout: Double) throws(KeySetError) -> HTTPResponse in
                let response = try transport.send(
                    request, settings: transportSettings, timeout: timeout,
                    failingWith: { KeySetError.unreachable(url: url, cause: $0) })
                guard response.status == 200 else { throw KeySetError.httpStatus(url: url, status: response.status) }
                return response
            },
            classify: { error, _ in error.retryDecision },
            describe: \.attemptSummary)
        do {
            return try JSONValue.parse(response.body)
        } catch {
            throw .invalidDocument(url: url, reason: "not JSON (\(error))")
        }
    }

    /// The cached key set when the cache file passes every check; nil (silently) otherwise.
    private func readCache() -> JSONWebKeySet? {
        guard let cacheFile,
            let (bytes, ownership) = try? FileSystem.readWithOwnership(
                cacheFile, limit: KeySetCacheEntry.maximumSize, links: .refuse),
            case let .success(entry) = KeySetCacheEntry.decode(
                bytes, ownership: ownership, user: geteuid(), issuer: issuer, configuredKeySetURL: configuredKeySetURL,
                now: clock.now())
        else { return nil }
        keySetURL = entry.keySetURL
        return entry.keySet
    }

    private func writeCache(url: String, document: JSONValue) {
        guard let cacheFile, let slash = cacheFile.lastIndex(of: "/") else { return }
        let directory = String(cacheFile[..<slash])
        let bytes = KeySetCacheEntry.encode(issuer: issuer, keySetURL: url, fetchedAt: clock.now(), document: document)
        do {
            if !directory.isEmpty { try FileSystem.makeDirectories(directory, mode: 0o700) }
            try FileSystem.writeAtomically(bytes, to: cacheFile, mode: 0o600)
        } catch {
            log("key set cache not written (\(error)); continuing without it")
        }
    }
}

extension String {
    fileprivate func replacingSchemes() -> String {
        if hasPrefix("https://") { return String(dropFirst(8)) }
        if hasPrefix("http://") { return String(dropFirst(7)) }
        return self
    }
}
