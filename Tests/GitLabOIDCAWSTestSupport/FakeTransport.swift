import GitLabOIDCAWS

/// An `HTTPTransport` for tests: records every request and plays scripted answers. Each URL
/// has a queue of answers, played once each in order, and then a standing answer; then come
/// the answers for any URL, in order; a request that finds none fails like a refused
/// connection.
public final class FakeTransport: HTTPTransport {
    /// What one request gets.
    public enum Answer {
        case response(HTTPResponse)
        /// A network failure of this kind.
        case failure(TransportError.Kind)

        /// An answer with `status` and `body`.
        public static func response(_ status: Int, _ body: String) -> Answer {
            .response(HTTPResponse(status: status, body: Array(body.utf8)))
        }
    }

    /// Every request, in order.
    public private(set) var requests: [HTTPRequest] = []
    /// The time allowed for each request, in order.
    public private(set) var timeouts: [Double] = []
    private var queued: [String: [Answer]] = [:]
    private var standing: [String: Answer] = [:]
    private var anyURL: [Answer]

    /// A transport that plays `answers` to the first requests, whatever their URL.
    public init(_ answers: [Answer] = []) {
        anyURL = answers
    }

    /// `answers` for the next requests to `url`, once each, before its standing answer.
    public func queue(_ url: String, _ answers: Answer...) {
        queued[url, default: []] += answers
    }

    /// What every request to `url` gets once its queue is empty.
    public func always(_ url: String, _ answer: Answer) {
        standing[url] = answer
    }

    /// The requests sent to `url`.
    public func requests(to url: String) -> [HTTPRequest] {
        requests.filter { $0.url == url }
    }

    public func perform(_ request: HTTPRequest, settings: TransportSettings, timeout: Double) throws(TransportError)
        -> HTTPResponse
    {
        requests.append(request)
        timeouts.append(timeout)
        let answer: Answer?
        if var queue = queued[request.url], !queue.isEmpty {
            answer = queue.removeFirst()
            queued[request.url] = queue
        } else if let standingAnswer = standing[request.url] {
            answer = standingAnswer
        } else {
            answer = anyURL.isEmpty ? nil : anyURL.removeFirst()
        }
        switch answer {
        case let .response(response)?:
            return response
        case let .failure(kind)?:
            throw TransportError(kind: kind, url: request.url, detail: "scripted failure")
        case nil:
            throw TransportError(kind: .connect, url: request.url, detail: "nothing listens there (no answer scripted)")
        }
    }
}

extension HTTPRequest {
    /// The form fields of a form-encoded body, percent-decoded, in order.
    public var formFields: [(String, String)] {
        String(decoding: body, as: UTF8.self).split(separator: "&").map { field in
            let parts = field.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (percentDecoded(parts[0]), parts.count > 1 ? percentDecoded(parts[1]) : "")
        }
    }

    /// The value of form field `name`, nil when absent.
    public func formField(_ name: String) -> String? {
        formFields.first { $0.0 == name }?.1
    }
}

private func percentDecoded(_ text: Substring) -> String {
    var bytes: [UInt8] = []
    var index = text.utf8.startIndex
    while index < text.utf8.endIndex {
        let byte = text.utf8[index]
        if byte == UInt8(ascii: "%"), let high = text.utf8.index(index, offsetBy: 1, limitedBy: text.utf8.endIndex),
            let low = text.utf8.index(index, offsetBy: 2, limitedBy: text.utf8.endIndex), low < text.utf8.endIndex,
            let value = UInt8(String(decoding: [text.utf8[high], text.utf8[low]], as: UTF8.self), radix: 16)
        {
            bytes.append(value)
            index = text.utf8.index(after: low)
        } else {
            bytes.append(byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
            index = text.utf8.index(after: index)
        }
    }
    return String(decoding: bytes, as: UTF8.self)
}
