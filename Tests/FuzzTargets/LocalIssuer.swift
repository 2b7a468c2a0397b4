import GitLabOIDCAWS

/// An issuer in memory: answers the key-set URL with one fixed document, counts the requests,
/// and fails every other URL. The fuzz targets verify tokens against it, with no network and
/// no cache folder.
final class LocalIssuer: HTTPTransport {
    static let keySetURL = "https://gitlab.example.com/oauth/discovery/keys"

    /// The document served at `keySetURL`.
    let document: [UInt8]
    private(set) var requests = 0

    init(document: [UInt8]) {
        self.document = document
    }

    /// The seed tokens' key set (`SeedKeySet`).
    static var seedDocument: [UInt8] {
        Array(
            #"{"keys":[{"kty":"RSA","kid":"\#(SeedKeySet.keyID)","use":"sig","alg":"RS256","n":"\#(SeedKeySet.modulus)","e":"\#(SeedKeySet.exponent)"}]}"#
                .utf8)
    }

    func perform(_ request: HTTPRequest, settings: TransportSettings, timeout: Double) throws(TransportError)
        -> HTTPResponse
    {
        requests += 1
        guard request.url == LocalIssuer.keySetURL else { return HTTPResponse(status: 404, body: []) }
        return HTTPResponse(status: 200, body: document)
    }

    /// A verifier for `FuzzTargets.issuer` and `sts.amazonaws.com` at `FuzzTargets.now`, with
    /// this issuer's keys (`jwks_url` set, so no discovery) and no cache.
    func verifier() -> TokenVerifier {
        var settings = RetrySettings()
        settings.maxAttempts = 1
        let clock = Clock(now: { FuzzTargets.now }, monotonic: { 0 }, sleep: { _ in })
        let keys = KeySetSource(
            issuer: FuzzTargets.issuer, keySetURL: LocalIssuer.keySetURL, cacheDirectory: nil, transport: self,
            transportSettings: TransportSettings(), retrier: Retrier(settings: settings, clock: clock, log: { _ in }),
            clock: clock, log: { _ in })
        return TokenVerifier(
            policy: ClaimPolicy(issuer: FuzzTargets.issuer, audiences: ["sts.amazonaws.com"]), keys: keys, clock: clock)
    }
}
