import Glibc
import Testing

@testable import GitLabOIDCAWS

/// An issuer for `KeySetSource`: serves a key set at one URL (`jwks_url`, no discovery) and
/// counts the requests.
final class ServedKeySet: HTTPTransport {
    static let url = "https://gitlab.example.com/oauth/discovery/keys"
    var document: String
    private(set) var fetches = 0

    init(_ document: String) { self.document = document }

    func perform(_ request: HTTPRequest, settings: TransportSettings, timeout: Double) throws(TransportError)
        -> HTTPResponse
    {
        fetches += 1
        guard request.url == ServedKeySet.url else { return HTTPResponse(status: 404, body: []) }
        return HTTPResponse(status: 200, body: Array(document.utf8))
    }
}

enum KeySets {
    static let issuer = "https://gitlab.example.com"
    /// When the vectors' tokens are valid.
    static let now: Int64 = 1_800_000_000
    static func jwk(kid: String = "k1", n: String = Vectors.modulus, e: String = Vectors.exponent) -> String {
        #"{"kty":"RSA","kid":"\#(kid)","use":"sig","alg":"RS256","n":"\#(n)","e":"\#(e)"}"#
    }
    static let real = #"{"keys":[\#(jwk())]}"#
    /// A modulus of another key (the vectors' modulus with its bytes reversed, made odd).
    static let otherModulus: String = {
        var bytes = Array(Base64URL.decode(Vectors.modulus)!.reversed())
        bytes[0] |= 0x80
        bytes[bytes.count - 1] |= 1
        return Base64URL.encode(bytes)
    }()

    static func cacheFile(
        fetchedAt: String = "\(now - 10)", jwks: String = real, issuer: String = issuer, url: String = ServedKeySet.url
    ) -> String {
        #"{"issuer":"\#(issuer)","jwks_uri":"\#(url)","fetched_at":\#(fetchedAt),"jwks":\#(jwks)}"#
    }

    static func source(_ transport: ServedKeySet, cache: String?, now: Int64 = now) -> KeySetSource {
        let clock = Clock(now: { now }, monotonic: { 0 }, sleep: { _ in })
        var settings = RetrySettings()
        settings.maxAttempts = 1
        return KeySetSource(
            issuer: issuer, keySetURL: ServedKeySet.url, cacheDirectory: cache, transport: transport,
            transportSettings: TransportSettings(), retrier: Retrier(settings: settings, clock: clock, log: { _ in }),
            clock: clock, log: { _ in })
    }

    static func verifier(_ transport: ServedKeySet, cache: String?) -> TokenVerifier {
        TokenVerifier(
            policy: ClaimPolicy(issuer: issuer, audiences: ["sts.amazonaws.com"]),
            keys: source(transport, cache: cache),
            clock: Clock(now: { now }, monotonic: { 0 }, sleep: { _ in }))
    }
}

@Suite struct KeySetCacheEntryTests {
    let mine = FileSystem.Ownership(owner: 1000, permissions: 0o600)

    func decode(
        _ text: String, ownership: FileSystem.Ownership? = nil, configured: String? = nil, now: Int64 = KeySets.now
    )
        -> Result<KeySetCacheEntry, KeySetCacheProblem>
    {
        KeySetCacheEntry.decode(
            Array(text.utf8), ownership: ownership ?? mine, user: 1000, issuer: KeySets.issuer,
            configuredKeySetURL: configured, now: now)
    }

