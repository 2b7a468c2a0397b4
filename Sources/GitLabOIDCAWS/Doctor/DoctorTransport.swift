/// The network as `doctor` uses it: every request goes to the real transport, asking for the
/// answer's header fields; each answer's URL, status and HTTP `Date` are noted with the local time it arrived (for the clock
/// check); and a GET answered 200 is answered from memory when asked again in the same run,
/// so that verifying the token after the issuer check fetches nothing twice.
final class DoctorTransport: HTTPTransport {
    /// One answer that arrived.
    struct Answer {
        let url: String
        let status: Int
        /// The `Date` header as sent; nil without one.
        let date: String?
        /// This host's clock when the answer arrived (seconds since 1970).
        let receivedAt: Int64
    }

    private let base: any HTTPTransport
    private let clock: Clock
    private(set) var answers: [Answer] = []
    private var remembered: [String: HTTPResponse] = [:]

    init(_ base: any HTTPTransport, clock: Clock) {
        self.base = base
        self.clock = clock
    }

    func perform(_ request: HTTPRequest, settings: TransportSettings, timeout: Double) throws(TransportError)
        -> HTTPResponse
    {
        if request.method == .get, let response = remembered[request.url] { return response }
        var withHeaders = settings
        withHeaders.collectsHeaders = true
        let response = try base.perform(request, settings: withHeaders, timeout: timeout)
        answers.append(
            Answer(url: request.url, status: response.status, date: response.header("Date"), receivedAt: clock.now()))
        if request.method == .get && response.status == 200 { remembered[request.url] = response }
        return response
    }
}
