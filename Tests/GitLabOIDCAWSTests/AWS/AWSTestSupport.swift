import GitLabOIDCAWSTestSupport

@testable import GitLabOIDCAWS

/// The wall time the AWS tests start at.
let startTime: Int64 = 1_800_000_000

extension ManualClock {
    /// The clock of the AWS tests: wall time `startTime`, moving with each retry wait, so
    /// that each wait shows in the next signature's date.
    static func atStart() -> ManualClock { ManualClock(now: startTime, monotonic: 0) }

    /// A retrier on this clock that waits the whole backoff: 1 s, 2 s, 4 s, ...
    func retrier(maxAttempts: Int = 5, log: @escaping (String) -> Void = { _ in }) -> Retrier {
        var settings = RetrySettings()
        settings.maxAttempts = maxAttempts
        settings.initialBackoff = 1
        var retrier = Retrier(settings: settings, clock: clock, log: log)
        retrier.random = { 1 }
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