    @Test func readsWhatTheHookWrites() throws {
        let document = try JSONValue.parse(KeySets.real)
        let bytes = KeySetCacheEntry.encode(
            issuer: KeySets.issuer, keySetURL: ServedKeySet.url, fetchedAt: KeySets.now - 3599, document: document)
        let entry = try KeySetCacheEntry.decode(
            bytes, ownership: mine, user: 1000, issuer: KeySets.issuer, configuredKeySetURL: ServedKeySet.url,
            now: KeySets.now
        ).get()
        #expect(
            entry.keySet.key(for: "k1") != nil && entry.fetchedAt == KeySets.now - 3599 && entry.document == document)
    }

    /// Whatever a job writes into the cache file is ignored unless it is exactly a fresh entry
    /// the hook could have written; nothing traps, whatever `now` is.
    @Test(arguments: [
        (KeySets.cacheFile(fetchedAt: "-9223372036854775808"), "fetched_at"),
        (KeySets.cacheFile(fetchedAt: "9223372036854775807"), "fetched_at"),
        (KeySets.cacheFile(fetchedAt: "1e300"), "fetched_at"),
        (KeySets.cacheFile(fetchedAt: #""1800000000""#), "fetched_at"),
        (KeySets.cacheFile(fetchedAt: "1800000061"), "future"),
        (KeySets.cacheFile(fetchedAt: "1799996400"), "older"),
        (KeySets.cacheFile(issuer: "https://gitlab.evil.example"), "issuer"),
        (KeySets.cacheFile(url: "file:///etc/passwd"), "jwks_uri"),
        (KeySets.cacheFile(jwks: #"{"keys":[]}"#), "key set"),
        (KeySets.cacheFile(jwks: #"{"keys":[\#(KeySets.jwk(n: "wQ"))]}"#), "shorter than 2048 bits"),
        (KeySets.cacheFile(jwks: #"{"keys":[\#(KeySets.jwk(e: "AQ"))]}"#), "exponent is 1"),
        (KeySets.cacheFile(jwks: #"{"keys":[\#(KeySets.jwk(e: "AQAA"))]}"#), "exponent is 65536"),
        (
            KeySets.cacheFile(
                jwks: #"{"keys":[\#(Array(repeating: KeySets.jwk(), count: 65).joined(separator: ","))]}"#), "key set"
        ),
        (
            #"{"issuer":"https://gitlab.example.com","jwks_uri":"\#(ServedKeySet.url)","fetched_at":1799999990,"jwks":\#(KeySets.real),"x":1}"#,
            "exactly"
        ),
        ("[]", "JSON object"), ("", "JSON object"),
    ])
    func ignoresOddContent(text: String, reason: String) {
        for now: Int64 in [KeySets.now, .min, .max, 0] {
            guard case let .failure(problem) = decode(text, now: now) else {
                Issue.record("accepted at \(now): \(text)")
                continue
            }
            if now == KeySets.now { #expect(problem.reason.contains(reason), "\(problem.reason)") }
        }
    }

    @Test func ignoresAFileOfAnotherUserOrWritableByOthers() {
        let text = KeySets.cacheFile()
        #expect((try? decode(text).get()) != nil)
        #expect((try? decode(text, ownership: FileSystem.Ownership(owner: 0, permissions: 0o600)).get()) == nil)
        #expect((try? decode(text, ownership: FileSystem.Ownership(owner: 1000, permissions: 0o620)).get()) == nil)
        #expect((try? decode(text, ownership: FileSystem.Ownership(owner: 1000, permissions: 0o602)).get()) == nil)
        #expect((try? decode(text, configured: "https://gitlab.example.com/other").get()) == nil)
    }
}

/// The cache is a hint: whatever a job leaves in it, the verifier ends with the issuer's keys,
/// fetching them at most once more.
@Suite struct PoisonedKeySetCacheTests {
    func cacheFolder(holding text: String?) -> ScratchFolder {
        let folder = ScratchFolder()
        if let text {
            let name = KeySetSource.cacheFileName(issuer: KeySets.issuer)
            try! FileSystem.writeAtomically(Array(text.utf8), to: folder[name], mode: 0o600)
        }
        return folder
    }

    @Test func aFreshCacheSavesTheFetch() throws {
        let folder = cacheFolder(holding: KeySets.cacheFile())
        let issuer = ServedKeySet(#"{"keys":[]}"#)
        _ = try KeySets.verifier(issuer, cache: folder.path).verify(Vectors.rs256)
        #expect(issuer.fetches == 0)
    }

    @Test(arguments: [
        KeySets.cacheFile(jwks: #"{"keys":[\#(KeySets.jwk(n: KeySets.otherModulus))]}"#),
        KeySets.cacheFile(jwks: #"{"keys":[\#(KeySets.jwk(kid: "other"))]}"#),
        KeySets.cacheFile(
            jwks: #"{"keys":[\#(KeySets.jwk(kid: "other")),\#(KeySets.jwk(kid: "k1", n: KeySets.otherModulus))]}"#),
    ])
    func aCachedKeyThatFailsMakesTheVerifierFetchOnce(cache: String) throws {
        let folder = cacheFolder(holding: cache)
        let issuer = ServedKeySet(KeySets.real)
        let verified = try KeySets.verifier(issuer, cache: folder.path).verify(Vectors.rs256)
        #expect(verified.claims.string("project_path") == "g/p")
        #expect(issuer.fetches == 1)
        // The fetch repaired the cache: the next job needs no fetch.
        let next = ServedKeySet(#"{"keys":[]}"#)
        _ = try KeySets.verifier(next, cache: folder.path).verify(Vectors.rs256)
        #expect(next.fetches == 0)
    }

    @Test func aForgedTokenCostsOneFetchAndIsRefused() {
        let folder = cacheFolder(holding: KeySets.cacheFile())
        let issuer = ServedKeySet(KeySets.real)
        let forged = String(Vectors.rs256.dropLast(4)) + "AAAA"
        #expect(throws: TokenError.badSignature) { try KeySets.verifier(issuer, cache: folder.path).verify(forged) }
        #expect(issuer.fetches == 1)
    }

    @Test func keysFromTheIssuerAreNotFetchedTwiceForABadSignature() {
        let issuer = ServedKeySet(#"{"keys":[\#(KeySets.jwk(n: KeySets.otherModulus))]}"#)
        #expect(throws: TokenError.badSignature) { try KeySets.verifier(issuer, cache: nil).verify(Vectors.rs256) }
        #expect(issuer.fetches == 1)
        let rotated = ServedKeySet(#"{"keys":[\#(KeySets.jwk(kid: "other"))]}"#)
        #expect(throws: TokenError.self) { try KeySets.verifier(rotated, cache: nil).verify(Vectors.rs256) }
        #expect(rotated.fetches == 2, "an unknown kid is fetched once more (rotation)")
    }

    @Test func aCacheThatIsNoFileIsIgnored() throws {
        let name = KeySetSource.cacheFileName(issuer: KeySets.issuer)
        for damage in ["fifo", "symlink", "directory"] {
            let folder = ScratchFolder()
            switch damage {
            case "fifo": folder.fifo(name)
            case "symlink":
                folder.file("elsewhere", KeySets.cacheFile())
                #expect(symlink(folder["elsewhere"], folder[name]) == 0)
            default: #expect(mkdir(folder[name], 0o700) == 0)
            }
            let issuer = ServedKeySet(KeySets.real)
            _ = try KeySets.verifier(issuer, cache: folder.path).verify(Vectors.rs256)
            #expect(issuer.fetches == 1, "\(damage)")
        }
    }
}
