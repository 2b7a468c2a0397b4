import Glibc

/// Finds the issuer's key set: from the on-disk cache while it is fresh, otherwise through
/// OIDC discovery (or `jwks_url`) over HTTPS, then caches it.
///
/// The cache is one JSON file per issuer, written atomically (temporary file + rename), so
/// concurrent hooks never see half a file. A cache that is missing, corrupt, stale, not owned
/// by this user, or writable by others is ignored; a cache that cannot be written is skipped.
/// Neither ever fails the job.
public final class KeySetSource {
    /// How long a cached key set is used without asking the issuer again.
    public static let cacheLifetime: Int64 = 3600

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
        if !refresh, let cached = readCache() { return cached }
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
        return keySet
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

    private func readCache() -> JSONWebKeySet? {
        guard let cacheFile else { return nil }
        var status = stat()
        guard stat(cacheFile, &status) == 0, status.st_uid == getuid(), status.st_mode & 0o022 == 0,
            let bytes = try? FileSystem.read(cacheFile, limit: 1 << 20), let cache = try? JSONValue.parse(bytes),
            case let .integer(fetchedAt)? = cache["fetched_at"], let url = cache["jwks_uri"]?.stringValue,
            cache["issuer"]?.stringValue == issuer, let document = cache["jwks"]
        else { return nil }
        let age = clock.now() - fetchedAt
        guard age >= -60, age < KeySetSource.cacheLifetime else { return nil }
        if let configuredKeySetURL, configuredKeySetURL != url { return nil }
        guard case let .success(keySet) = JSONWebKeySet.parse(document), !keySet.keys.isEmpty else { return nil }
        keySetURL = url
        return keySet
    }

    private func writeCache(url: String, document: JSONValue) {
        guard let cacheFile, let directory = cacheFile.split(separator: "/", omittingEmptySubsequences: false).dropLast()
            .joined(separator: "/") as String?
        else { return }
        let cache = JSONValue.object([
            ("issuer", .string(issuer)), ("jwks_uri", .string(url)), ("fetched_at", .integer(clock.now())),
            ("jwks", document),
        ])
        do {
            try FileSystem.makeDirectories(directory, mode: 0o700)
            try FileSystem.writeAtomically(Array(cache.compactText.utf8), to: cacheFile, mode: 0o600)
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
