@testable import GitLabOIDCAWS

/// A transport that plays queued answers (or network failures) and records every request.
final class ScriptedTransport: HTTPTransport, @unchecked Sendable {
    enum Answer {
        case response(Int, String)
        case failure(TransportError.Kind)
    }

    var answers: [Answer]
    var requests: [HTTPRequest] = []

    init(_ answers: [Answer]) { self.answers = answers }

    func perform(_ request: HTTPRequest, settings: TransportSettings, timeout: Double) throws(TransportError)
        -> HTTPResponse
    {
        requests.append(request)
        guard !answers.isEmpty else { throw TransportError(kind: .connect, url: request.url, detail: "no more answers") }
        switch answers.removeFirst() {
        case let .response(status, body): return HTTPResponse(status: status, body: Array(body.utf8))
        case let .failure(kind): throw TransportError(kind: kind, url: request.url, detail: "scripted")
        }
    }
}

/// A clock whose wall time moves with the monotonic one: each retry wait shows in the next
/// signature's date.
final class MovingTime: @unchecked Sendable {
    var monotonic = 0.0
    let start: Int64

    init(start: Int64 = 1_800_000_000) { self.start = start }

    var clock: Clock {
        Clock(
            now: { self.start + Int64(self.monotonic) }, monotonic: { self.monotonic },
            sleep: { self.monotonic += $0 })
    }

    func retrier(maxAttempts: Int = 5, log: @escaping (String) -> Void = { _ in }) -> Retrier {
        var settings = RetrySettings()
        settings.maxAttempts = maxAttempts
        settings.initialBackoff = 1
        var retrier = Retrier(settings: settings, clock: clock, log: log)
        retrier.random = { 1 }  // the whole backoff: 1 s, 2 s, 4 s, ...
        return retrier
    }
}

/// The value of header `name` (any case) in `Name: value` lines.
func header(_ name: String, in request: HTTPRequest) -> String? {
    for line in request.headers {
        guard let colon = line.firstIndex(of: ":"), line[..<colon].lowercased() == name.lowercased() else { continue }
        return String(line[line.index(after: colon)...]).trimmingSpaces
    }
    return nil
}

enum STSDocuments {
    static func success(action: String = "AssumeRole", arn: String = "arn:aws:sts::222233334444:assumed-role/target/hop-2", expiration: String = "2027-01-01T00:00:00Z")
        -> String
    {
        """
        <\(action)Response xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
          <\(action)Result>
            <Credentials>
              <AccessKeyId>ASIAQWERTYUIOPASDFGH</AccessKeyId>
              <SecretAccessKey>hop2secret/+=</SecretAccessKey>
              <SessionToken>hop2token</SessionToken>
              <Expiration>\(expiration)</Expiration>
            </Credentials>
            <AssumedRoleUser>
              <AssumedRoleId>AROA123:hop-2</AssumedRoleId>
              <Arn>\(arn)</Arn>
            </AssumedRoleUser>
            <PackedPolicySize>6</PackedPolicySize>
          </\(action)Result>
          <ResponseMetadata><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ResponseMetadata>
        </\(action)Response>
        """
    }

    static func error(_ code: String, message: String = "refused") -> String {
        """
        <ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
          <Error><Type>Sender</Type><Code>\(code)</Code><Message>\(message)</Message></Error>
          <RequestId>4f6d8b2e-0000-4000-8000-000000000000</RequestId>
        </ErrorResponse>
        """
    }
}
