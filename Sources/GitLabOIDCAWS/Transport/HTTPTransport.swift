/// One HTTP request. Bodies are small (an STS form, nothing for key-set GETs).
public struct HTTPRequest: Sendable {
    public enum Method: String, Sendable {
        case get = "GET"
        case post = "POST"
    }

    public var url: String
    public var method: Method
    public var headers: [String]
    public var body: [UInt8]

    public init(url: String, method: Method = .get, headers: [String] = [], body: [UInt8] = []) {
        self.url = url
        self.method = method
        self.headers = headers
        self.body = body
    }
}

/// A complete HTTP response.
public struct HTTPResponse: Sendable {
    public let status: Int
    public let body: [UInt8]
    /// The final answer's header fields by lower-case name (a repeated field: its last value),
    /// values trimmed; a proxy's answer to `CONNECT` is not among them. Empty unless the
    /// request's settings asked for them (`TransportSettings.collectsHeaders`).
    public let headers: [String: String]

    public init(status: Int, body: [UInt8], headers: [String: String] = [:]) {
        self.status = status
        self.body = body
        self.headers = headers
    }

    /// The value of header field `name` (any case); nil when the answer has none.
    public func header(_ name: String) -> String? {
        headers[name.lowercased()]
    }

    /// The header fields of raw header lines as libcurl passes them (`Name: value` without the
    /// line break, the status line of each answer first): only the last answer's fields
    /// count, so that a proxy's `CONNECT` answer or an interim `100 Continue` is left out.
    public static func headerFields(lines: [String]) -> [String: String] {
        var fields: [String: String] = [:]
        for line in lines {
            if line.hasPrefix("HTTP/") {
                fields = [:]
                continue
            }
            guard let colon = line.firstIndex(of: ":"), colon != line.startIndex else { continue }
            let name = line[..<colon].lowercased()
            fields[name] = String(line[line.index(after: colon)...]).trimmingSpaces
        }
        return fields
    }
}

/// Connection settings shared by every call of one hook run.
public struct TransportSettings: Sendable {
    /// Seconds to establish the connection (TCP and TLS).
    public var connectTimeout: Double
    /// Extra trusted CAs (PEM), in addition to the system store.
    public var caFile: String?
    /// The CA file that stands for the system store (`TrustStore.baseCAFile`): set in the
    /// container bundle, nil for libcurl's own default.
    public var baseCAFile: String?
    /// Answers longer than this are refused.
    public var maximumResponseBytes: Int
    /// Whether responses carry their header fields (`HTTPResponse.headers`); off for the
    /// hook, whose calls need none, on for `doctor`.
    public var collectsHeaders: Bool

    public init(
        connectTimeout: Double = 5, caFile: String? = nil, baseCAFile: String? = TrustStore.current,
        maximumResponseBytes: Int = 1 << 20, collectsHeaders: Bool = false
    ) {
        self.connectTimeout = connectTimeout
        self.caFile = caFile
        self.baseCAFile = baseCAFile
        self.maximumResponseBytes = maximumResponseBytes
        self.collectsHeaders = collectsHeaders
    }
}

/// Sends HTTP requests: the seam between the hook's logic and the network. `CurlTransport`
/// implements it with libcurl; tests give a fake that records requests and plays answers.
public protocol HTTPTransport: AnyObject {
    /// Sends `request` with `settings` and waits at most `timeout` seconds for the whole answer.
    func perform(_ request: HTTPRequest, settings: TransportSettings, timeout: Double) throws(TransportError)
        -> HTTPResponse
}

extension HTTPTransport {
    /// `perform`, with a transport failure turned into the caller's own error by `wrap`
    /// (`STSError.transport`, `KeySetError.unreachable`, ...).
    public func send<Failure: Error>(
        _ request: HTTPRequest, settings: TransportSettings, timeout: Double,
        failingWith wrap: (TransportError) -> Failure
    ) throws(Failure) -> HTTPResponse {
        do throws(TransportError) {
            return try perform(request, settings: settings, timeout: timeout)
        } catch {
            throw wrap(error)
        }
    }
}
